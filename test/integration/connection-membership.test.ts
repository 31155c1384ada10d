/**
 * `role_connections` after writes to connections (the triggers of migrations RoleMembership and
 * RoleGroupSelectors) equals the access relation computed from scratch: every role against every connection,
 * a role holding a connection when one of its groups' selectors is contained in the connection's tags. Writes in
 * plain SQL, single rows and whole statements, with rules of every shape: one tag, AND groups, OR of groups, a
 * contradictory group (matches nothing), an empty group, an automatic tag; and rules changed between the writes.
 */
import { useTestDatabaseClient } from '../support/database';
import { seedRoles, userTagsJson } from '../support/seed';

const database = useTestDatabaseClient();

/** Pairs (role, connection, name) in one relation and not the other, both ways (must be none). */
async function differences(): Promise<{ missing: string[]; extra: string[]; held: number }> {
  const { rows } = await database.sql.query<{ side: string; pair: string }>(
    `WITH expected AS (
       SELECT r.id AS role_id, c.id AS connection_id, c.name FROM roles r JOIN connections c ON EXISTS (
         SELECT 1 FROM jsonb_array_elements(r.access) AS g WHERE ds_group_selector(g) IS NOT NULL AND c.tags @> ds_group_selector(g))),
     actual AS (SELECT role_id, connection_id, name FROM role_connections)
     SELECT 'missing' AS side, format('%s/%s', role_id, name) AS pair FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) m
     UNION ALL
     SELECT 'extra', format('%s/%s', role_id, name) FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) e
     UNION ALL
     SELECT 'held', count(*)::text FROM role_connections`,
  );
  const pairs = (side: string) => rows.filter((r) => r.side === side).map((r) => r.pair);
  return { missing: pairs('missing'), extra: pairs('extra'), held: Number(pairs('held')[0]) };
}

const filters = (pairs: Record<string, string>) => Object.entries(pairs).map(([tag, value]) => ({ tag, value }));

beforeAll(async () => {
  const roles = [];
  for (let i = 0; i < 6; i += 1) roles.push({ name: `app-${i}`, access: [{ filters: filters({ app: `app-${i}` }) }] });
  for (const env of ['prod', 'dev']) for (const dc of ['lyon', 'paris']) roles.push({ name: `${env}-${dc}`, access: [{ filters: filters({ env, dc }) }] });
  roles.push({ name: 'either', access: [{ filters: filters({ app: 'app-1', env: 'dev' }) }, { filters: filters({ team: 't2' }) }] });
  roles.push({ name: 'contradiction', access: [{ filters: [...filters({ env: 'prod' }), ...filters({ env: 'dev' })] }] });
  roles.push({ name: 'empty-group-or-team', access: [{ filters: [] }, { filters: filters({ team: 't1' }) }] });
  roles.push({ name: 'pg16', access: [{ filters: filters({ pg_version: '16' }) }] });
  roles.push({ name: 'one-host', access: [{ filters: filters({ server: 'db-7.example' }) }] });
  await seedRoles(database.sql, roles);
});

it('follows bulk inserts, bulk and single retags, renames, probed versions and deletions', async () => {
  const tagsOf = (i: number) => ({ app: `app-${i % 6}`, env: ['prod', 'dev', 'uat'][i % 3]!, dc: ['lyon', 'paris'][(i >> 1) % 2]!, team: `t${i % 4}` });
  await database.sql.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
     SELECT 'db-' || i, 'db-' || i || '.example', 5432, 'u', 'v1.x', t.tags
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(tags, i)`,
    [JSON.stringify(Array.from({ length: 120 }, (_, i) => JSON.parse(userTagsJson(tagsOf(i))) as unknown))],
  );
  const first = await differences();
  expect(first).toEqual({ missing: [], extra: [], held: first.held });
  expect(first.held).toBeGreaterThan(200);

  // One statement retagging a third of the fleet, some into and some out of every kind of rule.
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE id % 3 = 0`, [userTagsJson({ app: 'app-1', env: 'dev', team: 't1' })]);
  expect(await differences()).toMatchObject({ missing: [], extra: [] });
  // Single rows: a retag, a rename (role_connections keeps the name), a probed version (an automatic tag).
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'db-8'`, [userTagsJson({ env: 'prod', dc: 'lyon' })]);
  await database.sql.query(`UPDATE connections SET name = 'db-8-renamed' WHERE name = 'db-8'`);
  await database.sql.query(`UPDATE connections SET pg_version = '16.4' WHERE id % 5 = 0`);
  await database.sql.query(`UPDATE connections SET connected = true`);
  expect(await differences()).toMatchObject({ missing: [], extra: [] });
  // Rules change, then connections are written again: what a write reads of the roles (their stored selectors,
  // migration RoleGroupSelectors) follows every change of a rule, whoever makes it.
  await database.sql.query(`UPDATE roles SET access = $1::jsonb WHERE name = 'app-2'`, [JSON.stringify([{ filters: filters({ env: 'uat' }) }])]);
  await database.sql.query(`UPDATE roles SET access = access || $1::jsonb WHERE name = 'prod-lyon'`, [JSON.stringify([{ filters: filters({ team: 't3' }) }])]);
  await seedRoles(database.sql, [{ name: 'late', access: [{ filters: filters({ app: 'app-1', team: 't1' }) }] }]);
  await database.sql.query(`DELETE FROM roles WHERE name = 'app-3'`);
  expect(await differences()).toMatchObject({ missing: [], extra: [] });
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE id % 7 = 2`, [userTagsJson({ env: 'uat', team: 't3', app: 'app-3' })]);
  await database.sql.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'db-10'`, [userTagsJson({ app: 'app-1', team: 't1' })]);
  expect(await differences()).toMatchObject({ missing: [], extra: [] });
  await database.sql.query(`DELETE FROM connections WHERE id % 4 = 1`);
  const last = await differences();
  expect(last).toMatchObject({ missing: [], extra: [] });
  expect(last.held).toBeGreaterThan(100);
});
