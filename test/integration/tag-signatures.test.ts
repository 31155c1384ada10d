/**
 * Tag signatures (migration TagSignatures): every connection points at the signature of its current tags, whatever
 * statement wrote it, so counts decided by signatures (src/services/connection-queries.ts) stay exact.
 * The invariant is checked in SQL after each kind of write: for every connection, the signature it points at holds
 * exactly its tags without `pg_instance` and `server`, read from the generated `tags` column.
 */
import { Client } from 'pg';
import { useTestDatabaseClient } from '../support/database';

const database = useTestDatabaseClient();

const tags = (pairs: Record<string, string>) => JSON.stringify(Object.entries(pairs).map(([key, value]) => ({ key, value })));

async function insert(client: Client, name: string, pairs: Record<string, string>, pgVersion: string | null = null): Promise<void> {
  await client.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, pg_version) VALUES ($1, $1 || '.example', 5432, 'u', 'v1.x', $2::jsonb, $3)`,
    [name, tags(pairs), pgVersion],
  );
}

/** Connections whose signature is not their tags' (must be none), and the number of connections checked. */
async function mismatches(): Promise<{ wrong: string[]; checked: number }> {
  const { rows } = await database.sql.query<{ name: string; ok: boolean }>(
    `SELECT c.name, s.tags IS NOT DISTINCT FROM (c.tags - 'pg_instance' - 'server') AS ok
       FROM connections c LEFT JOIN tag_signatures s ON s.id = c.signature_id ORDER BY c.name`,
  );
  return { wrong: rows.filter((r) => !r.ok).map((r) => r.name), checked: rows.length };
}

async function signatureOf(name: string): Promise<number> {
  const { rows } = await database.sql.query<{ signature_id: number }>(`SELECT signature_id FROM connections WHERE name = $1`, [name]);
  return rows[0]!.signature_id;
}

it('connections with the same tags but their own instance share one signature; different tags do not', async () => {
  await insert(database.sql, 'a1', { env: 'prod', dc: 'lyon' });
  await insert(database.sql, 'a2', { dc: 'lyon', env: 'prod' });
  await insert(database.sql, 'b1', { env: 'dev', dc: 'lyon' });
  await insert(database.sql, 'b2', { env: 'dev', dc: 'lyon' }, '16.4');
  expect(await signatureOf('a1')).toBe(await signatureOf('a2'));
  expect(new Set([await signatureOf('a1'), await signatureOf('b1'), await signatureOf('b2')]).size).toBe(3);
  expect(await mismatches()).toEqual({ wrong: [], checked: 4 });
});

it('follows every write that changes the tags: retag, probed version, rename, bulk update', async () => {
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'a1'`, [tags({ env: 'dev', dc: 'lyon' })]);
  expect(await signatureOf('a1')).toBe(await signatureOf('b1'));
  await database.sql.query(`UPDATE connections SET pg_version = '16.4' WHERE name = 'b1'`);
  expect(await signatureOf('b1')).toBe(await signatureOf('b2'));
  await database.sql.query(`UPDATE connections SET name = 'a2-renamed', host = 'elsewhere' WHERE name = 'a2'`);
  await database.sql.query(`UPDATE connections SET user_tags = user_tags || $1::jsonb`, [tags({ team: 't1' })]);
  expect(await mismatches()).toEqual({ wrong: [], checked: 4 });
  await database.sql.query(`UPDATE connections SET connected = true, last_probe_at = now()`);
  expect(await mismatches()).toEqual({ wrong: [], checked: 4 });
});

it('cannot be pointed elsewhere by hand: the trigger recomputes a written signature_id', async () => {
  const other = await signatureOf('a1');
  await database.sql.query(`UPDATE connections SET signature_id = $1 WHERE name = 'b2'`, [other === 1 ? 2 : 1]);
  await database.sql.query(`UPDATE connections SET signature_id = NULL WHERE name = 'a1'`);
  expect(await mismatches()).toEqual({ wrong: [], checked: 4 });
});

it('two transactions creating the same new signature at once both commit, with one signature', async () => {
  const first = new Client({ connectionString: database.db.url });
  const second = new Client({ connectionString: database.db.url });
  await Promise.all([first.connect(), second.connect()]);
  try {
    await first.query('BEGIN');
    await second.query('BEGIN');
    await insert(first, 'race-1', { env: 'race', dc: 'new' });
    // Blocks on the first transaction's uncommitted signature row until it commits.
    const pending = insert(second, 'race-2', { env: 'race', dc: 'new' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.query('COMMIT');
    await pending;
    await second.query('COMMIT');
  } finally {
    await Promise.all([first.end(), second.end()]);
  }
  expect(await signatureOf('race-1')).toBe(await signatureOf('race-2'));
  const { rows } = await database.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM tag_signatures WHERE tags @> '{"env":"race"}'`);
  expect(rows[0]!.n).toBe(1);
  expect(await mismatches()).toEqual({ wrong: [], checked: 6 });
});

it('a rolled-back first creator leaves the second one to create the signature', async () => {
  const first = new Client({ connectionString: database.db.url });
  const second = new Client({ connectionString: database.db.url });
  await Promise.all([first.connect(), second.connect()]);
  try {
    await first.query('BEGIN');
    await insert(first, 'undo-1', { env: 'undo' });
    const pending = insert(second, 'undo-2', { env: 'undo' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.query('ROLLBACK');
    await pending;
  } finally {
    await Promise.all([first.end(), second.end()]);
  }
  expect(await mismatches()).toEqual({ wrong: [], checked: 7 });
});

it('counts decided by signatures equal counts over the connections themselves', async () => {
  const selectors = ['{"env":"dev"}', '{"env":"dev","dc":"lyon"}', '{"team":"t1"}', '{"pg_version":"16.4"}', '{"env":"race"}', '{"env":"nowhere"}'];
  for (const selector of selectors) {
    const { rows } = await database.sql.query<{ direct: number; bySignature: number }>(
      `SELECT (SELECT count(*)::int FROM connections c WHERE c.tags @> $1::jsonb) AS direct,
              (SELECT count(*)::int FROM connections c
                WHERE c.signature_id = ANY(ARRAY(SELECT s.id FROM tag_signatures s WHERE s.tags @> $1::jsonb))) AS "bySignature"`,
      [selector],
    );
    expect({ selector, ...rows[0] }).toEqual({ selector, direct: rows[0]!.direct, bySignature: rows[0]!.direct });
  }
  const { rows } = await database.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM connections WHERE tags @> '{"env":"dev"}'`);
  expect(rows[0]!.n).toBe(3);
});

it('a connection with many long tags gets its signature (they are not a btree key: one is limited to 2,704 bytes)', async () => {
  // 12 values of 256 characters that do not compress: about 3 kB of tags.
  const noise = (seed: number) => Array.from({ length: 256 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789'[(seed * 7919 + i * i * 31 + i) % 36]).join('');
  const long = Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`key${k}`, noise(k + 1)]));
  await insert(database.sql, 'long-1', long);
  await insert(database.sql, 'long-2', long);
  expect(await signatureOf('long-1')).toBe(await signatureOf('long-2'));
  expect(await mismatches()).toEqual({ wrong: [], checked: 9 });
});
