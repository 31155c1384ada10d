/** A fresh, migrated database per test file, cloned from the template prepared by global-setup. */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) throw new Error('TEST_PG_ADMIN_URL is not set: run the tests through jest (global-setup)');
  return url;
}

export function databaseUrl(database: string): string {
  const u = new URL(adminUrl());
  u.pathname = `/${database}`;
  return u.toString();
}

/** Connection details of the test server itself: the one PostgreSQL that probe tests may reach. */
export function testServer(): { host: string; port: number; user: string; password: string } {
  const u = new URL(adminUrl());
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    // A server reached without a password (trust authentication, as the local one on these machines) ignores
    // whatever is sent; connections still need a non-empty password, so send one.
    password: decodeURIComponent(u.password) || 'trust-auth-ignores-this',
  };
}

/** Runs `work` with a client on the server's maintenance database. */
export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a database; `template: false` gives an empty one (migration tests). */
export async function createTestDatabase(options: { template?: boolean } = {}): Promise<TestDatabase> {
  const name = `ds_test_${process.env.TEST_RUN_ID}_${process.env.JEST_WORKER_ID ?? 0}_${randomBytes(4).toString('hex')}`;
  const template = options.template === false ? 'template0' : process.env.TEST_PG_TEMPLATE;
  await withAdmin(async (client) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // Two clones of one template at the same instant can collide; a short retry settles it.
        if (attempt >= 5 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A fresh database and a `pg` client on it for the calling test file: registers the beforeAll that creates them and
 * the afterAll that closes and drops them. Read `db` and `sql` inside tests (they are set once beforeAll ran).
 */
export function useTestDatabaseClient(): { readonly db: TestDatabase; readonly sql: Client } {
  const state = {} as { db: TestDatabase; sql: Client };
  beforeAll(async () => {
    state.db = await createTestDatabase();
    state.sql = new Client({ connectionString: state.db.url });
    await state.sql.connect();
  });
  afterAll(async () => {
    await state.sql?.end();
    await state.db?.drop();
  });
  return state;
}
