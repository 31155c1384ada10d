/**
 * Whole answers of the access-model overview (src/graphql/answer-cache.ts): a repeated overview is sent again
 * without running it, only to the caller it was computed for, and never stale: a change made anywhere (plain SQL
 * here, as another replica or an operator would) shows in the very next answer.
 */
import { seedConnections, seedRoles, seedUsers } from '../support/seed';
import { startTestGateway, type TestGateway } from '../support/gateway';

const PASSWORD = 'a-long-enough-password';
const OVERVIEW = `query Overview { roles { name connectionCount users { login } } }`;

let gw: TestGateway;
let admin: string;
let restrictedAdmin: string;
let otherAdmin: string;
let reader: string;
const sql = (text: string) => gw.gateway.dataSource.query(text);
const stats = () => ({ ...gw.gateway.services.answerCache.stats });

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, metricsEnabled: true });
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, [
    { name: 'prod-1', tags: { env: 'prod', dc: 'lyon' } },
    { name: 'prod-2', tags: { env: 'prod', dc: 'paris' } },
    { name: 'dev-1', tags: { env: 'dev', dc: 'lyon' } },
  ]);
  await seedRoles(ds, [
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
    { name: 'lyon', access: [{ filters: [{ tag: 'dc', value: 'lyon' }] }] },
  ]);
  await seedUsers(ds, [
    { email: 'dana@corp.test', roles: ['prod'] },
    { email: 'rita@corp.test', roles: ['lyon'] },
  ]);
  admin = await gw.token();
  // rita: an administrator restricted to what `lyon` matches (refused administration); dana: a reader.
  await gw.gqlOk(`mutation { updateUser(email: "rita@corp.test", input: { password: "${PASSWORD}", privilege: ADMIN }) { login } }`, {}, admin);
  await gw.gqlOk(`mutation { updateUser(email: "dana@corp.test", input: { password: "${PASSWORD}" }) { login } }`, {}, admin);
  restrictedAdmin = await gw.token('rita', PASSWORD);
  await gw.gqlOk(`mutation { createUser(email: "omar@corp.test", input: { password: "${PASSWORD}", privilege: ADMIN }) { login } }`, {}, admin);
  otherAdmin = await gw.token('omar', PASSWORD);
  reader = await gw.token('dana', PASSWORD);
});
afterAll(() => gw.stop());

/** `ds_gateway_graphql_kept_answers_total` as /metrics shows it. */
async function keptAnswersMetric(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  return Number(
    text
      .split('\n')
      .find((line) => line.startsWith('ds_gateway_graphql_kept_answers_total '))
      ?.split(' ')
      .pop() ?? NaN,
  );
}

/** The overview as `name count: logins` lines, and the raw body. */
async function overview(token = admin): Promise<{ lines: string[]; body: string }> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: OVERVIEW }),
  });
  const body = await response.text();
  if (!body.includes('"data":{')) throw new Error(body);
  const data = JSON.parse(body) as { data?: { roles: { name: string; connectionCount: number; users: { login: string }[] }[] } };
  return { lines: (data.data?.roles ?? []).map((r) => `${r.name} ${r.connectionCount}: ${r.users.map((u) => u.login).join(' ')}`), body };
}

test('a repeated overview is sent again without a statement, byte for byte', async () => {
  await overview(); // Apollo resolves the text: the known-query lane (which keeps answers) takes the next ones
  const first = await overview();
  expect(first.lines).toEqual(['lyon 2: rita', 'prod 2: dana']);
  gw.resetStatements();
  const before = stats();
  const keptBefore = await keptAnswersMetric();
  const second = await overview();
  expect(second.body).toBe(first.body);
  expect(gw.statements).toEqual([]);
  expect(stats().hits).toBe(before.hits + 1);
  expect(await keptAnswersMetric()).toBe(keptBefore + 1);
});

test('an answer is given again only to the caller it was computed for; refusals are never kept', async () => {
  await overview();
  await overview(); // the administrator's answer, kept
  // Another administrator: same answer, computed for them (a miss first), then kept for them.
  const before = stats();
  const theirs = await overview(otherAdmin);
  expect(stats().hits).toBe(before.hits);
  expect(stats().misses).toBeGreaterThan(before.misses);
  expect(theirs.lines).toEqual(['lyon 2: rita', 'prod 2: dana']);
  expect((await overview(otherAdmin)).body).toBe(theirs.body);
  expect(stats().hits).toBe(before.hits + 1);
  // A role-restricted administrator and a reader are refused every time, never handed a kept answer.
  const refusedBefore = stats();
  for (const token of [restrictedAdmin, reader, restrictedAdmin, reader]) {
    const refused = await gw.gql(OVERVIEW, {}, token);
    expect(refused.data).toBeNull();
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }
  expect(stats().hits).toBe(refusedBefore.hits);
});

test('every change behind its back (plain SQL) shows in the very next answer', async () => {
  expect((await overview()).lines).toEqual(['lyon 2: rita', 'prod 2: dana']);
  // A connection created, retagged, deleted: the roles' counts (role_connections, ds_membership_changed).
  await sql(`INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
             VALUES ('prod-3', 'h', 5432, 'u', 'v1.x.none.none.none', '[{"key": "env", "value": "prod"}, {"key": "dc", "value": "lyon"}]')`);
  expect((await overview()).lines).toEqual(['lyon 3: rita', 'prod 3: dana']);
  await sql(`UPDATE connections SET user_tags = '[{"key": "env", "value": "dev"}]' WHERE name = 'prod-3'`);
  expect((await overview()).lines).toEqual(['lyon 2: rita', 'prod 2: dana']);
  await sql(`DELETE FROM connections WHERE name = 'prod-2'`);
  expect((await overview()).lines).toEqual(['lyon 2: rita', 'prod 1: dana']);
  // A rule rewritten, a role created (roles, ds_access_changed).
  await sql(`UPDATE roles SET access = '[{"filters": [{"tag": "env", "value": "dev"}]}]' WHERE name = 'lyon'`);
  expect((await overview()).lines).toEqual(['lyon 2: rita', 'prod 1: dana']);
  await sql(`UPDATE roles SET access = '[{"filters": [{"tag": "dc", "value": "paris"}]}]' WHERE name = 'lyon'`);
  expect((await overview()).lines).toEqual(['lyon 0: rita', 'prod 1: dana']);
  await sql(`INSERT INTO roles (name, access) VALUES ('audit', '[{"filters": [{"tag": "env", "value": "dev"}]}]')`);
  expect((await overview()).lines).toEqual(['audit 2: ', 'lyon 0: rita', 'prod 1: dana']);
  // Assignments and users (user_roles, users: ds_access_changed).
  await sql(`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE u.login = 'dana' AND r.name = 'audit'`);
  expect((await overview()).lines).toEqual(['audit 2: dana', 'lyon 0: rita', 'prod 1: dana']);
  await sql(`UPDATE users SET login = 'anna' WHERE login = 'dana'`);
  expect((await overview()).lines).toEqual(['audit 2: anna', 'lyon 0: rita', 'prod 1: anna']);
  await sql(`DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'prod')`);
  expect((await overview()).lines).toEqual(['audit 2: anna', 'lyon 0: rita', 'prod 1: ']);
  await sql(`DELETE FROM user_roles WHERE role_id = (SELECT id FROM roles WHERE name = 'audit')`);
  await sql(`DELETE FROM roles WHERE name = 'audit'`);
  expect((await overview()).lines).toEqual(['lyon 0: rita', 'prod 1: ']);
});

test("the caller's own write shows in their next answer", async () => {
  expect((await overview()).lines).toEqual(['lyon 0: rita', 'prod 1: ']);
  await gw.gqlOk(
    `mutation { createRole(name: "lyon-dev", access: [{ filters: [{ tag: "env", value: "dev" }, { tag: "dc", value: "lyon" }] }]) { name } }`,
    {},
    admin,
  );
  expect((await overview()).lines).toEqual(['lyon 0: rita', 'lyon-dev 1: ', 'prod 1: ']);
});

test('a document with a field the feed does not cover is run every time', async () => {
  const query = `{ roles { name connections(first: 1) { nodes { name connected } } } }`;
  await gw.gqlOk(query, {}, admin);
  const before = stats();
  const first = await gw.gqlOk(query, {}, admin);
  await sql(`UPDATE connections SET connected = NOT connected WHERE name = 'prod-1'`);
  const second = await gw.gqlOk(query, {}, admin);
  expect(stats()).toEqual(before);
  const prod = (answer: typeof first) => (answer.roles as { name: string; connections: { nodes: { connected: boolean }[] } }[]).find((r) => r.name === 'prod')!;
  expect(prod(second).connections.nodes[0]!.connected).toBe(!prod(first).connections.nodes[0]!.connected);
});
