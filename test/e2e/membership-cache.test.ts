/**
 * The membership count cache (src/services/membership-cache.ts) answers repeated totals without SQL and is never
 * stale: a change made anywhere (plain SQL, another replica, this request's own earlier mutation) is counted by the
 * next read, with no waiting.
 */
import { seedConnections, seedRoles, seedUsers } from '../support/seed';
import { startTestGateway, type TestGateway } from '../support/gateway';

const PASSWORD = 'a-long-enough-password';
const TOTAL = `{ connections(first: 1) { totalCount } }`;

let gw: TestGateway;
let admin: string;
let user: string;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, [
    { name: 'prod-1', tags: { env: 'prod' } },
    { name: 'prod-2', tags: { env: 'prod' } },
    { name: 'dev-1', tags: { env: 'dev', team: 'core' } },
    { name: 'qa-1', tags: { env: 'qa' } },
  ]);
  await seedRoles(ds, [
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
    { name: 'core', access: [{ filters: [{ tag: 'team', value: 'core' }] }] },
  ]);
  await seedUsers(ds, [{ email: 'dana@corp.test', roles: ['prod', 'core'] }]);
  admin = await gw.token();
  await gw.gqlOk(`mutation { updateUser(email: "dana@corp.test", input: { password: "${PASSWORD}" }) { login } }`, {}, admin);
  user = await gw.token('dana', PASSWORD);
});
afterAll(() => gw.stop());

const total = async (token = user) => (await gw.gqlOk(TOTAL, {}, token)).connections.totalCount as number;
const countStatements = () => gw.statements.filter((sql) => /\bcount\(/.test(sql)).length;

test('a repeated total is answered from the cache, without a count statement', async () => {
  expect(await total()).toBe(3);
  gw.resetStatements();
  const hits = gw.gateway.services.membershipCache.stats.hits;
  expect(await total()).toBe(3);
  expect(countStatements()).toBe(0);
  expect(gw.gateway.services.membershipCache.stats.hits).toBe(hits + 1);
});

test("a change made behind the gateway's back (plain SQL) is counted by the very next request", async () => {
  expect(await total()).toBe(3);
  await gw.gateway.dataSource.query(`UPDATE connections SET user_tags = user_tags || '[{"key": "team", "value": "core"}]'::jsonb WHERE name = 'qa-1'`);
  expect(await total()).toBe(4);
  await gw.gateway.dataSource.query(`DELETE FROM connections WHERE name = 'prod-2'`);
  expect(await total()).toBe(3);
  await gw.gateway.dataSource.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags) VALUES ('prod-3', 'h', 5432, 'u', 'v1.x.none.none.none', '[{"key": "env", "value": "prod"}]')`,
  );
  expect(await total()).toBe(4);
});

test('rule and assignment changes through the API are counted by the next request', async () => {
  expect(await total()).toBe(4);
  await gw.gqlOk(`mutation { updateRole(name: "core", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, {}, admin);
  expect(await total()).toBe(3); // prod-1, prod-3, dev-1 (qa-1 no longer matches)
  await gw.gqlOk(`mutation { updateUser(email: "dana@corp.test", input: { roles: ["prod"] }) { login } }`, {}, admin);
  expect(await total()).toBe(2);
});

test('counts read later in the request that changed them are fresh (mutations run one after the other)', async () => {
  // Prime both the shared cache and this request's loaders with the current counts of "core".
  expect((await gw.gqlOk(`{ role(name: "core") { connectionCount } }`, {}, admin)).role.connectionCount).toBe(1);
  const data = await gw.gqlOk(
    `mutation {
      before: updateRole(name: "core", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { connectionCount }
      widened: updateRole(name: "core", access: [{ filters: [{ tag: "env", value: "dev" }] }, { filters: [{ tag: "env", value: "prod" }] }]) { connectionCount }
      narrowed: updateRole(name: "core", access: [{ filters: [{ tag: "env", value: "qa" }] }]) { connectionCount }
    }`,
    {},
    admin,
  );
  expect(data).toEqual({ before: { connectionCount: 1 }, widened: { connectionCount: 3 }, narrowed: { connectionCount: 1 } });
  expect((await gw.gqlOk(`{ role(name: "core") { connectionCount } }`, {}, admin)).role.connectionCount).toBe(1);
});

test('filtered totals are never cached: they depend on more than membership', async () => {
  const enabled = `{ connections(first: 1, filter: { enabled: true }) { totalCount } }`;
  expect((await gw.gqlOk(enabled, {}, user)).connections.totalCount).toBe(2);
  await gw.gateway.dataSource.query(`UPDATE connections SET enabled = false WHERE name = 'prod-1'`);
  gw.resetStatements();
  expect((await gw.gqlOk(enabled, {}, user)).connections.totalCount).toBe(1);
  expect(countStatements()).toBe(1);
});

test('with the principal cache off (PRINCIPAL_CACHE_TTL_MS=0) counts always come from the database', async () => {
  const uncached = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  try {
    const token = await uncached.token();
    await uncached.gqlOk(TOTAL, {}, token);
    uncached.resetStatements();
    await uncached.gqlOk(TOTAL, {}, token);
    expect(uncached.gateway.services.membershipCache.stats.hits).toBe(0);
  } finally {
    await uncached.stop();
  }
});

describe('tag summaries of restricted callers are cached the same way', () => {
  const SUMMARY = `{ tags { key values { value count } } }`;
  const summary = async () => {
    const data = await gw.gqlOk(SUMMARY, {}, user);
    return Object.fromEntries(
      (data.tags as { key: string; values: { value: string; count: number }[] }[]).map((t) => [
        t.key,
        Object.fromEntries(t.values.map((v) => [v.value, v.count])),
      ]),
    );
  };
  const summaryStatements = () => gw.statements.filter((sql) => /jsonb_each_text/.test(sql)).length;

  test('a repeated summary sends no statement; retagging, renaming or moving a connection shows on the next request', async () => {
    await gw.gqlOk(`mutation { updateUser(email: "dana@corp.test", input: { roles: ["prod"] }) { login } }`, {}, admin);
    const first = await summary();
    expect(first.env).toEqual({ prod: 2 });
    gw.resetStatements();
    expect(await summary()).toEqual(first);
    expect(summaryStatements()).toBe(0);

    await gw.gateway.dataSource.query(`UPDATE connections SET user_tags = user_tags || '[{"key": "tier", "value": "gold"}]'::jsonb WHERE name = 'prod-1'`);
    expect((await summary()).tier).toEqual({ gold: 1 });
    await gw.gateway.dataSource.query(`UPDATE connections SET host = 'moved.example' WHERE name = 'prod-1'`);
    expect((await summary()).server).toMatchObject({ 'moved.example': 1 });
    await gw.gateway.dataSource.query(`UPDATE connections SET name = 'prod-1b' WHERE name = 'prod-1'`);
    expect(Object.keys((await summary()).pg_instance!)).toContain('moved.example@prod-1b');
  });
});

describe("the administrators' overview (roles and their users, src/services/exact-cache.ts)", () => {
  // `connections` keeps the whole answer out of the answer cache (src/graphql/answer-cache.ts, tested on its own in
  // answer-cache.test.ts), so these requests run and read the role list and the users from this cache.
  const OVERVIEW = `{ roles { name users { login } connections(first: 1) { totalCount } } }`;
  const overview = async () =>
    ((await gw.gqlOk(OVERVIEW, {}, admin)).roles as { name: string; users: { login: string }[] }[]).map(
      (r) => `${r.name}: ${r.users.map((u) => u.login).join(' ')}`,
    );

  test('a repeated overview reads neither roles nor users again', async () => {
    await overview();
    gw.resetStatements();
    const hits = gw.gateway.services.assignmentCache.stats.hits;
    const first = await overview();
    expect(gw.statements.filter((sql) => /FROM "?roles"?|FROM user_roles/.test(sql))).toEqual([]);
    expect(gw.gateway.services.assignmentCache.stats.hits).toBeGreaterThan(hits);
    expect(first).toEqual(await overview());
  });

  test('every change behind its back (plain SQL) shows in the very next overview', async () => {
    const sql = (text: string) => gw.gateway.dataSource.query(text);
    // A known start (earlier tests moved dana around): dana holds core and prod.
    await sql(`DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE login = 'dana')`);
    await sql(`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE u.login = 'dana' AND r.name IN ('core', 'prod')`);
    expect((await overview()).filter((line) => /^(core|prod):/.test(line))).toEqual(['core: dana', 'prod: dana']);
    const others = (await overview()).filter((line) => !/^(core|prod):/.test(line));
    expect(others.every((line) => !line.includes('eve') && !line.includes('aaron') && !line.startsWith('audit:'))).toBe(true);
    const withOthers = (lines: string[]) => [...lines, ...others].sort();
    await sql(`INSERT INTO users (email, login, password_hash, privilege, profile) VALUES ('eve@corp.test', 'eve', 'x', 'read', 'developer')`);
    await sql(`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE u.login = 'eve' AND r.name = 'prod'`);
    expect((await overview()).sort()).toEqual(withOthers(['core: dana', 'prod: dana eve']));
    await sql(`UPDATE users SET login = 'aaron' WHERE login = 'eve'`);
    expect((await overview()).sort()).toEqual(withOthers(['core: dana', 'prod: aaron dana']));
    await sql(`INSERT INTO roles (name, access) VALUES ('audit', '[{"filters": [{"tag": "env", "value": "qa"}]}]')`);
    expect((await overview()).sort()).toEqual(withOthers(['audit: ', 'core: dana', 'prod: aaron dana']));
    await sql(`DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE login = 'dana') AND role_id = (SELECT id FROM roles WHERE name = 'core')`);
    expect((await overview()).sort()).toEqual(withOthers(['audit: ', 'core: ', 'prod: aaron dana']));
    await sql(`DELETE FROM users WHERE login = 'aaron'`);
    expect((await overview()).sort()).toEqual(withOthers(['audit: ', 'core: ', 'prod: dana']));
  });
});
