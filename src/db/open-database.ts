/**
 * Opening the configured database, for the gateway and for every CLI command alike: which server (DATABASE_URL, or
 * the embedded PostgreSQL started in DATA_DIR), which URL serves which purpose (runtime pool, migrations, the
 * migration lock, LISTEN), and the data source over it.
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createDataSource, type DataSourceOptions } from './data-source';
import { startEmbeddedPostgres } from './embedded-postgres';

type DatabaseConfig = Pick<Config, 'databaseUrl' | 'listenDatabaseUrl' | 'migrationsDatabaseUrl' | 'dataDir'>;

/** The URL each kind of session is opened on. */
export interface DatabaseUrls {
  /** The gateway's pool (DATABASE_URL, possibly a transaction pooler). */
  runtime: string;
  /** Migrations: the owner role's MIGRATIONS_DATABASE_URL, else the runtime URL. */
  migrations: string;
  /**
   * The migration lock's session (src/db/migrate.ts): MIGRATIONS_DATABASE_URL, else LISTEN_DATABASE_URL (the direct
   * connection for LISTEN and session locks when DATABASE_URL is a pooler), else the runtime URL. A session lock
   * taken through a transaction pooler would land on whichever server connection the pooler picks.
   */
  migrationLock: string;
  /** The change feed's LISTEN session (src/db/change-feed.ts): LISTEN_DATABASE_URL, else the runtime URL. */
  listen: string;
}

/** Every URL of a server whose runtime URL is `runtime` (DATABASE_URL, or the embedded server's). */
export function databaseUrls(config: Pick<Config, 'listenDatabaseUrl' | 'migrationsDatabaseUrl'>, runtime: string): DatabaseUrls {
  return {
    runtime,
    migrations: config.migrationsDatabaseUrl ?? runtime,
    migrationLock: config.migrationsDatabaseUrl ?? config.listenDatabaseUrl ?? runtime,
    listen: config.listenDatabaseUrl ?? runtime,
  };
}

/** The URL a data source was created with (see {@link createDataSource}). */
export function runtimeUrlOf(dataSource: DataSource): string {
  return String((dataSource.options as { url?: string }).url);
}

/** The configured server, reached: its URLs, and `stop` (which stops the embedded server when one was started). */
export interface DatabaseServer {
  urls: DatabaseUrls;
  /** Whether the embedded PostgreSQL was started (DATABASE_URL unset). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * Reaches the configured server: DATABASE_URL, else the embedded PostgreSQL in DATA_DIR, started for the while.
 * `ownerOnly`: the caller needs only the owner's URLs (migrations, grants), so MIGRATIONS_DATABASE_URL alone is
 * enough and no embedded server is started for it.
 */
export async function startDatabaseServer(config: DatabaseConfig, options: { log?: Logger; ownerOnly?: boolean } = {}): Promise<DatabaseServer> {
  const given = config.databaseUrl ?? (options.ownerOnly ? config.migrationsDatabaseUrl : undefined);
  if (given !== undefined) return { urls: databaseUrls(config, given), embedded: false, stop: async () => undefined };
  const log = options.log;
  log?.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
  const started = await startEmbeddedPostgres({ dataDir: config.dataDir, log: log && ((m) => log.debug({ source: 'postgres' }, m)) });
  return { urls: databaseUrls(config, started.url), embedded: true, stop: () => started.stop() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects with exponential backoff (0.5 s doubling to 8 s), saying why each attempt failed. */
export async function initializeWithRetry(dataSource: DataSource, log: Pick<Logger, 'warn'>, attempts = 8): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      const delay = Math.min(500 * 2 ** (attempt - 1), 8000);
      log.warn({ attempt, retryInMs: delay, reason: (error as Error).message }, 'database not reachable yet, retrying');
      await sleep(delay);
    }
  }
}

/** An initialized data source over the configured server; `close` destroys it, then stops the server it started. */
export interface OpenDatabase {
  dataSource: DataSource;
  server: DatabaseServer;
  close(): Promise<void>;
}

/**
 * Opens the configured database: reaches the server ({@link startDatabaseServer}), then initializes a data source on
 * its runtime URL (the migrations URL with `owner`), with retries when `log` is given (the gateway; a CLI command
 * fails at once). Nothing is left running when it throws.
 */
export async function openDatabase(
  config: DatabaseConfig,
  options: Omit<DataSourceOptions, 'url'> & { log?: Logger; owner?: boolean } = {},
): Promise<OpenDatabase> {
  const { log, owner, ...dataSourceOptions } = options;
  const server = await startDatabaseServer(config, { log, ownerOnly: owner });
  const dataSource = createDataSource({ ...dataSourceOptions, url: owner ? server.urls.migrations : server.urls.runtime });
  try {
    if (log) await initializeWithRetry(dataSource, log);
    else await dataSource.initialize();
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await server.stop().catch(() => undefined);
    throw error;
  }
  return {
    dataSource,
    server,
    close: async () => {
      try {
        await dataSource.destroy();
      } finally {
        await server.stop();
      }
    },
  };
}
