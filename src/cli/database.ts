/** Opening the configured database for one CLI command, with the gateway's opener (src/db/open-database.ts). */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { openDatabase, startDatabaseServer, type DatabaseUrls } from '../db/open-database';

/**
 * Runs `work` with the URLs of the configured database (the embedded server, started for the while, when
 * DATABASE_URL is unset). `owner`: only the schema owner's URLs are needed (migrations, grants).
 */
export async function withDatabaseUrls<T>(config: Config, owner: boolean, work: (urls: DatabaseUrls) => Promise<T>): Promise<T> {
  const server = await startDatabaseServer(config, { ownerOnly: owner });
  try {
    return await work(server.urls);
  } finally {
    await server.stop();
  }
}

/**
 * Opens the configured database for the duration of `work`, which also gets the URL it is connected to. `owner`:
 * connect with the schema owner's MIGRATIONS_DATABASE_URL when set (migrations, grants).
 */
export async function withDatabase<T>(config: Config, work: (dataSource: DataSource, url: string) => Promise<T>, owner = false): Promise<T> {
  const database = await openDatabase(config, { owner, poolSize: 2, applicationName: 'ds-access-gateway cli' });
  try {
    return await work(database.dataSource, owner ? database.server.urls.migrations : database.server.urls.runtime);
  } finally {
    await database.close();
  }
}
