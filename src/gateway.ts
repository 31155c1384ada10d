/**
 * Assembles a running gateway: database (embedded or DATABASE_URL), migrations, default administrator, services,
 * HTTP server. `main.ts` runs it for `npm start`; tests and benchmarks start it the same way.
 */
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { createDataSource, migrateUp } from './db/data-source';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import type { Logger } from './logger';
import { createHttpGateway, type HttpGateway } from './server';
import { createServices, type Services } from './services';
import { ensureDefaultAdministrator } from './services/bootstrap';

export interface RunningGateway {
  url: string;
  services: Services;
  http: HttpGateway;
  dataSource: DataSource;
  stop(): Promise<void>;
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

export async function startGateway(config: Config, log: Logger, options: { onQuery?: (sql: string, parameters?: unknown[]) => void } = {}): Promise<RunningGateway> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    log.info({ dataDir: config.dataDir }, 'no DATABASE_URL: starting the embedded PostgreSQL');
    const started = await startEmbeddedPostgres({ dataDir: config.dataDir, log: (m) => log.debug({ source: 'postgres' }, m) });
    embedded = started;
    url = started.url;
  }
  const dataSource = createDataSource({
    url,
    poolSize: config.databasePoolSize,
    onQuery: options.onQuery,
    onConnectionRetry: (info) => log.warn(info, 'database connection lost; statement sent again on a new connection'),
  });
  try {
    await initializeWithRetry(dataSource, log);
    const applied = await migrateUp(dataSource);
    if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
    const bootstrap = await ensureDefaultAdministrator(dataSource, { password: config.adminPassword, email: config.adminEmail });
    if (bootstrap.generatedPassword) {
      // Printed once, on purpose and outside the structured log: there is no built-in default password.
      process.stdout.write(
        `\n  Default administrator created: login "datasentinel", password "${bootstrap.generatedPassword}"\n` +
          `  It is shown only this once. Set ADMIN_PASSWORD to choose it instead.\n\n`,
      );
    }
    const services = await createServices(dataSource, config, log);
    const http = await createHttpGateway(services, log);
    await new Promise<void>((resolve, reject) => {
      http.server.once('error', reject);
      http.server.listen(config.port, config.host, () => resolve());
    });
    const address = http.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      url: `http://${host}:${address.port}`,
      services,
      http,
      dataSource,
      stop: async () => {
        await http.close();
        await services.close();
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
