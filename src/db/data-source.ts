import 'reflect-metadata';
import type { ClientBase } from 'pg';
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

/**
 * Set on every connection of the pool as it opens, before its first statement.
 *
 * `jit = off`: PostgreSQL compiles a statement with LLVM when its estimated cost passes `jit_above_cost` (100,000 by
 * default), which some of the gateway's statements over large fleets do, and for a statement of milliseconds the
 * compilation costs more than it saves: on PostgreSQL 15 with JIT available (Debian's package, as most servers),
 * `roleChangeImpact` at 100k connections answered in 180 ms p50 with it and 61 ms without (BENCHMARKS.md, "JIT").
 * Behind a pooler in transaction mode the setting lands on whichever server session runs it: set it for the
 * gateway's role there (docs/operating.md).
 */
export const SESSION_SETTINGS = 'SET jit = off';

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
      // pg-pool runs this on each new client and hands the client out only once it has finished.
      onConnect: (client: ClientBase) => client.query(SESSION_SETTINGS),
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
