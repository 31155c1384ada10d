/** Opening the configured database for one CLI command (the embedded server, started for the while, when DATABASE_URL is unset). */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { createDataSource } from '../db/data-source';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded-postgres';

/**
 * Runs `work` with the URL of the configured database (the embedded server, started for the while, when DATABASE_URL
 * is unset). `owner`: the schema owner's MIGRATIONS_DATABASE_URL when set (migrations, grants).
 */
export async function withDatabaseUrl<T>(config: Config, owner: boolean, work: (url: string) => Promise<T>): Promise<T> {
  let embedded: EmbeddedDatabase | undefined;
  try {
    const url =
      (owner ? config.migrationsDatabaseUrl : undefined) ?? config.databaseUrl ?? (embedded = await startEmbeddedPostgres({ dataDir: config.dataDir })).url;
    return await work(url);
  } finally {
    await embedded?.stop();
  }
}

/** Opens the configured database for the duration of `work`, which also gets its URL (`owner`: see {@link withDatabaseUrl}). */
export async function withDatabase<T>(config: Config, work: (dataSource: DataSource, url: string) => Promise<T>, owner = false): Promise<T> {
  return withDatabaseUrl(config, owner, async (url) => {
    const dataSource = createDataSource({ url, poolSize: 2, applicationName: 'ds-access-gateway cli' });
    await dataSource.initialize();
    try {
      return await work(dataSource, url);
    } finally {
      await dataSource.destroy();
    }
  });
}
