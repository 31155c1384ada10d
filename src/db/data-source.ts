import 'reflect-metadata';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { entities } from '../entities';
import { migrations } from '../../migrations';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  /** Called with every SQL statement the gateway sends; used by tests that count statements. */
  onQuery?: (sql: string) => void;
  applicationName?: string;
}

class QueryObserver implements TypeOrmLogger {
  constructor(private readonly onQuery?: (sql: string) => void) {}
  logQuery(query: string): void {
    this.onQuery?.(query);
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
  return new DataSource({
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
      max: options.poolSize ?? 10,
      // A dropped server connection is replaced on the next checkout instead of failing requests forever.
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
    },
  });
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
