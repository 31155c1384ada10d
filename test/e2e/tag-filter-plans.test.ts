/**
 * Which index answers which tag operator and order, on a fleet large enough for the planner to choose (20,000
 * connections, statistics gathered): the EXPLAIN of the very statement the gateway sends for a page. The plans found
 * here are the ones docs/dashboards.md ("Tag filters", "Ordering and paging") describes. Plans, not timings.
 */
import type { TagCondition } from '../../src/access/tag-conditions';
import { connectionPaging, encodeOrderCursor, type PagingInput } from '../../src/services/connections/order';
import type { ConnectionPageQuery } from '../../src/services/connection-queries';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
/** Set PRINT_PLANS=1 to print the plans in text form (as docs/dashboards.md quotes them). */
const PRINT = process.env.PRINT_PLANS === '1';

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  const ds = gw.gateway.dataSource;
  // env: 4 common values; team: 2,000 values (rare each); owner: on 1% of the fleet only.
  await ds.query(`
    INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, created_at, updated_at)
    SELECT 'db-' || lpad(i::text, 5, '0'), 'host-' || (i % 500), 5432, 'monitor', 'v1.seed.none.none.none',
           jsonb_build_array(jsonb_build_object('key', 'env', 'value', (ARRAY['prod', 'dev', 'uat', 'test'])[1 + i % 4]),
                             jsonb_build_object('key', 'team', 'value', 'team-' || (i % 2000)))
           || CASE WHEN i % 100 = 0 THEN jsonb_build_array(jsonb_build_object('key', 'owner', 'value', 'owner-' || i)) ELSE '[]'::jsonb END,
           now() - i * interval '1 minute', now() - i * interval '1 second'
      FROM generate_series(1, 20000) AS i`);
  // VACUUM as autovacuum would: it is what keeps the GIN statistics the planner costs an index scan with.
  await ds.query(`VACUUM ANALYZE connections`);
}, 120_000);
afterAll(() => gw?.stop());

/** The plan (EXPLAIN, JSON) of the statement a page of the unrestricted caller sends, as one text. */
async function planOf(tags: TagCondition[], paging: PagingInput = { first: 50 }): Promise<string> {
  const { services, dataSource } = gw.gateway;
  let plan = '';
  const explaining = {
    query: async (sql: string, params: unknown[]) => {
      const [row] = await dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      plan = JSON.stringify(row['QUERY PLAN']);
      if (PRINT) {
        const text: { 'QUERY PLAN': string }[] = await dataSource.query(`EXPLAIN (COSTS OFF) ${sql}`, params);
        console.log(`${JSON.stringify(tags)} ${JSON.stringify(paging)}\n${text.map((r) => r['QUERY PLAN']).join('\n')}`);
      }
      return [];
    },
  };
  const query: ConnectionPageQuery = { predicate: [], conditions: { tags }, page: connectionPaging(paging) };
  await services.connectionQueries.pages(explaining as never, [query]);
  return plan;
}

const indexesIn = (plan: string) => [...new Set([...plan.matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1]))].sort();

test('EQ and IN: the jsonb_path_ops GIN index (containment), IN as a BitmapOr', async () => {
  expect(indexesIn(await planOf([{ key: 'team', op: 'EQ', values: ['team-7'] }]))).toEqual(['connections_tags_gin']);
  const inPlan = await planOf([{ key: 'team', op: 'IN', values: ['team-7', 'team-8', 'team-9'] }]);
  expect(indexesIn(inPlan)).toEqual(['connections_tags_gin']);
  expect(inPlan).toContain('BitmapOr');
});

test('EXISTS and PREFIX: the jsonb_ops GIN index (key existence), PREFIX checking values on the rows found', async () => {
  expect(indexesIn(await planOf([{ key: 'owner', op: 'EXISTS' }]))).toEqual(['connections_tags_keys_gin']);
  const prefix = await planOf([{ key: 'owner', op: 'PREFIX', values: ['owner-1'] }]);
  expect(indexesIn(prefix)).toEqual(['connections_tags_keys_gin']);
  expect(prefix).toContain('starts_with');
});

test('negations are checked on rows another index yields (here the name order), never by a scan of the table', async () => {
  const plan = await planOf([{ key: 'env', op: 'NEQ', values: ['prod'] }]);
  expect(plan).not.toContain('"Node Type":"Seq Scan"');
  expect(indexesIn(plan)).toEqual(['connections_name_key']);
});

test.each([
  ['HOST', 'connections_host_order_idx'],
  ['CREATED_AT', 'connections_created_at_order_idx'],
  ['UPDATED_AT', 'connections_updated_at_order_idx'],
] as const)('orderBy %s reads %s, in both directions and after a cursor', async (field, index) => {
  const key = field === 'HOST' ? 'host-250' : '2026-01-01T00:00:00.000000Z';
  for (const direction of ['ASC', 'DESC'] as const) {
    const orderBy = { field, direction };
    const after = encodeOrderCursor(orderBy, { key, name: 'db-10000' });
    for (const paging of [
      { first: 50, orderBy },
      { first: 50, after, orderBy },
      { last: 50, before: after, orderBy },
    ]) {
      const plan = await planOf([], paging);
      expect(indexesIn(plan)).toEqual([index]);
      expect(plan).not.toContain('"Node Type":"Sort"');
    }
  }
});
