import 'reflect-metadata';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { entities } from '../entities';
import { migrations } from '../../migrations';
import { retryOnDeadConnections } from './connection-retry';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  /** Called with every SQL statement the gateway sends; used by tests that count statements. */
  onQuery?: (sql: string, parameters?: unknown[]) => void;
  applicationName?: string;
  /** Told when a statement is sent again because the server dropped its connection (see connection-retry). */
  onConnectionRetry?: (info: { attempt: number; reason: string; statement: string }) => void;
}

/** pg's pool size when the caller names none. */
const DEFAULT_POOL_SIZE = 10;

class QueryObserver implements TypeOrmLogger {
  constructor(private readonly onQuery?: (sql: string, parameters?: unknown[]) => void) {}
  logQuery(query: string, parameters?: unknown[]): void {
    this.onQuery?.(query, parameters);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

/**
 * The gateway's TypeORM data source. Schema changes happen only through `migrations/` (never `synchronize`).
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: options.onQuery ? ['query'] : false,
    logger: new QueryObserver(options.onQuery),
    applicationName: options.applicationName ?? 'ds-access-gateway',
    extra: {
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      // A dropped server connection is replaced on the next checkout instead of failing requests forever.
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
    },
  });
  // Sessions the server ends (restart, failover, pg_terminate_backend) cost no request: safe statements run again.
  retryOnDeadConnections(dataSource, options.poolSize ?? DEFAULT_POOL_SIZE, options.onConnectionRetry);
  return dataSource;
}

/** Applies pending migrations in one transaction each; returns their names. */
export async function migrateUp(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Reverts the most recent migration. */
export async function migrateDown(dataSource: DataSource): Promise<void> {
  await dataSource.undoLastMigration({ transaction: 'each' });
}
