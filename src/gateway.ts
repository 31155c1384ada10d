/**
 * Assembles a running gateway: HTTP listener (answering probes from the start, src/ops/readiness.ts), database
 * (embedded or DATABASE_URL), migrations under an advisory lock (src/db/migrate.ts), default administrator, services,
 * then the application. `main.ts` runs it for `npm start`; tests and benchmarks start it the same way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { createDataSource } from './db/data-source';
import { migrateUnderLock, migrationLockUrl, migrationsUrl, waitForMigrations } from './db/migrate';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import type { Logger } from './logger';
import { Readiness, startupListener } from './ops/readiness';
import { createHttpGateway, type HttpGateway } from './server';
import { createServices, type Services } from './services';
import { ensureDefaultAdministrator } from './services/bootstrap';

export interface RunningGateway {
  url: string;
  services: Services;
  http: HttpGateway;
  dataSource: DataSource;
  /** Shutdown: readiness fails, in-flight requests drain (at most SHUTDOWN_GRACE_MS), then everything closes. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects with exponential backoff (0.5 s doubling to 8 s), saying why each attempt failed. */
export async function initializeWithRetry(dataSource: DataSource, log: Logger, attempts = 8): Promise<void> {
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

export async function startGateway(
  config: Config,
  log: Logger,
  options: { onQuery?: (sql: string, parameters?: unknown[]) => void } = {},
): Promise<RunningGateway> {
  const readiness = new Readiness();
  const starting = startupListener(readiness);
  const server = createServer(starting);
  await listen(server, config.port, config.host);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const gatewayUrl = `http://${host}:${address.port}`;
  log.info({ url: gatewayUrl }, 'starting: /healthz answers, /readyz says ready once the gateway is');

  let embedded: EmbeddedDatabase | undefined;
  let dataSource: DataSource | undefined;
  try {
    let url = config.databaseUrl;
    if (!url) {
      log.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
      const started = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (m) => log.debug({ source: 'postgres' }, m) });
      embedded = started;
      url = started.url;
    }
    dataSource = createDataSource({
      url,
      poolSize: config.databasePoolSize,
      onQuery: options.onQuery,
      onConnectionRetry: (info) => log.warn(info, 'database connection lost; statement sent again on a new connection'),
    });
    await initializeWithRetry(dataSource, log);
    if (config.migrateOnStart) {
      readiness.set('migrating');
      const outcome = await migrateUnderLock(
        migrationsUrl(config, url),
        () => log.info('another replica is applying migrations: waiting for it'),
        (migrations) => initializeWithRetry(migrations, log),
        migrationLockUrl(config, url),
      );
      if (outcome.applied.length > 0) log.info({ migrations: outcome.applied }, 'migrations applied');
      else log.info({ waitedForAnotherReplica: outcome.waited }, 'migrations verified: the database is up to date');
    } else {
      await waitForMigrations(dataSource, log, () => readiness.set('migrations pending'));
      readiness.set('starting');
    }
    const bootstrap = await ensureDefaultAdministrator(dataSource, { password: config.adminPassword, email: config.adminEmail });
    if (bootstrap.generatedPassword) {
      // Printed once, on purpose and outside the structured log: there is no built-in default password.
      process.stdout.write(
        `\n  Default administrator created: login "datasentinel", password "${bootstrap.generatedPassword}"\n` +
          `  It is shown only this once. Set ADMIN_PASSWORD to choose it instead.\n\n`,
      );
    }
    const services = await createServices(dataSource, config, log);
    const http = await createHttpGateway(services, log, { server, readiness, startupListener: starting });
    readiness.set('ready');
    const db = dataSource;
    return {
      url: gatewayUrl,
      services,
      http,
      dataSource: db,
      stop: async () => {
        await http.close(config.shutdownGraceMs);
        await services.close();
        await db.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await closeServer(server);
    if (dataSource?.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
