/** Starts the built gateway as a separate process (so the load generator does not share its event loop). */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface GatewayChild {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function spawnGateway(env: Record<string, string>): Promise<GatewayChild> {
  const main = join(__dirname, '../src/main.js');
  // BENCH_NODE_ARGS: extra node flags for the gateway, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // The gateway runs as `npm start` runs it (package.json), with the same young-generation size.
  return spawnServer('gateway', ['--max-semi-space-size=16', ...nodeArgs, main], env, /ready at (http:\/\/[^\s"]+)\/graphql/);
}

/**
 * Starts `node <args>` with a minimal environment and resolves with the base URL once its output matches `ready`
 * (whose first group is that URL). Also starts the bench's peer (bench/peer-process.ts).
 */
export async function spawnServer(what: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<GatewayChild> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // The end of its output, for when it stops unasked: a crash must not show up as a bare `fetch failed`.
  let tail = '';
  child.stderr!.on('data', (c) => {
    if (output.length <= 100_000) output += c;
    tail = (tail + c).slice(-8_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
      reject(new Error(`${what} did not start:\n${output}`));
    }, 60_000);
    child.stdout!.on('data', (chunk) => {
      tail = (tail + chunk).slice(-8_000);
      if (output.length > 100_000) return; // request logs keep flowing; only the start matters here
      output += chunk;
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${output}`)));
  });
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`bench: the ${what} (pid ${child.pid}) exited with ${code ?? signal}:\n${tail}\n`);
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
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
