/**
 * The PostgreSQL server a bench command runs on: the one DATABASE_URL names when it is set (its role needs CREATEDB),
 * else an embedded server of the command's own, in a temporary folder. Shared by `npm run bench`, `bench:ab` and
 * `bench:subscriptions`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres';

export interface BenchServer {
  /** The server's URL, as DATABASE_URL gave it or the embedded server listens. */
  readonly url: string;
  /** Whether the server is the command's own (stopped and removed with it) rather than DATABASE_URL's. */
  readonly embedded: boolean;
  /** The URL of a database on this server. */
  urlOf(database: string): string;
  /** Runs `work` with a client of the server's `postgres` database (creating, dropping), then closes it. */
  asAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T>;
  /** Drops `database` if it exists, creates it empty and returns its URL. */
  freshDatabase(database: string): Promise<string>;
  /** Stops an embedded server and removes its data; DATABASE_URL's server is left running. */
  stop(): Promise<void>;
}

/** `prefix`: the name of the embedded server's temporary folder (`ds-bench-…`). */
export async function startBenchServer(prefix: string): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  let embedded: EmbeddedDatabase | undefined;
  const external = process.env.DATABASE_URL;
  try {
    if (!external) embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true, database: 'postgres' });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = external ?? embedded!.url;
  const urlOf = (database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
  const asAdmin = async <T>(work: (admin: Client) => Promise<T>): Promise<T> => {
    const admin = new Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.end();
    }
  };
  return {
    url,
    embedded: embedded !== undefined,
    urlOf,
    asAdmin,
    freshDatabase: async (database) => {
      await asAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${database}`);
      });
      return urlOf(database);
    },
    stop: async () => {
      await embedded?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
