/**
 * Assembles a running gateway: HTTP listener (answering probes from the start, src/ops/readiness.ts), database
 * (embedded or DATABASE_URL), migrations under an advisory lock (src/db/migrate.ts), default administrator, services,
 * then the application. `main.ts` runs it for `npm start`; tests and benchmarks start it the same way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { migrateUnderLock, waitForMigrations } from './db/migrate';
import { initializeWithRetry, openDatabase, type OpenDatabase } from './db/open-database';
import type { Logger } from './logger';
import { Readiness, startupListener } from './ops/readiness';
import { createHttpGateway, type HttpGateway } from './server';
import { createServices, type Services } from './services';
import { DEFAULT_ADMIN_LOGIN, ensureDefaultAdministrator } from './services/bootstrap';

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

// Moved to src/db/open-database.ts with the rest of the opener; still exported here for its callers.
export { initializeWithRetry } from './db/open-database';

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

  let database: OpenDatabase | undefined;
  try {
    database = await openDatabase(config, {
      log,
      poolSize: config.databasePoolSize,
      onQuery: options.onQuery,
      onConnectionRetry: (info) => log.warn(info, 'database connection lost; statement sent again on a new connection'),
    });
    const { dataSource, server: databaseServer } = database;
    if (config.migrateOnStart) {
      readiness.set('migrating');
      const outcome = await migrateUnderLock(
        databaseServer.urls.migrations,
        () => log.info('another replica is applying migrations: waiting for it'),
        (migrations) => initializeWithRetry(migrations, log),
        databaseServer.urls.migrationLock,
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
        `\n  Default administrator created: login "${DEFAULT_ADMIN_LOGIN}", password "${bootstrap.generatedPassword}"\n` +
          `  It is shown only this once. Set ADMIN_PASSWORD to choose it instead.\n\n`,
      );
    }
    const services = await createServices(dataSource, config, log);
    const http = await createHttpGateway(services, log, { server, readiness, startupListener: starting });
    readiness.set('ready');
    const opened = database;
    return {
      url: gatewayUrl,
      services,
      http,
      dataSource,
      stop: async () => {
        await http.close(config.shutdownGraceMs);
        await services.close();
        await opened.close();
      },
    };
  } catch (error) {
    await closeServer(server);
    await database?.close().catch(() => undefined);
    throw error;
  }
}
