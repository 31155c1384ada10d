/**
 * Every connection of the gateway's pool runs with the session settings of src/db/data-source.ts (`jit = off`) from
 * its first statement on, whichever connection a statement gets.
 */
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { createTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;
let ds: DataSource;
beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 3 });
  await ds.initialize();
});
afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

test('jit is off on every connection of the pool, the server default being on', async () => {
  // Three statements at once hold three connections: the one TypeORM opened when it started, and two new ones.
  const sessions = await Promise.all(
    [0, 1, 2].map(() =>
      ds.query<{ jit: string; server_default: string; pid: number }[]>(
        `SELECT current_setting('jit') AS jit, (SELECT boot_val FROM pg_settings WHERE name = 'jit') AS server_default, pg_backend_pid() AS pid
           FROM pg_sleep(0.2)`,
      ),
    ),
  );
  const rows = sessions.map((rows) => rows[0]!);
  expect(new Set(rows.map((r) => r.pid)).size).toBe(3);
  expect(rows.map((r) => r.jit)).toEqual(['off', 'off', 'off']);
  expect(rows[0]!.server_default).toBe('on');
});
