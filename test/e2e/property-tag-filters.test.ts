/**
 * Tag conditions (`ConnectionFilter.tags`) against an oracle: for random worlds (connections with random user and
 * automatic tags, roles, a caller holding some of them or none) and random conditions, `connections(filter)` and the
 * tag summary `tags(filter)` answer exactly what this file computes over the caller's visible set in plain set logic
 * (nothing from src/access is imported). A filter never reveals anything: visibility applies first.
 * `PROPERTY_RUNS` (default 40) and `PROPERTY_SEED` tune a run.
 */
import fc from 'fast-check';
import { errorCode, startTestGateway, type TestGateway } from '../support/gateway';
import { seedConnections, seedRoles } from '../support/seed';

const VALUES: Record<string, readonly string[]> = { env: ['prod', 'Prod', 'dev', 'prod-eu'], dc: ['lyon', 'paris'], team: ['a', 'b', 'ab'] };
const HOSTS = ['db1', 'db2', 'pg.example'] as const;
const VERSIONS = ['16.4', '17.2'] as const;
const KEYS = [...Object.keys(VALUES), 'server', 'pg_version', 'pg_instance', 'absent'] as const;
const OPS = ['EQ', 'NEQ', 'IN', 'NOT_IN', 'EXISTS', 'NOT_EXISTS', 'PREFIX'] as const;
type Op = (typeof OPS)[number];

interface Conn {
  name: string;
  host: string;
  tags: Record<string, string>;
  pgVersion: string | null;
}
interface Condition {
  key: string;
  op: Op;
  values?: string[];
}
type Group = { tag: string; value: string }[];
interface World {
  connections: Conn[];
  roles: Group[][];
  held: number[];
  conditions: Condition[][];
}

const allTags = (c: Conn): Record<string, string> => ({
  ...c.tags,
  pg_instance: `${c.host}@${c.name}`,
  server: c.host,
  ...(c.pgVersion ? { pg_version: c.pgVersion } : {}),
});

// ------------------------------------------------------------------------------------------------ oracle

function visibleTo(world: World): Conn[] {
  if (world.held.length === 0) return world.connections;
  return world.connections.filter((c) => {
    const tags = allTags(c);
    return world.held.some((r) => world.roles[r]!.some((group) => group.every((f) => tags[f.tag] === f.value)));
  });
}

function holds(c: Conn, { key, op, values = [] }: Condition): boolean {
  const tags = allTags(c);
  const has = Object.prototype.hasOwnProperty.call(tags, key);
  const value = tags[key];
  switch (op) {
    case 'EQ':
      return has && value === values[0];
    case 'NEQ':
      return !(has && value === values[0]);
    case 'IN':
      return has && values.includes(value!);
    case 'NOT_IN':
      return !(has && values.includes(value!));
    case 'EXISTS':
      return has;
    case 'NOT_EXISTS':
      return !has;
    case 'PREFIX':
      return has && value!.startsWith(values[0]!);
  }
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function summaryOf(connections: Conn[]): { key: string; values: { value: string; count: number }[] }[] {
  const counts = new Map<string, Map<string, number>>();
  for (const c of connections) {
    for (const [k, v] of Object.entries(allTags(c))) {
      if (!counts.has(k)) counts.set(k, new Map());
      counts.get(k)!.set(v, (counts.get(k)!.get(v) ?? 0) + 1);
    }
  }
  return [...counts.keys()].sort(byCodeUnits).map((key) => ({
    key,
    values: [...counts.get(key)!].sort(([a], [b]) => byCodeUnits(a, b)).map(([value, count]) => ({ value, count })),
  }));
}

// ------------------------------------------------------------------------------------------------ generators

const valuesFor = (key: string): readonly string[] =>
  VALUES[key] ?? (key === 'server' ? HOSTS : key === 'pg_version' ? VERSIONS : key === 'pg_instance' ? ['db1@c0', 'db2@c1', 'pg.example@c2'] : ['x']);
const valueArb = (key: string) => fc.oneof(fc.constantFrom(...valuesFor(key)), fc.constantFrom('p', 'pr', 'd', 'db', '1', 'zz'));

const connectionArb = (i: number) =>
  fc.record({
    name: fc.constant(`c${i}`),
    host: fc.constantFrom(...HOSTS),
    tags: fc
      .subarray(Object.keys(VALUES))
      .chain((keys) => fc.tuple(...keys.map((k) => fc.constantFrom(...VALUES[k]!).map((v) => [k, v] as const))).map((pairs) => Object.fromEntries(pairs))),
    pgVersion: fc.option(fc.constantFrom(...VERSIONS), { nil: null }),
  });

const filterArb = fc.constantFrom(...KEYS.filter((k) => k !== 'absent')).chain((tag) => fc.constantFrom(...valuesFor(tag)).map((value) => ({ tag, value })));
const groupArb = fc.array(filterArb, { minLength: 1, maxLength: 2 });

const conditionArb: fc.Arbitrary<Condition> = fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...OPS)).chain(([key, op]): fc.Arbitrary<Condition> => {
  if (op === 'EXISTS' || op === 'NOT_EXISTS') return fc.constant({ key, op });
  if (op === 'IN' || op === 'NOT_IN') return fc.uniqueArray(valueArb(key), { minLength: 1, maxLength: 3 }).map((values) => ({ key, op, values }));
  return valueArb(key).map((value) => ({ key, op, values: [value] }));
});

const worldArb: fc.Arbitrary<World> = fc
  .tuple(
    fc.integer({ min: 0, max: 10 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => connectionArb(i)))),
    fc.array(fc.array(groupArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
  )
  .chain(([connections, roles]) =>
    fc.record({
      connections: fc.constant(connections as Conn[]),
      roles: fc.constant(roles),
      held: fc.subarray(roles.map((_, i) => i)),
      conditions: fc.array(fc.array(conditionArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
    }),
  );

// ------------------------------------------------------------------------------------------------ the gateway side

let gw: TestGateway;
let token: string;
let userId: number;

beforeAll(async () => {
  // No principal cache: each world's role assignment applies to the next request.
  gw = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  const admin = await gw.token();
  await gw.gqlOk(
    `mutation { createUser(email: "viewer@corp.test", input: { password: "viewer-password-1", privilege: READ, profile: DEVELOPER }) { id } }`,
    {},
    admin,
  );
  token = await gw.token('viewer', 'viewer-password-1');
  [{ id: userId }] = await gw.gateway.dataSource.query(`SELECT id FROM users WHERE login = 'viewer'`);
});
afterAll(() => gw?.stop());

async function load(world: World): Promise<void> {
  const ds = gw.gateway.dataSource;
  await ds.query(`DELETE FROM user_roles WHERE user_id = $1`, [userId]);
  await ds.query(`DELETE FROM roles`);
  await ds.query(`DELETE FROM connections`);
  await seedConnections(
    ds,
    world.connections.map((c) => ({ name: c.name, host: c.host, tags: c.tags })),
  );
  for (const c of world.connections) if (c.pgVersion) await ds.query(`UPDATE connections SET pg_version = $2 WHERE name = $1`, [c.name, c.pgVersion]);
  await seedRoles(
    ds,
    world.roles.map((groups, i) => ({ name: `r${i}`, access: groups.map((filters) => ({ filters })) })),
  );
  if (world.held.length) {
    await ds.query(`INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = ANY($2::text[])`, [userId, world.held.map((i) => `r${i}`)]);
  }
}

const QUERY = `query($filter: ConnectionFilter, $orderBy: ConnectionOrder) {
  connections(first: 500, filter: $filter, orderBy: $orderBy) { totalCount nodes { name } }
  tags(filter: $filter) { key values { value count } }
}`;

test('tag conditions answer the oracle over the visible set, in lists and in the tag summary', async () => {
  let checks = 0;
  await fc.assert(
    fc.asyncProperty(worldArb, async (world) => {
      await load(world);
      const visible = visibleTo(world);
      for (const conditions of world.conditions) {
        const expected = visible.filter((c) => conditions.every((cond) => holds(c, cond)));
        const data = await gw.gqlOk<any>(QUERY, { filter: { tags: conditions }, orderBy: { field: 'HOST', direction: 'DESC' } }, token);
        const names = expected.sort((a, b) => byCodeUnits(b.host, a.host) || byCodeUnits(b.name, a.name)).map((c) => c.name);
        expect({ conditions, names: data.connections.nodes.map((n: { name: string }) => n.name) }).toEqual({ conditions, names });
        expect(data.connections.totalCount).toBe(expected.length);
        expect({ conditions, tags: data.tags }).toEqual({ conditions, tags: summaryOf(expected) });
        checks += 1;
      }
    }),
    {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 40),
      ...(process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED) } : {}),
    },
  );
  expect(checks).toBeGreaterThan(0);
});

test('conditions combine with the other filter fields (AND), and bad conditions are BAD_USER_INPUT naming the condition', async () => {
  await load({
    connections: [
      { name: 'a', host: 'db1', tags: { env: 'prod' }, pgVersion: '16.4' },
      { name: 'b', host: 'db2', tags: { env: 'prod' }, pgVersion: null },
      { name: 'c', host: 'db1', tags: {}, pgVersion: null },
    ],
    roles: [],
    held: [],
    conditions: [],
  });
  const names = async (filter: unknown) =>
    (await gw.gqlOk<any>(`query($f: ConnectionFilter) { connections(filter: $f) { nodes { name } } }`, { f: filter }, token)).connections.nodes.map(
      (n: { name: string }) => n.name,
    );
  expect(await names({ search: 'db1', tags: [{ key: 'env', op: 'EQ', values: ['prod'] }] })).toEqual(['a']);
  expect(await names({ tags: [{ key: 'env', op: 'NEQ', values: ['prod'] }] })).toEqual(['c']);
  expect(
    await names({
      tags: [
        { key: 'env', op: 'NEQ', values: ['dev'] },
        { key: 'env', op: 'EXISTS' },
      ],
    }),
  ).toEqual(['a', 'b']);
  expect(await names({ tags: [{ key: 'pg_version', op: 'PREFIX', values: ['16'] }], access: [{ filters: [{ tag: 'server', value: 'db1' }] }] })).toEqual(['a']);
  // A key that is special to JavaScript objects is a plain key here (no prototype trick turns a condition into `{}`).
  expect(await names({ tags: [{ key: '__proto__', op: 'EQ', values: ['x'] }] })).toEqual([]);
  expect(await names({ tags: [{ key: '__proto__', op: 'NEQ', values: ['x'] }] })).toEqual(['a', 'b', 'c']);
  const bad = await gw.gql(`{ connections(filter: { tags: [{ key: "env", op: EXISTS }, { key: "env", op: IN, values: [] }] }) { totalCount } }`, {}, token);
  expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  expect(bad.errors![0]!.message).toBe('filter.tags[1]: IN takes 1 to 100 values (got 0)');
  expect(bad.errors![0]!.extensions!.field).toBe('filter.tags[1]');
  const summary = await gw.gql(`{ tags(filter: { tags: [{ key: "env", op: EQ, values: ["a", "b"] }] }) { key } }`, {}, token);
  expect(bad.errors![0]!.extensions!.code).toBe(errorCode(summary));
});
