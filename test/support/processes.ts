/**
 * Runs the built gateway (`dist/src/main.js`) as a real child process, for tests about processes: replicas, signals.
 * `npm test` builds first; running jest alone needs `npm run build` beforehand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LooseJson } from './gateway';

export const MAIN = join(__dirname, '../../dist/src/main.js');

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartingGateway {
  child: ChildProcess;
  output(): string;
  /** The listening URL, printed before migrations and services (the server answers probes from then on). */
  listening: Promise<string>;
  /** The URL once the gateway says it is ready; rejects when it exits first or `timeoutMs` passes. */
  ready: Promise<string>;
  /** The exit code, once the process has ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `dist/src/main.js` without waiting for it (see {@link spawnGateway}). */
export function startGatewayProcess(env: Record<string, string>, timeoutMs = 90_000): StartingGateway {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it for you)`);
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, what: string) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL'); // never leave a half-started gateway behind
        reject(new Error(`gateway was not ${what} in ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const check = () => {
        const match = pattern.exec(output);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', check);
      check();
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited with ${code} before it was ${what}:\n${output}`));
      });
    });
  const ready = waitFor(/ready at (http:\/\/[^\s"]+)\/graphql/, 'ready');
  const listening = waitFor(/"url":"(http:\/\/[^"]+)","msg":"starting/, 'listening');
  // A caller that only awaits one of them must not see the other's rejection as unhandled.
  ready.catch(() => undefined);
  listening.catch(() => undefined);
  return {
    child,
    output: () => output,
    listening,
    ready,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function spawnGateway(env: Record<string, string>, timeoutMs = 30_000): Promise<GatewayProcess> {
  const started = startGatewayProcess(env, timeoutMs);
  const url = await started.ready;
  return { url, child: started.child, output: started.output, stop: started.stop };
}

/** POSTs a GraphQL operation to a gateway URL; `T` is the answer's shape (loosely typed JSON by default, see LooseJson). */
export async function gqlAt<T = LooseJson>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as T;
}
