/**
 * The plans of `roleChangeImpact`'s statements when both rules are decided by tag signatures: who is affected is
 * found on `tag_signatures` (the statement never reads `connections`), and the removed page is read from the role's
 * matches in name order (`role_connections`' index), not by fetching and sorting every connection the stored rule
 * matches. Before, the affected holders' statement built the GIN bitmap of every connection the new rule matched (33
 * of its 34 ms at a million connections, BENCHMARKS.md). Plans, not timings; the answers are checked by
 * test/e2e/property-governance.test.ts.
 */
import { startTestGateway, type TestGateway } from '../support/gateway';
import { planNodes, type PlanNode } from '../support/plans';
import { seedRoles, seedUsers } from '../support/seed';

let gw: TestGateway;
let admin: string;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  const ds = gw.gateway.dataSource;
  await ds.query(`
    INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
    SELECT 'db-' || lpad(i::text, 5, '0'), 'host-' || (i % 50), 5432, 'monitor', 'v1.seed.none.none.none',
           jsonb_build_array(jsonb_build_object('key', 'env', 'value', (ARRAY['prod', 'dev'])[1 + i % 2]),
                             jsonb_build_object('key', 'app', 'value', 'app-' || (i % 20)))
      FROM generate_series(1, 3000) AS i`);
  await seedRoles(ds, [
    { name: 'app-6', access: [{ filters: [{ tag: 'app', value: 'app-6' }] }] },
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
  ]);
  await seedUsers(ds, [
    { email: 'alone@corp.example', roles: ['app-6'] },
    { email: 'with-prod@corp.example', roles: ['app-6', 'prod'] },
  ]);
  await ds.query('VACUUM ANALYZE');
}, 120_000);
afterAll(() => gw?.stop());

async function plansOf(query: string): Promise<{ sql: string; nodes: PlanNode[] }[]> {
  gw.resetStatements();
  const data = await gw.gqlOk<{ roleChangeImpact: { affectedUsers: { login: string }[]; removed: { nodes: { name: string }[] } } }>(query, {}, admin);
  expect(data.roleChangeImpact.affectedUsers.map((u) => u.login)).toEqual(['alone', 'with-prod']);
  expect(data.roleChangeImpact.removed.nodes).toHaveLength(10);
  const statements = gw.statements.map((sql, i) => ({ sql, params: gw.statementParams[i]! }));
  const plans = [];
  for (const { sql, params } of statements.filter((s) => /affected AS|batch_index/.test(s.sql))) {
    const [row] = await gw.gateway.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
    plans.push({ sql, nodes: planNodes(row) });
  }
  return plans;
}

test('affected holders are found on signatures, and the removed page from the role index', async () => {
  // app-6 (150 connections, all in prod) becomes env=dev: 1,500 added, 150 removed.
  const plans = await plansOf(`{ roleChangeImpact(name: "app-6", access: [{ filters: [{ tag: "env", value: "dev" }] }]) {
    removed(first: 10) { nodes { name } } affectedUsers { login } } }`);
  const holders = plans.find((p) => /affected AS/.test(p.sql))!;
  const page = plans.find((p) => /batch_index/.test(p.sql))!;
  // (A holder whose other roles name a per-connection key is tested on connections: property-governance.test.ts.)
  expect(holders.nodes.filter((n) => n['Relation Name'] === 'connections' && (n['Actual Loops'] ?? 0) > 0)).toEqual([]);
  expect(holders.nodes.some((n) => n['Relation Name'] === 'tag_signatures' && (n['Actual Loops'] ?? 0) > 0)).toBe(true);
  const onConnections = page.nodes.filter((n) => n['Relation Name'] === 'connections' && (n['Actual Loops'] ?? 0) > 0);
  expect(onConnections.map((n) => n['Node Type'])).not.toContain('Bitmap Heap Scan');
  expect(page.nodes.some((n) => n['Relation Name'] === 'role_connections' && n['Index Name'] === 'role_connections_pkey')).toBe(true);
});
