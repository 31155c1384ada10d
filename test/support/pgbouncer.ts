/**
 * A real PgBouncer (Debian's `pgbouncer` package) in transaction mode in front of the test PostgreSQL, for tests
 * that prove the gateway works through a pooler. `.ci/run` installs the package; on a machine without it the tests
 * that need it are skipped with a one-line reason, except under `CI=true`, where a missing PgBouncer is a failure.
 *
 * Each call starts its own PgBouncer on a free loopback port with its configuration in a temporary folder, forwarding
 * every database name (`* =`) to the test server, and stops it (removing the folder) in `stop()`. PgBouncer refuses to
 * run as root: as root it is started with `-u postgres`, and the folder is handed to that user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from '../../src/db/embedded-postgres';
import { describeWithTools, type ToolLookup } from './tools';

export interface PgBouncer {
  port: number;
  /** A URL of `database` through the pooler, as the test server's user. */
  url(database: string): string;
  /** Runs `SHOW <what>` on PgBouncer's admin console. */
  show(what: string): Promise<Record<string, unknown>[]>;
  /** Everything PgBouncer logged so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  server: { host: string; port: number; user: string; password: string };
  /** Server connections per database and user (small, so that client connections really share sessions). */
  poolSize?: number;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The PgBouncer binary (`PGBOUNCER_PATH`, then the usual places), or `undefined` when none is installed. */
export function findPgBouncer(): string | undefined {
  const configured = process.env.PGBOUNCER_PATH;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** `describe` when PgBouncer is installed; otherwise skipped with a one-line reason, or a failure under CI=true. */
export function describeWithPgBouncer(name: string, body: () => void): void {
  const lookup: ToolLookup = findPgBouncer()
    ? { path: findPgBouncer()! }
    : { reason: 'pgbouncer not found (apt-get install pgbouncer, or set PGBOUNCER_PATH)' };
  describeWithTools(name, [lookup], body);
}

const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = findPgBouncer();
  if (!binary) throw new Error('PgBouncer is not installed (apt-get install pgbouncer, or set PGBOUNCER_PATH)');
  const { server } = options;
  const port = await findFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'ds-pgbouncer-'));
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runAs = asRoot ? 'postgres' : userInfo().username;
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.host} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 3}`,
      'max_client_conn = 500',
      // Loopback only, and the server checks the real credentials (from the userlist) itself.
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `admin_users = ${server.user}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      'server_tls_sslmode = disable',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'userlist.txt'), `${quote(server.user)} ${quote(server.password)}\n`, { mode: 0o600 });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', runAs]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', runAs]).toString().trim());
    for (const file of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(join(dir, file), uid, gid);
    chmodSync(dir, 0o700);
  }

  const child: ChildProcess = spawn(binary, [...(asRoot ? ['-u', runAs] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = (database: string) => {
    const u = new URL(`postgres://127.0.0.1:${port}/${database}`);
    u.username = server.user;
    u.password = server.password;
    return u.toString();
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready once it answers a query on the server's maintenance database through the pool.
  for (let attempt = 1; ; attempt += 1) {
    const client = new Client({ connectionString: url('postgres') });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= 50 || child.exitCode !== null) {
        await stop();
        throw new Error(`PgBouncer did not start: ${(error as Error).message}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    port,
    url,
    show: async (what) => {
      const client = new Client({ connectionString: url('pgbouncer') });
      await client.connect();
      try {
        // Without parameters pg uses the simple query protocol, the only one the admin console speaks.
        return (await client.query(`SHOW ${what}`)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    output: () => output,
    stop,
  };
}
