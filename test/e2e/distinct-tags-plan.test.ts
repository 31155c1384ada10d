/**
 * A fleet where every connection carries a tag of its own has one tag signature per connection: reading a set of
 * connections by signature then costs more than reading the roles' entries in `role_connections` (342 ms against a
 * few tens at a million connections, BENCHMARKS.md "A fleet of distinct tags"). A restricted caller's total, when
 * it is counted in SQL (caches off here), takes the signature branch only when signatures stand for many connections
 * each, by the planner's statistics, and gives the same exact total either way; so does `roleChangeImpact`'s test of
 * the affected holders. Plans, not timings (the answers' exactness in every branch is checked by the property tests).
 */
import { startTestGateway, type TestGateway } from '../support/gateway';
import { planNodes, type PlanNode } from '../support/plans';
import { seedRoles } from '../support/seed';

let gw: TestGateway;
let user: string;
let admin: string;

/** 2,000 connections; `distinct`: each also carries `cluster=<its own>`, so none shares its signature. */
async function seedFleet(distinct: boolean): Promise<void> {
  const ds = gw.gateway.dataSource;
  await ds.query(`DELETE FROM connections`);
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
     SELECT 'db-' || lpad(i::text, 5, '0'), 'host-' || i, 5432, 'monitor', 'v1.seed.none.none.none',
            jsonb_build_array(jsonb_build_object('key', 'env', 'value', (ARRAY['prod', 'dev', 'uat'])[1 + i % 3]),
                              jsonb_build_object('key', 'app', 'value', 'app-' || (i % 20)))
            || CASE WHEN $1 THEN jsonb_build_array(jsonb_build_object('key', 'cluster', 'value', 'cluster-' || i)) ELSE '[]'::jsonb END
       FROM generate_series(1, 2000) AS i`,
    [distinct],
  );
  await ds.query('VACUUM ANALYZE');
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  await seedRoles(gw.gateway.dataSource, [
    { name: 'app-3', access: [{ filters: [{ tag: 'app', value: 'app-3' }] }] },
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
  ]);
  await gw.gqlOk(
    `mutation { createUser(email: "two-roles@corp.example", input: { password: "two-roles-password-1", privilege: READ, roles: ["app-3", "prod"] }) { login } }`,
    {},
    (admin = await gw.token()),
  );
  user = await gw.token('two-roles', 'two-roles-password-1');
}, 120_000);
afterAll(() => gw?.stop());

/** The plan nodes that ran when the statement of the last request matching `pattern` is explained with ANALYZE. */
async function nodesThatRan(pattern: RegExp): Promise<PlanNode[]> {
  const i = gw.statements.findIndex((sql) => pattern.test(sql));
  const [row] = await gw.gateway.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${gw.statements[i]!}`, gw.statementParams[i]!);
  return planNodes(row).filter((n) => (n['Actual Loops'] ?? 0) > 0);
}

/** The dashboard's total, and the tables read by the statement that counted it. */
async function total(): Promise<{ totalCount: number; read: (string | undefined)[] }> {
  gw.resetStatements();
  const data = await gw.gqlOk<{ connections: { totalCount: number } }>(`{ connections(first: 1) { totalCount } }`, {}, user);
  return { totalCount: data.connections.totalCount, read: (await nodesThatRan(/batch_index/)).map((n) => n['Relation Name']) };
}

/** Who `roleChangeImpact` finds affected, and the tables read by the statement that found them. */
async function holders(): Promise<{ logins: string[]; read: (string | undefined)[] }> {
  gw.resetStatements();
  const data = await gw.gqlOk<{ roleChangeImpact: { affectedUsers: { login: string }[] } }>(
    `{ roleChangeImpact(name: "app-3", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { affectedUsers { login } } }`,
    {},
    admin,
  );
  return { logins: data.roleChangeImpact.affectedUsers.map((u) => u.login), read: (await nodesThatRan(/affected AS/)).map((n) => n['Relation Name']) };
}

// app-3 (i % 20 = 3: 100) or env=prod (i % 3 = 0: 666), 34 of them both: 732, and the same by a plain query.
const expected = async () =>
  Number((await gw.gateway.dataSource.query(`SELECT count(*)::int AS n FROM connections WHERE tags @> '{"app": "app-3"}' OR tags @> '{"env": "prod"}'`))[0].n);

// Signatures are never deleted (a stale one still costs its GIN entry), so the shared fleet comes first.
// app-3's connections outside prod (66) would leave it; prod, the holder's other role, does not cover them.
test.each([
  {
    fleet: 'shared signatures: the total is summed over the signatures the roles match; holders are tested on signatures',
    distinct: false,
    total: { reads: 'signature_connection_counts', skips: 'role_connections' },
    holders: { reads: 'tag_signatures', skips: 'connections' },
  },
  {
    fleet: 'a signature per connection: the total is counted on role_connections, holders on connections; the same answers',
    distinct: true,
    total: { reads: 'role_connections', skips: 'signature_connection_counts' },
    holders: { reads: 'connections', skips: 'tag_signatures' },
  },
])('$fleet', async (fleet) => {
  await seedFleet(fleet.distinct);
  const counted = await total();
  expect(counted.totalCount).toBe(await expected());
  expect(counted.totalCount).toBe(732);
  expect(counted.read).toContain(fleet.total.reads);
  expect(counted.read).not.toContain(fleet.total.skips);
  const affected = await holders();
  expect(affected.logins).toEqual(['two-roles']);
  expect(affected.read).toContain(fleet.holders.reads);
  expect(affected.read).not.toContain(fleet.holders.skips);
});
