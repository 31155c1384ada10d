/**
 * The plan of `explainAccess`'s statement once statistics are gathered on a fleet of a few thousand connections:
 * whether the user's roles hold the connection must be probed through `role_connections`' index, never answered by
 * reading and hashing the whole relation (a hashed subplan: 80 ms per request at 10k connections in the bench, where
 * the planner's default of 100 groups per role made it look cheaper). Plans, not timings.
 */
import { EXPLAIN_SQL } from '../../src/services/governance/explain';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { planNodes } from '../support/plans';
import { seedRoles, seedUsers } from '../support/seed';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  const ds = gw.gateway.dataSource;
  await ds.query(`
    INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
    SELECT 'db-' || lpad(i::text, 5, '0'), 'host-' || (i % 50), 5432, 'monitor', 'v1.seed.none.none.none',
           jsonb_build_array(jsonb_build_object('key', 'env', 'value', (ARRAY['prod', 'dev'])[1 + i % 2]),
                             jsonb_build_object('key', 'team', 'value', 'team-' || (i % 3)))
      FROM generate_series(1, 3000) AS i`);
  const roles = [
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
    { name: 'team-0', access: [{ filters: [{ tag: 'team', value: 'team-0' }] }] },
    {
      name: 'dev-team-1',
      access: [
        {
          filters: [
            { tag: 'env', value: 'dev' },
            { tag: 'team', value: 'team-1' },
          ],
        },
        { filters: [{ tag: 'team', value: 'team-2' }] },
      ],
    },
  ];
  await seedRoles(ds, roles);
  await seedUsers(ds, [{ email: 'plan@corp.example', roles: roles.map((r) => r.name) }]);
  await ds.query('VACUUM ANALYZE');
}, 120_000);
afterAll(() => gw?.stop());

test('the roles are checked against the connection by index probes, not by hashing role_connections', async () => {
  const ds = gw.gateway.dataSource;
  const [{ rows }] = await ds.query(`SELECT count(*)::int AS rows FROM role_connections`);
  expect(rows).toBeGreaterThan(3000);
  const [{ id: userId }] = await ds.query(`SELECT id FROM users WHERE login = 'plan'`);
  const [{ id: connectionId }] = await ds.query(`SELECT id FROM connections WHERE name = 'db-00007'`);
  const [row] = await ds.query(`EXPLAIN (FORMAT JSON) ${EXPLAIN_SQL}`, [userId, connectionId]);
  const nodes = planNodes(row);
  const onRoleConnections = nodes.filter((n) => n['Relation Name'] === 'role_connections');
  expect(onRoleConnections.length).toBeGreaterThan(0);
  expect(onRoleConnections.map((n) => [n['Node Type'], n['Index Name']])).toEqual(
    onRoleConnections.map(() => [expect.stringMatching(/^Index (Only )?Scan$/), 'role_connections_connection_idx']),
  );
  expect(nodes.filter((n) => /hashed/i.test(n['Subplan Name'] ?? ''))).toEqual([]);
  // The statement still answers: db-00007 (odd: dev, team-1) is held through dev-team-1's first group only.
  const answer: { role: string; grp: number; matched: boolean; role_holds: boolean }[] = await ds.query(EXPLAIN_SQL, [userId, connectionId]);
  expect(answer.map(({ role, grp, matched, role_holds }) => ({ role, grp, matched, role_holds }))).toEqual([
    { role: 'dev-team-1', grp: 0, matched: true, role_holds: true },
    { role: 'dev-team-1', grp: 1, matched: false, role_holds: true },
    { role: 'prod', grp: 0, matched: false, role_holds: false },
    { role: 'team-0', grp: 0, matched: false, role_holds: false },
  ]);
});
