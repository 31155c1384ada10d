/**
 * signature_connection_counts (migration SignatureConnectionCounts) equals the number of connections of each tag
 * signature after every kind of write to connections, whoever makes it (plain SQL here), including writes that
 * leave the signature alone and statements that move connections between signatures in both directions; and that a
 * signature goes with its last connection (migration DropUnusedSignatures), under concurrent writers too.
 */
import { Client } from 'pg';
import { useTestDatabaseClient } from '../support/database';
import { insertConnection, userTagsJson } from '../support/seed';

const database = useTestDatabaseClient();

/**
 * Signatures whose maintained count differs from their connections, or that have no connection left (must be none),
 * and the counts by the signature's `env` tag (for readable expectations).
 */
async function counts(): Promise<{ wrong: (number | string)[]; byEnv: Record<string, number> }> {
  const { rows } = await database.sql.query<{ id: number; env: string; maintained: number; actual: number }>(
    `SELECT s.id, coalesce(s.tags->>'env', '-') AS env, coalesce(sc.connection_count, 0) AS maintained,
            (SELECT count(*)::int FROM connections c WHERE c.signature_id = s.id) AS actual
       FROM tag_signatures s LEFT JOIN signature_connection_counts sc ON sc.signature_id = s.id ORDER BY s.id`,
  );
  const byEnv: Record<string, number> = {};
  for (const row of rows) if (row.actual > 0) byEnv[row.env] = (byEnv[row.env] ?? 0) + row.actual;
  // And connections whose signature is gone, by name.
  const orphans = await database.sql.query<{ name: string }>(
    `SELECT c.name FROM connections c WHERE NOT EXISTS (SELECT 1 FROM tag_signatures s WHERE s.id = c.signature_id) ORDER BY c.name`,
  );
  return { wrong: [...rows.filter((r) => r.maintained !== r.actual || r.actual === 0).map((r) => r.id), ...orphans.rows.map((r) => r.name)], byEnv };
}

const tags = userTagsJson;
const connection = (name: string, pairs: Record<string, string>) => insertConnection(database.sql, name, pairs);

it('follows inserts, retags (both ways in one statement), other updates, deletions and TRUNCATE', async () => {
  expect(await counts()).toEqual({ wrong: [], byEnv: {} });
  await connection('a', { env: 'prod' });
  await connection('b', { env: 'prod' });
  await connection('c', { env: 'dev' });
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 2, dev: 1 } });
  // A retag to a signature no connection had yet.
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'b'`, [tags({ env: 'uat' })]);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 1, dev: 1, uat: 1 } });
  // One statement swapping two connections' signatures: net zero for both.
  await database.sql.query(`UPDATE connections SET user_tags = CASE name WHEN 'a' THEN $1::jsonb ELSE $2::jsonb END WHERE name IN ('a', 'c')`, [
    tags({ env: 'dev' }),
    tags({ env: 'prod' }),
  ]);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 1, dev: 1, uat: 1 } });
  // Updates that leave the tags alone: probe results, renames, an automatic tag (pg_version) that changes the signature.
  await database.sql.query(`UPDATE connections SET connected = true, name = name || '-x'`);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 1, dev: 1, uat: 1 } });
  await database.sql.query(`UPDATE connections SET pg_version = '16.4' WHERE name = 'a-x'`);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 1, dev: 1, uat: 1 } });
  await database.sql.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
     SELECT 'bulk-' || i, 'h', 5432, 'u', 'v1.x', CASE WHEN i % 2 = 0 THEN $1::jsonb ELSE $2::jsonb END FROM generate_series(1, 50) AS i`,
    [tags({ env: 'dev' }), tags({ env: 'prod' })],
  );
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 26, dev: 26, uat: 1 } });
  await database.sql.query(`DELETE FROM connections WHERE name LIKE 'bulk-%' AND user_tags @> $1::jsonb`, [tags({ env: 'prod' })]);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 1, dev: 26, uat: 1 } });
  // A whole retag of the fleet in one statement.
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb`, [tags({ env: 'prod' })]);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 28 } });
  // A rolled-back write leaves the counts as they were.
  await database.sql.query('BEGIN');
  await connection('gone', { env: 'dev' });
  await database.sql.query('ROLLBACK');
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 28 } });
  await database.sql.query(`DELETE FROM connections WHERE name = 'a-x'`);
  expect(await counts()).toEqual({ wrong: [], byEnv: { prod: 27 } });
  await database.sql.query(`TRUNCATE connections CASCADE`);
  expect(await counts()).toEqual({ wrong: [], byEnv: {} });
  // No count ever went negative (the CHECK would have failed the statement), and no signature outlived its connections.
  const { rows } = await database.sql.query<{ signatures: number; counts: number }>(
    `SELECT (SELECT count(*)::int FROM tag_signatures) AS signatures, (SELECT count(*)::int FROM signature_connection_counts) AS counts`,
  );
  expect(rows).toEqual([{ signatures: 0, counts: 0 }]);
});

/** The signature ids with exactly these user tags (none, or one). */
async function signaturesTagged(pairs: Record<string, string>): Promise<number[]> {
  const { rows } = await database.sql.query<{ id: number }>(`SELECT id FROM tag_signatures WHERE tags = $1::jsonb ORDER BY id`, [JSON.stringify(pairs)]);
  return rows.map((r) => r.id);
}

/** Two sessions of their own, for writes that overlap; `work` gets them and the time to let a blocked one block. */
async function twoSessions(work: (first: Client, second: Client, settle: () => Promise<void>) => Promise<void>): Promise<void> {
  const first = new Client({ connectionString: database.db.url });
  const second = new Client({ connectionString: database.db.url });
  await Promise.all([first.connect(), second.connect()]);
  try {
    await work(first, second, () => new Promise((resolve) => setTimeout(resolve, 150)));
  } finally {
    await Promise.all([first.end(), second.end()]);
  }
}

it('a connection retagged again and again leaves one signature, its current one', async () => {
  await connection('mover', { env: 'v1' });
  for (const version of ['v2', 'v3', 'v4']) {
    await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'mover'`, [tags({ env: version })]);
  }
  expect(await counts()).toEqual({ wrong: [], byEnv: { v4: 1 } });
  expect(await signaturesTagged({ env: 'v1' })).toEqual([]);
  await database.sql.query(`DELETE FROM connections WHERE name = 'mover'`);
  expect(await counts()).toEqual({ wrong: [], byEnv: {} });
});

it('a writer that takes the tags of a signature being dropped waits, then records them again', async () => {
  await connection('solo-1', { env: 'solo' });
  const [dropped] = await signaturesTagged({ env: 'solo' });
  await twoSessions(async (first, second, settle) => {
    await first.query('BEGIN');
    await first.query(`DELETE FROM connections WHERE name = 'solo-1'`); // drops the signature, not committed yet
    // Waits for the lock before it looks the signature up; without that wait it chose the doomed signature and
    // failed on a foreign key when it counted it.
    const pending = insertConnection(second, 'solo-2', { env: 'solo' });
    await settle();
    await first.query('COMMIT');
    await pending;
  });
  const recorded = await signaturesTagged({ env: 'solo' });
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).not.toBe(dropped);
  expect(await counts()).toEqual({ wrong: [], byEnv: { solo: 1 } });
});

it('the last connection leaving while another writer takes its tags keeps the signature', async () => {
  await connection('pair-1', { env: 'pair' });
  const kept = await signaturesTagged({ env: 'pair' });
  await twoSessions(async (first, second, settle) => {
    await second.query('BEGIN');
    await insertConnection(second, 'pair-2', { env: 'pair' }); // holds the lock until it commits
    const pending = first.query(`DELETE FROM connections WHERE name = 'pair-1'`);
    await settle();
    await second.query('COMMIT');
    await pending;
  });
  expect(await signaturesTagged({ env: 'pair' })).toEqual(kept);
  expect(await counts()).toEqual({ wrong: [], byEnv: { solo: 1, pair: 1 } });
});
