/**
 * signature_connection_counts (migration SignatureConnectionCounts) equals the number of connections of each tag
 * signature after every kind of write to connections, whoever makes it (plain SQL here), including writes that
 * leave the signature alone and statements that move connections between signatures in both directions.
 */
import { useTestDatabaseClient } from '../support/database';
import { insertConnection, userTagsJson } from '../support/seed';

const database = useTestDatabaseClient();

/**
 * Signatures whose maintained count differs from their connections (must be none), and the non-zero counts by
 * the signature's `env` tag (for readable expectations).
 */
async function counts(): Promise<{ wrong: number[]; byEnv: Record<string, number> }> {
  const { rows } = await database.sql.query<{ id: number; env: string; maintained: number; actual: number }>(
    `SELECT s.id, coalesce(s.tags->>'env', '-') AS env, coalesce(sc.connection_count, 0) AS maintained,
            (SELECT count(*)::int FROM connections c WHERE c.signature_id = s.id) AS actual
       FROM tag_signatures s LEFT JOIN signature_connection_counts sc ON sc.signature_id = s.id ORDER BY s.id`,
  );
  const byEnv: Record<string, number> = {};
  for (const row of rows) if (row.actual > 0) byEnv[row.env] = (byEnv[row.env] ?? 0) + row.actual;
  return { wrong: rows.filter((r) => r.maintained !== r.actual).map((r) => r.id), byEnv };
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
  // No count ever goes negative (the CHECK would fail the statement), and emptied signatures keep their row at 0.
  const { rows } = await database.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM signature_connection_counts WHERE connection_count <> 0`);
  expect(rows).toEqual([{ n: 0 }]);
});
