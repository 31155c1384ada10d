/** Starts the built gateway as a separate process (so the load generator does not share its event loop). */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GatewayChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `root`: the checkout whose build to start (`<root>/dist/src/main.js`); this one by default (bench/ab.ts passes
 * others). `node`: the Node.js binary to run it with (the bench's own by default).
 */
export async function spawnGateway(env: Record<string, string>, root?: string, node: string = process.execPath): Promise<GatewayChild> {
  const main = root ? join(root, 'dist/src/main.js') : join(__dirname, '../src/main.js');
  // BENCH_NODE_ARGS: extra node flags for the gateway, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The gateway runs as `npm start` runs it, with the same Node flags (young generation, heap growth).
  return spawnServer('gateway', [...startNodeFlags(), ...nodeArgs, main], env, /ready at (http:\/\/[^\s"]+)\/graphql/, node);
}

/** The Node flags of package.json's `start` script (`node <flags> dist/src/main.js`), read rather than repeated. */
export function startNodeFlags(): string[] {
  // From bench/ (tests) or dist/bench/ (the built bench): the nearest package.json up the tree is the project's.
  let folder = __dirname;
  while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) folder = dirname(folder);
  const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const command = /\bnode ((?:--[\w-]+=\S+ )*)dist\/src\/main\.js/.exec(manifest.scripts.start);
  if (!command) throw new Error(`package.json's start script no longer runs "node [flags] dist/src/main.js": ${manifest.scripts.start}`);
  return command[1]!.split(' ').filter(Boolean);
}

/**
 * Starts `node <args>` with a minimal environment and resolves with the base URL once its output matches `ready`
 * (whose first group is that URL). Also starts the bench's peer (bench/peer-process.ts).
 *
 * The server's output goes to a file, not through a pipe into this process: at thousands of requests a second its
 * access log is megabytes a second, and reading it here would take CPU from the load generator and the server on the
 * same two cores (the log's consumer is not what is measured). The file is removed on a clean stop and kept, with its
 * path printed, when the server stops unasked.
 */
export async function spawnServer(
  what: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  node: string = process.execPath,
): Promise<GatewayChild> {
  const folder = mkdtempSync(join(tmpdir(), `ds-bench-${what}-`));
  const logFile = join(folder, 'output.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(node, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const url = await new Promise<string>((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = setInterval(() => {
      const head = readPart(logFile, 'start');
      const match = ready.exec(head);
      if (match) {
        clearInterval(poll);
        resolve(match[1]!);
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        child.kill('SIGKILL'); // never leave a half-started server behind
        reject(new Error(`${what} did not start:\n${head}`));
      }
    }, 25);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`${what} exited with ${code}:\n${readPart(logFile, 'end')}`));
    });
  });
  let stopping = false;
  child.once('exit', (code, signal) => {
    // A crash must not show up as a bare `fetch failed`: the end of its output, and where the rest is.
    if (!stopping)
      process.stderr.write(`bench: the ${what} (pid ${child.pid}) exited with ${code ?? signal} (output: ${logFile}):\n${readPart(logFile, 'end')}\n`);
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        const done = () => {
          rmSync(folder, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

/** The first 100 kB of a server's output file (where its ready line is) or the last 8 kB (a crash's cause). */
function readPart(file: string, part: 'start' | 'end'): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, part === 'start' ? 100_000 : 8_000);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, part === 'start' ? 0 : size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A GraphQL answer; `T` is the shape the caller's own query selects (the bench trusts its own gateway). */
export interface GraphQLAnswer<T> {
  data?: T | null;
  errors?: { message: string }[];
}

export async function gqlAt<T = unknown>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLAnswer<T>;
}

/** The answer's data, or an error carrying its GraphQL errors. */
export function dataOf<T>(answer: GraphQLAnswer<T>): T {
  if (answer.errors || !answer.data) throw new Error(JSON.stringify(answer.errors ?? answer));
  return answer.data;
}

/** Signs `login` in with createToken and returns the token. */
export async function tokenAt(url: string, login: string, password: string): Promise<string> {
  const query = `mutation { createToken(login: ${JSON.stringify(login)}, password: ${JSON.stringify(password)}) { token } }`;
  return dataOf(await gqlAt<{ createToken: { token: string } }>(url, query)).createToken.token;
}

/** CPU time a process has used so far, in milliseconds (Linux `/proc/<pid>/stat`: utime + stime, in clock ticks). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
