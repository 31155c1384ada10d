/**
 * role_connection_counts (migration RoleConnectionCounts) equals the number of each role's rows in role_connections
 * after every kind of write that changes the access relation, whoever makes it (plain SQL here).
 */
import { useTestDatabaseClient } from '../support/database';
import { insertConnection, userTagsJson } from '../support/seed';

const database = useTestDatabaseClient();

/** Roles whose maintained count differs from their rows (must be none), with the counts of the others. */
async function counts(): Promise<{ wrong: string[]; byRole: Record<string, number> }> {
  const { rows } = await database.sql.query<{ name: string; maintained: number; actual: number }>(
    `SELECT r.name, coalesce(c.connection_count, 0) AS maintained, (SELECT count(*)::int FROM role_connections rc WHERE rc.role_id = r.id) AS actual
       FROM roles r LEFT JOIN role_connection_counts c ON c.role_id = r.id ORDER BY r.name`,
  );
  return { wrong: rows.filter((r) => r.maintained !== r.actual).map((r) => r.name), byRole: Object.fromEntries(rows.map((r) => [r.name, r.actual])) };
}

const tags = userTagsJson;
const connection = (name: string, pairs: Record<string, string>) => insertConnection(database.sql, name, pairs);

it('follows creations, retags, renames, rule changes and deletions', async () => {
  await database.sql.query(
    `INSERT INTO roles (name, access) VALUES ('prod', '[{"filters":[{"tag":"env","value":"prod"}]}]'), ('lyon', '[{"filters":[{"tag":"dc","value":"lyon"}]}]')`,
  );
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 0, prod: 0 } });
  await connection('a', { env: 'prod', dc: 'lyon' });
  await connection('b', { env: 'prod' });
  await connection('c', { env: 'dev', dc: 'lyon' });
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 2, prod: 2 } });
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'b'`, [tags({ env: 'dev', dc: 'lyon' })]);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 3, prod: 1 } });
  await database.sql.query(`UPDATE connections SET name = 'a2' WHERE name = 'a'`);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 3, prod: 1 } });
  await database.sql.query(`UPDATE roles SET access = '[{"filters":[{"tag":"env","value":"dev"}]}]' WHERE name = 'prod'`);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 3, prod: 2 } });
  await database.sql.query(`DELETE FROM connections WHERE name = 'c'`);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 2, prod: 1 } });
  await database.sql.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
                   SELECT 'bulk-' || i, 'h', 5432, 'u', 'v1.x', $1::jsonb FROM generate_series(1, 50) AS i`,
    [tags({ env: 'dev', dc: 'lyon' })],
  );
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 52, prod: 51 } });
  await database.sql.query(`DELETE FROM roles WHERE name = 'prod'`);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 52 } });
  // The deleted role's row stays, at 0.
  expect((await database.sql.query(`SELECT connection_count FROM role_connection_counts WHERE role_id NOT IN (SELECT id FROM roles)`)).rows).toEqual([
    { connection_count: 0 },
  ]);
  await database.sql.query(`DELETE FROM connections`);
  expect(await counts()).toEqual({ wrong: [], byRole: { lyon: 0 } });
});
