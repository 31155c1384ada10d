/**
 * N+1 guard: the number of SQL statements for nested queries must not grow with the number of rows. Deterministic
 * (counts statements, never times them).
 */
import type { GraphQLObjectType } from 'graphql';
import { CONNECTION_RESOLVER_PROPS } from '../../src/graphql/connection-projection';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { seedConnections, seedRoles, seedUsers } from '../support/seed';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  // The principal cache is off here so that every request resolves its caller the same way (one statement);
  // otherwise a hit or a miss, which depends on notifications from the seeding, would change the count.
  gw = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  token = await gw.token();
});
afterAll(() => gw.stop());

let worldSize = 0;
/** Grows the world to `roles` roles, each with 2 users (each holding 2 roles) and 3 connections. */
async function growWorld(roles: number): Promise<void> {
  const ds = gw.gateway.dataSource;
  const from = worldSize;
  const names = Array.from({ length: roles - from }, (_, i) => `role-${String(from + i).padStart(3, '0')}`);
  await seedRoles(
    ds,
    names.map((name) => ({ name, access: [{ filters: [{ tag: 'team', value: name }] }, { filters: [{ tag: 'env', value: 'shared' }] }] })),
  );
  await seedConnections(
    ds,
    names.flatMap((name) => [0, 1, 2].map((k) => ({ name: `${name}-db${k}`, tags: { team: name, env: k === 0 ? 'shared' : 'prod' } }))),
  );
  await seedUsers(
    ds,
    names.flatMap((name, i) => [0, 1].map((k) => ({ email: `u${from + i}-${k}@corp.test`, roles: [name, names[(i + 1) % names.length]!] }))),
  );
  worldSize = roles;
}

async function countStatements(query: string, variables: Record<string, unknown> = {}): Promise<{ count: number; data: any }> {
  gw.resetStatements();
  const data = await gw.gqlOk(query, variables, token);
  return { count: gw.statements.length, data };
}

const NESTED_ADMIN = `{
  roles {
    name
    connectionCount
    connections(first: 5) { totalCount nodes { name tags { key value } } }
    users { login roles { name connectionCount } permissions { administer } connections(first: 2) { totalCount } }
  }
}`;

const DASHBOARD = `query($first: Int) {
  me { login restricted roles { name } }
  connections(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name tags { key value automatic } } } }
}`;

test('the nested administrator query costs the same number of statements for 3 roles and for 40', async () => {
  await growWorld(3);
  const small = await countStatements(NESTED_ADMIN);
  expect(small.data.roles).toHaveLength(3);
  await growWorld(40);
  const large = await countStatements(NESTED_ADMIN);
  expect(large.data.roles).toHaveLength(40);
  expect(large.data.roles[0].users[0].roles.length).toBe(2);
  expect(large.count).toBe(small.count);
  // caller, roles, users of roles, roles of users, one batched count, one batched page per nesting level
  expect(large.count).toBeLessThanOrEqual(9);
});

test('the dashboard query costs the same number of statements for a page of 1 and a page of 100', async () => {
  if (worldSize < 40) await growWorld(40);
  const one = await countStatements(DASHBOARD, { first: 1 });
  const hundred = await countStatements(DASHBOARD, { first: 100 });
  expect(one.data.connections.edges).toHaveLength(1);
  expect(hundred.data.connections.edges).toHaveLength(100);
  expect(hundred.count).toBe(one.count);
  // caller, me, the page, its count, my roles
  expect(hundred.count).toBeLessThanOrEqual(5);
});

test('users of roles selected by plain fields read only those columns, and answer as whole rows do', async () => {
  if (worldSize < 40) await growWorld(40);
  const usersStatement = () => gw.statements.filter((sql) => /FROM user_roles ur JOIN users u/.test(sql));
  const narrow = await countStatements(`{ roles { name users { login email } } }`);
  expect(usersStatement()).toHaveLength(1);
  const select = usersStatement()[0]!.split('FROM')[0]!;
  expect(select).toMatch(/u\.login/);
  expect(select).not.toMatch(/u\.privilege|u\.profile|u\.comment|u\.created_at|u\.password/);
  // A field with its own resolver (restricted) needs whole rows; the plain fields then read the same.
  const whole = await countStatements(`{ roles { name users { login email restricted } } }`);
  expect(usersStatement()[0]!.split('FROM')[0]).toMatch(/u\.privilege/);
  const plainOf = (data: any) => data.roles.map((r: any) => ({ name: r.name, users: r.users.map((u: any) => ({ login: u.login, email: u.email })) }));
  expect(narrow.data.roles.length).toBe(40);
  expect(narrow.data.roles.every((r: any) => r.users.length > 0)).toBe(true);
  expect(plainOf(narrow.data)).toEqual(plainOf(whole.data));
  // @include decides at run time: whole rows, and the answer follows the variable.
  const conditional = await gw.gqlOk(`query($x: Boolean!) { roles { users { login email @include(if: $x) } } }`, { x: false }, token);
  expect(conditional.roles[0].users[0]).toEqual({ login: narrow.data.roles[0].users[0].login });
});

test('a page reads only the connection columns its selection needs, and answers as whole rows do', async () => {
  if (worldSize < 40) await growWorld(40);
  const pageStatement = () =>
    gw.statements.filter((sql) => /AS batch_index, .*FROM \(/.test(sql) || /AS batch_index, c\./.test(sql)).filter((sql) => !/count\(/.test(sql));
  const fields = `name host port user connected tagString tags { key value automatic }`;
  const narrow = await countStatements(`{ connections(first: 30) { totalCount pageInfo { endCursor } nodes { ${fields} } edges { cursor } } }`);
  const select = pageStatement()[0]!;
  for (const column of ['c.name', 'c.host', 'c.port', 'c.username', 'c.connected', 'c.user_tags', 'c.pg_version']) expect(select).toContain(column);
  for (const column of ['c.tags', 'c.collection_rate', 'c.last_probe_error', 'c.query_monitoring', 'c.created_at', 'c.password_encrypted'])
    expect(select).not.toContain(column);
  // @include decided at run time: whole rows, same answer.
  const whole = await countStatements(
    `query($x: Boolean!) { connections(first: 30) { totalCount pageInfo { endCursor } nodes { ${fields} pgVersion @include(if: $x) } edges { cursor } } }`,
    { x: false },
  );
  expect(pageStatement()[0]).toContain('c.collection_rate');
  expect(narrow.data.connections.nodes).toHaveLength(30);
  expect(narrow.data).toEqual(whole.data);
});

test('every Connection field with its own resolver is listed with the properties it reads', async () => {
  const type = (await buildGatewaySchema()).getType('Connection') as GraphQLObjectType;
  const withResolvers = Object.values(type.getFields())
    .filter((f) => f.resolve)
    .map((f) => f.name)
    .sort();
  expect(Object.keys(CONNECTION_RESOLVER_PROPS).sort()).toEqual(withResolvers);
});

test('a page of connections with their roles and audience costs the same number of statements for 2 connections and for 100', async () => {
  if (worldSize < 40) await growWorld(40);
  const query = `query($first: Int) {
    connections(first: $first) { nodes { name roles { name connectionCount } visibleTo(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { login roles { name } } } } }
  }`;
  type Answer = { connections: { nodes: { roles: unknown[]; visibleTo: { totalCount: number } }[] } };
  const two = await countStatements(query, { first: 2 });
  const hundred = await countStatements(query, { first: 100 });
  expect((two.data as Answer).connections.nodes).toHaveLength(2);
  const nodes = (hundred.data as Answer).connections.nodes;
  expect(nodes).toHaveLength(100);
  // Every connection has at least its team's role, and users who see it.
  expect(nodes.every((c) => c.roles.length > 0 && c.visibleTo.totalCount > 0)).toBe(true);
  expect(hundred.count).toBe(two.count);
  // caller, the page, roles of the connections, their counts, the audience pages, their counts, roles of those users
  expect(hundred.count).toBeLessThanOrEqual(7);
});

test('an impact preview costs a constant number of statements', async () => {
  if (worldSize < 40) await growWorld(40);
  const query = `{ roleChangeImpact(name: "role-000", access: [{ filters: [{ tag: "env", value: "prod" }] }]) {
    addedCount removedCount added(first: 20) { totalCount nodes { name } } removed(first: 20) { totalCount nodes { name } } affectedUsers { login }
  } }`;
  const answer = await countStatements(query);
  const impact = (answer.data as { roleChangeImpact: { addedCount: number; removedCount: number; affectedUsers: unknown[] } }).roleChangeImpact;
  expect(impact.addedCount).toBeGreaterThan(20);
  expect(impact.removedCount).toBeGreaterThan(0);
  expect(impact.affectedUsers.length).toBeGreaterThan(0);
  // caller, the role, the batched pages, the batched counts, the affected users
  expect(answer.count).toBeLessThanOrEqual(5);
});

test('nodes(ids) costs the same number of statements for 3 connections and for 100, and for every type at once', async () => {
  if (worldSize < 40) await growWorld(40);
  const everything = await countStatements(`{ connections(first: 100) { nodes { id } } roles { id } users { id } }`);
  const connectionIds: string[] = everything.data.connections.nodes.map((n: { id: string }) => n.id);
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Connection { name tags { key value } } ... on Role { name } ... on User { login } } }`;
  const three = await countStatements(NODES, { ids: connectionIds.slice(0, 3) });
  const hundred = await countStatements(NODES, { ids: connectionIds });
  expect(three.data.nodes).toHaveLength(3);
  expect(hundred.data.nodes.filter((n: unknown) => n !== null)).toHaveLength(100);
  expect(hundred.count).toBe(three.count);
  // caller, one batched lookup
  expect(hundred.count).toBeLessThanOrEqual(2);
  const mixedIds = [
    ...connectionIds.slice(0, 50),
    ...everything.data.roles.map((r: { id: string }) => r.id),
    ...everything.data.users.map((u: { id: string }) => u.id),
  ];
  const mixed = await countStatements(NODES, { ids: mixedIds });
  expect(mixed.data.nodes.every((n: unknown) => n !== null)).toBe(true);
  // caller, then one statement per type (connections, roles, users)
  expect(mixed.count).toBeLessThanOrEqual(4);
  const single = await countStatements(`query($id: ID!) { a: node(id: $id) { id } b: node(id: $id) { id } }`, { id: connectionIds[0] });
  expect(single.count).toBeLessThanOrEqual(2);
});

test('ordered and backward pages cost the same number of statements as name-ordered ones, nested or not', async () => {
  if (worldSize < 40) await growWorld(40);
  const ORDERED = `query($first: Int, $last: Int, $orderBy: ConnectionOrder, $before: String) {
    connections(first: $first, last: $last, before: $before, orderBy: $orderBy, filter: { tags: [{ key: "env", op: IN, values: ["prod", "shared"] }] }) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name host } }
    }
    roles { name connections(last: 2, orderBy: { field: CREATED_AT, direction: DESC }) { totalCount pageInfo { hasPreviousPage } nodes { name } } }
  }`;
  const small = await countStatements(ORDERED, { first: 1, orderBy: { field: 'HOST', direction: 'DESC' } });
  const large = await countStatements(ORDERED, { first: 100, orderBy: { field: 'UPDATED_AT' } });
  const backward = await countStatements(ORDERED, { last: 50, before: large.data.connections.pageInfo.endCursor, orderBy: { field: 'UPDATED_AT' } });
  expect(large.data.connections.edges).toHaveLength(100);
  expect(backward.data.connections.edges).toHaveLength(50);
  expect(large.data.roles).toHaveLength(40);
  expect(large.count).toBe(small.count);
  expect(backward.count).toBe(small.count);
  // caller, roles, then a batched page and a batched count per nesting level
  expect(large.count).toBeLessThanOrEqual(6);
});

test('previews, tag summaries and restricted totals (tag signatures) cost the same statements for 40 roles and 80, 1 group and 12', async () => {
  if (worldSize < 40) await growWorld(40);
  const ds = gw.gateway.dataSource;
  const rule = (groups: number) => Array.from({ length: groups }, (_, i) => ({ filters: [{ tag: 'team', value: `role-${String(i).padStart(3, '0')}` }] }));
  const PREVIEW = `query($access: [AccessGroupInput!]!) { previewAccess(access: $access, first: 5) { totalCount nodes { name } } }`;
  const SUMMARY = `{ tags { key valueCount values(first: 3) { value count } } }`;
  // A restricted reader holding many roles: their total counts the roles' signatures (src/services/connection-queries.ts).
  const holder = 'many-roles';
  const restrictedTotal = async () => {
    await ds.query(`DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE login = $1)`, [holder]);
    await ds.query(`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE u.login = $1`, [holder]);
    const reader = await gw.token(holder, 'many-roles-password');
    gw.resetStatements();
    const data = await gw.gqlOk<{ connections: { totalCount: number } }>(`{ connections(first: 1) { totalCount } }`, {}, reader);
    return { count: gw.statements.length, total: data.connections.totalCount };
  };
  await gw.gqlOk(`mutation { createUser(email: "${holder}@corp.test", input: { password: "many-roles-password", privilege: READ }) { id } }`, {}, token);

  const small = {
    preview: await countStatements(PREVIEW, { access: rule(1) }),
    summary: await countStatements(SUMMARY),
    total: await restrictedTotal(),
  };
  await growWorld(80);
  const large = {
    preview: await countStatements(PREVIEW, { access: rule(12) }),
    summary: await countStatements(SUMMARY),
    total: await restrictedTotal(),
  };
  // Exact answers first: one group matches its team's 3 connections; twelve, 36. Every connection is visible to a
  // holder of every role (each role matches env=shared too).
  expect(small.preview.data.previewAccess.totalCount).toBe(3);
  expect(large.preview.data.previewAccess.totalCount).toBe(36);
  expect([small.total.total, large.total.total]).toEqual([120, 240]);
  expect(large.summary.data.tags.find((t: { key: string }) => t.key === 'team').valueCount).toBe(80);
  expect({ preview: large.preview.count, summary: large.summary.count, total: large.total.count }).toEqual({
    preview: small.preview.count,
    summary: small.summary.count,
    total: small.total.count,
  });
  // caller, the page, its count; caller, the summary; caller, the count (the page of 1 rides in the same batch)
  expect(large.preview.count).toBeLessThanOrEqual(3);
  expect(large.summary.count).toBeLessThanOrEqual(2);
  expect(large.total.count).toBeLessThanOrEqual(3);
});
