/**
 * Access governance (issue 16, points 1-3) on the vendor's documented world (test/support/vendor-world.ts):
 * `explainAccess` for every user and every connection, `Connection.roles` / `Connection.visibleTo`, and
 * `roleChangeImpact` / `userRolesImpact`, each compared with an INDEPENDENT oracle written here in plain set logic
 * (nothing from src/ is imported), plus who may ask and what the refusals look like.
 */
import { DEFAULT_GRAPHQL_LIMITS } from '../../src/security-config';
import { errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { seedVendorConnections, VENDOR_CONNECTIONS, VENDOR_PASSWORD, VENDOR_ROLES, VENDOR_USERS, type VendorConnection } from '../support/vendor-world';

// ------------------------------------------------------------------------------------------------ the oracle

type Filter = { tag: string; value: string };
type Rule = { filters: Filter[] }[];
interface Explanation {
  visible: boolean;
  reason: 'UNRESTRICTED' | 'ROLE_MATCH' | 'NO_MATCH';
  matches: { role: string; group: number; filters: Filter[] }[];
  misses: { role: string; group: number; filter: Filter; actual: string | null }[];
}

interface Page<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: N[];
  edges: { cursor: string; node: N }[];
}
type Named = { name: string };
interface Impact {
  addedCount: number;
  removedCount: number;
  added: Page<Named>;
  removed: Page<Named>;
  affectedUsers: { login: string }[];
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every tag a role filter sees: user tags, then pg_instance, server and (after a probe) pg_version. */
function fullTags(c: VendorConnection): Map<string, string> {
  const tags = new Map<string, string>(c.tags);
  tags.set('pg_instance', `${c.host}@${c.name}`);
  tags.set('server', c.host);
  if (c.pgVersion !== null) tags.set('pg_version', c.pgVersion);
  return tags;
}

const ruleOf = (role: string): Rule => VENDOR_ROLES.find((r) => r.name === role)!.access;
const ruleMatches = (rule: Rule, c: VendorConnection) => rule.some((g) => g.filters.every((f) => fullTags(c).get(f.tag) === f.value));

function oracle(roles: string[], c: VendorConnection, rules: (role: string) => Rule = ruleOf): Explanation {
  if (roles.length === 0) return { visible: true, reason: 'UNRESTRICTED', matches: [], misses: [] };
  const tags = fullTags(c);
  const matches: Explanation['matches'] = [];
  const misses: Explanation['misses'] = [];
  for (const role of [...roles].sort(byteOrder)) {
    rules(role).forEach((g, group) => {
      const failing = g.filters.find((f) => tags.get(f.tag) !== f.value);
      if (failing === undefined) matches.push({ role, group, filters: g.filters });
      else misses.push({ role, group, filter: failing, actual: tags.get(failing.tag) ?? null });
    });
  }
  return { visible: matches.length > 0, reason: matches.length > 0 ? 'ROLE_MATCH' : 'NO_MATCH', matches, misses };
}

function visibleTo(roles: string[], rules: (role: string) => Rule = ruleOf): string[] {
  return VENDOR_CONNECTIONS.filter((c) => roles.length === 0 || roles.some((r) => ruleMatches(rules(r), c)))
    .map((c) => c.name)
    .sort(byteOrder);
}

// ------------------------------------------------------------------------------------------------ the world

let gw: TestGateway;
let admin: string;
const tokens = new Map<string, string>();

const EXPLAIN = `query($login: String!, $connection: String!) {
  explainAccess(login: $login, connection: $connection) {
    visible reason matches { role group filters { tag value } } misses { role group filter { tag value } actual }
  }
}`;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, graphqlLimits: { ...DEFAULT_GRAPHQL_LIMITS, maxAliases: 100, maxCost: 1_000_000 } });
  admin = await gw.token();
  await seedVendorConnections(gw.gateway.dataSource);
  for (const role of VENDOR_ROLES) {
    await gw.gqlOk(`mutation($n: String!, $a: [AccessGroupInput!]!) { createRole(name: $n, access: $a) { name } }`, { n: role.name, a: role.access }, admin);
  }
  for (const user of VENDOR_USERS) {
    await gw.gqlOk(
      `mutation($e: String!, $i: CreateUserInput!) { createUser(email: $e, input: $i) { login } }`,
      { e: user.email, i: { password: VENDOR_PASSWORD, privilege: 'READ', roles: user.roles } },
      admin,
    );
    tokens.set(user.login, await gw.token(user.login, VENDOR_PASSWORD));
  }
}, 60_000);
afterAll(() => gw?.stop());

const names = (page: { nodes: { name: string }[] }) => page.nodes.map((n) => n.name);

// ------------------------------------------------------------------------------------------------ explainAccess

describe('explainAccess', () => {
  test('the oracle names the groups and filters the documents describe (sanity of the test itself)', () => {
    const byName = (n: string) => VENDOR_CONNECTIONS.find((c) => c.name === n)!;
    expect(oracle(['london-production', 'dev-or-uat'], byName('crm-uat'))).toEqual({
      visible: true,
      reason: 'ROLE_MATCH',
      matches: [{ role: 'dev-or-uat', group: 1, filters: [{ tag: 'environment', value: 'uat' }] }],
      misses: [
        { role: 'dev-or-uat', group: 0, filter: { tag: 'environment', value: 'development' }, actual: 'uat' },
        { role: 'london-production', group: 0, filter: { tag: 'environment', value: 'production' }, actual: 'uat' },
      ],
    });
    // Case matters (Production), and a filter on an absent tag reports null.
    expect(oracle(['MyNewRole'], byName('crm-dev')).misses).toEqual([
      { role: 'MyNewRole', group: 0, filter: { tag: 'pg_version', value: '11.8' }, actual: null },
    ]);
    expect(oracle(['london-production'], byName('billing-prod')).misses).toEqual([
      { role: 'london-production', group: 0, filter: { tag: 'environment', value: 'production' }, actual: 'Production' },
    ]);
  });

  test('for every user and every connection, the administrator gets exactly the oracle', async () => {
    let unrestricted = 0;
    let matched = 0;
    let missed = 0;
    for (const user of VENDOR_USERS) {
      const vars = VENDOR_CONNECTIONS.map((_, i) => `$c${i}: String!`).join(', ');
      const fields = VENDOR_CONNECTIONS.map(
        (_, i) =>
          `e${i}: explainAccess(login: $login, connection: $c${i}) { visible reason matches { role group filters { tag value } } misses { role group filter { tag value } actual } }`,
      ).join('\n');
      const variables: Record<string, string> = Object.fromEntries<string>([
        ['login', user.login],
        ...VENDOR_CONNECTIONS.map((c, i): [string, string] => [`c${i}`, c.name]),
      ]);
      const data = await gw.gqlOk<Record<string, Explanation>>(`query($login: String!, ${vars}) { ${fields} }`, variables, admin);
      VENDOR_CONNECTIONS.forEach((c, i) => {
        const expected = oracle(user.roles, c);
        expect({ user: user.login, connection: c.name, ...data[`e${i}`] }).toEqual({ user: user.login, connection: c.name, ...expected });
        if (expected.reason === 'UNRESTRICTED') unrestricted += 1;
        else if (expected.visible) matched += 1;
        else missed += 1;
      });
    }
    // The world exercises every reason, many times.
    expect({ unrestricted, matchedAtLeast: matched >= 20, missedAtLeast: missed >= 40 }).toEqual({
      unrestricted: VENDOR_CONNECTIONS.length,
      matchedAtLeast: true,
      missedAtLeast: true,
    });
  });

  test('hand-checked answers: an OR group, an AND with an automatic tag, a contradiction of case, the administrator', async () => {
    const ask = (login: string, connection: string) => gw.gqlOk<{ explainAccess: Explanation }>(EXPLAIN, { login, connection }, admin);
    expect((await ask('bob', 'agentLess6')).explainAccess).toEqual({
      visible: true,
      reason: 'ROLE_MATCH',
      matches: [
        { role: 'myRole', group: 0, filters: [{ tag: 'pg_instance', value: '51.15.233.24@agentLess6' }] },
        {
          role: 'testrole',
          group: 0,
          filters: [
            { tag: 'pg_version', value: '11.8' },
            { tag: 'pg_instance', value: '51.15.233.24@agentLess6' },
          ],
        },
      ],
      misses: [{ role: 'myRole', group: 1, filter: { tag: 'pg_instance', value: '51.158.104.206@agentLess11' }, actual: '51.15.233.24@agentLess6' }],
    });
    expect((await ask('carol', 'sales-prod-paris')).explainAccess.matches).toEqual([
      {
        role: 'MyNewRole',
        group: 0,
        filters: [
          { tag: 'pg_version', value: '11.8' },
          { tag: 'environment', value: 'production' },
        ],
      },
    ]);
    expect((await ask('dave', 'ops-tools')).explainAccess).toEqual({
      visible: false,
      reason: 'NO_MATCH',
      matches: [],
      misses: [
        { role: 'mixed', group: 0, filter: { tag: 'application', value: 'crm' }, actual: null },
        { role: 'mixed', group: 1, filter: { tag: 'server', value: '51.15.233.24' }, actual: '10.0.4.1' },
        { role: 'mixed', group: 2, filter: { tag: 'datacenter', value: 'london' }, actual: null },
        { role: 'mixed', group: 3, filter: { tag: 'owner', value: 'nobody' }, actual: null },
      ],
    });
    // Login or email, case-insensitive; the administrator is unrestricted.
    expect((await ask('ALICE@corp.com', 'hr-uat')).explainAccess.reason).toBe('ROLE_MATCH');
    expect((await ask('datasentinel', 'legacy-db')).explainAccess).toEqual({ visible: true, reason: 'UNRESTRICTED', matches: [], misses: [] });
  });

  test('follows a role change at once (the same relation visibility reads)', async () => {
    const ask = async () => (await gw.gqlOk<{ explainAccess: Explanation }>(EXPLAIN, { login: 'carol', connection: 'legacy-db' }, admin)).explainAccess;
    expect((await ask()).visible).toBe(false);
    const setRule = (a: Rule) => gw.gqlOk(`mutation($a: [AccessGroupInput!]!) { updateRole(name: "MyNewRole", access: $a) { name } }`, { a }, admin);
    await setRule([...ruleOf('MyNewRole'), { filters: [{ tag: 'pg_version', value: '9.6' }] }]);
    try {
      expect(await ask()).toEqual({
        visible: true,
        reason: 'ROLE_MATCH',
        matches: [{ role: 'MyNewRole', group: 1, filters: [{ tag: 'pg_version', value: '9.6' }] }],
        misses: [{ role: 'MyNewRole', group: 0, filter: { tag: 'pg_version', value: '11.8' }, actual: '9.6' }],
      });
    } finally {
      await setRule(ruleOf('MyNewRole'));
    }
  });

  test("a user may ask about themselves, for the connections they see, and gets the administrator's answer", async () => {
    for (const user of VENDOR_USERS) {
      for (const c of VENDOR_CONNECTIONS) {
        const expected = oracle(user.roles, c);
        const own = await gw.gql(EXPLAIN, { login: user.login, connection: c.name }, tokens.get(user.login));
        if (expected.visible) {
          expect(own).toEqual({ data: { explainAccess: expected } });
        } else {
          const missing = await gw.gql(EXPLAIN, { login: user.login, connection: 'no-such-connection' }, tokens.get(user.login));
          const mask = (r: GraphQLResponse, name: string) => JSON.stringify(r).split(JSON.stringify(name).slice(1, -1)).join('<name>');
          expect(mask(own, c.name)).toBe(mask(missing, 'no-such-connection'));
          expect(errorCode(own)).toBe('NOT_FOUND');
          // Nothing about the connection leaks: not its tags, not the role filters it fails.
          expect(JSON.stringify(own)).not.toMatch(/actual|misses|environment/);
        }
      }
    }
  });

  test('anyone else is FORBIDDEN, whether the login exists or not; unknown names are NOT_FOUND for administrators', async () => {
    const alice = tokens.get('alice')!;
    const other = await gw.gql(EXPLAIN, { login: 'bob', connection: 'crm-uat' }, alice);
    const nobody = await gw.gql(EXPLAIN, { login: 'nobody', connection: 'crm-uat' }, alice);
    expect(errorCode(other)).toBe('FORBIDDEN');
    expect(nobody).toEqual(other);
    // By email too, and the unrestricted erin is no administrator either (privilege read).
    expect(errorCode(await gw.gql(EXPLAIN, { login: 'bob@corp.com', connection: 'crm-uat' }, tokens.get('erin')))).toBe('FORBIDDEN');
    expect((await gw.gql<{ explainAccess: Explanation }>(EXPLAIN, { login: 'Alice@Corp.com', connection: 'crm-uat' }, alice)).data?.explainAccess.reason).toBe(
      'ROLE_MATCH',
    );
    const unknownUser = await gw.gql(EXPLAIN, { login: 'nobody', connection: 'crm-uat' }, admin);
    expect(unknownUser.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'User "nobody" not found']]);
    const unknownConnection = await gw.gql(EXPLAIN, { login: 'alice', connection: 'nope' }, admin);
    expect(unknownConnection.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['NOT_FOUND', 'Connection "nope" not found']]);
    expect(errorCode(await gw.gql(EXPLAIN, { login: 'alice', connection: 'crm-uat' }, null))).toBe('UNAUTHENTICATED');
  });
});

// ------------------------------------------------------------------------------------------------ Connection.roles / visibleTo

describe('Connection.roles and Connection.visibleTo', () => {
  const everyone = () => ['datasentinel', ...VENDOR_USERS.map((u) => u.login)];
  const rolesOfUser = (login: string) => VENDOR_USERS.find((u) => u.login === login)?.roles ?? [];
  const audience = (c: VendorConnection) =>
    everyone()
      .filter((login) => visibleTo(rolesOfUser(login)).includes(c.name))
      .sort(byteOrder);

  test('every connection: the roles that match it and the users who see it (unrestricted users included)', async () => {
    const data = await gw.gqlOk<{ connections: { nodes: unknown[] } }>(
      `{ connections(first: 50) { nodes { name roles { name } visibleTo(first: 500) { totalCount pageInfo { hasNextPage } nodes { login } } } } }`,
      {},
      admin,
    );
    const sorted = [...VENDOR_CONNECTIONS].sort((a, b) => byteOrder(a.name, b.name));
    expect(data.connections.nodes).toEqual(
      sorted.map((c) => ({
        name: c.name,
        roles: VENDOR_ROLES.filter((r) => ruleMatches(r.access, c))
          .map((r) => r.name)
          .sort(byteOrder)
          .map((name) => ({ name })),
        visibleTo: { totalCount: audience(c).length, pageInfo: { hasNextPage: false }, nodes: audience(c).map((login) => ({ login })) },
      })),
    );
    // Unrestricted users see everything; agentLess6 is seen by almost everyone.
    expect(audience(VENDOR_CONNECTIONS[0]!)).toEqual(['alice', 'bob', 'carol', 'datasentinel', 'dave', 'erin', 'frank', 'jean.lapioffe']);
  });

  test('visibleTo pages with the cursor rules of every page', async () => {
    const c = VENDOR_CONNECTIONS[0]!;
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const data: { connection: { visibleTo: Page<{ login: string }> } } = await gw.gqlOk(
        `query($n: String!, $after: String) { connection(name: $n) { visibleTo(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { login } } } } }`,
        { n: c.name, after },
        admin,
      );
      const page = data.connection.visibleTo;
      const logins = page.edges.map((e) => e.node.login);
      expect(page.totalCount).toBe(audience(c).length);
      expect(logins).toEqual(audience(c).slice(seen.length, seen.length + 3));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...logins);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(audience(c));
    const bad = await gw.gql(`{ connection(name: "agentLess6") { visibleTo(after: "garbage!") { totalCount } } }`, {}, admin);
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
  });

  test('non-administrators asking for either field: FORBIDDEN', async () => {
    for (const login of ['erin', 'alice']) {
      const token = tokens.get(login)!;
      const roles = await gw.gql(`{ connections(first: 1) { nodes { name roles { name } } } }`, {}, token);
      const users = await gw.gql(`{ connections(first: 1) { nodes { name visibleTo { totalCount } } } }`, {}, token);
      expect([errorCode(roles), errorCode(users)]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
      expect(JSON.stringify([roles.data, users.data])).not.toMatch(/"roles":\[|"visibleTo":\{/);
    }
  });
});

// ------------------------------------------------------------------------------------------------ impacts

const IMPACT_FIELDS = `addedCount removedCount added(first: 500) { totalCount nodes { name } } removed(first: 500) { totalCount nodes { name } } affectedUsers { login }`;
const ROLE_IMPACT = `query($n: String!, $a: [AccessGroupInput!]!) { roleChangeImpact(name: $n, access: $a) { ${IMPACT_FIELDS} } }`;
const USER_IMPACT = `query($e: String!, $r: [String!]!) { userRolesImpact(email: $e, roles: $r) { ${IMPACT_FIELDS} } }`;

function expectedImpact(before: string[], after: string[], affected: string[]) {
  const added = after.filter((n) => !before.includes(n));
  const removed = before.filter((n) => !after.includes(n));
  return {
    addedCount: added.length,
    removedCount: removed.length,
    added: { totalCount: added.length, nodes: added.map((name) => ({ name })) },
    removed: { totalCount: removed.length, nodes: removed.map((name) => ({ name })) },
    affectedUsers: affected.sort(byteOrder).map((login) => ({ login })),
  };
}

describe('roleChangeImpact', () => {
  test('sales-role → crm: added, removed, and the holders whose view changes', async () => {
    const next: Rule = [{ filters: [{ tag: 'application', value: 'crm' }] }];
    const rules = (role: string) => (role === 'sales-role' ? next : ruleOf(role));
    const holders = VENDOR_USERS.filter((u) => u.roles.includes('sales-role'));
    const affected = holders.filter((u) => visibleTo(u.roles).join() !== visibleTo(u.roles, rules).join()).map((u) => u.login);
    expect(affected).toEqual(['jean.lapioffe', 'frank']);
    const data = await gw.gqlOk<{ roleChangeImpact: Impact }>(ROLE_IMPACT, { n: 'sales-role', a: next }, admin);
    expect(data.roleChangeImpact).toEqual(expectedImpact(visibleTo(['sales-role']), visibleTo(['sales-role'], rules), affected));
    // Nothing was saved.
    expect((await gw.gqlOk<{ role: { access: Rule } }>(`{ role(name: "sales-role") { access { filters { tag value } } } }`, {}, admin)).role.access).toEqual(
      ruleOf('sales-role'),
    );
  });

  test('a holder whose other role already covers every change is not affected', async () => {
    // mixed gains `application=sales` (sales connections): frank already sees them through sales-role, dave does not.
    const next: Rule = [...ruleOf('mixed'), { filters: [{ tag: 'application', value: 'sales' }] }];
    const data = await gw.gqlOk<{ roleChangeImpact: Impact }>(ROLE_IMPACT, { n: 'mixed', a: next }, admin);
    const rules = (role: string) => (role === 'mixed' ? next : ruleOf(role));
    expect(data.roleChangeImpact).toEqual(expectedImpact(visibleTo(['mixed']), visibleTo(['mixed'], rules), ['dave']));
    expect(data.roleChangeImpact.addedCount).toBeGreaterThan(0);
  });

  test('added and removed page with cursors', async () => {
    const next: Rule = [{ filters: [{ tag: 'environment', value: 'production' }] }];
    const expected = visibleTo(['sales-role'], () => next).filter((n) => !visibleTo(['sales-role']).includes(n));
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const data: { roleChangeImpact: Impact } = await gw.gqlOk(
        `query($a: [AccessGroupInput!]!, $after: String) { roleChangeImpact(name: "sales-role", access: $a) { added(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { name } } } }`,
        { a: next, after },
        admin,
      );
      const page = data.roleChangeImpact.added;
      expect(page.totalCount).toBe(expected.length);
      seen.push(...names(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    expect(expected.length).toBeGreaterThan(1);
  });

  test('input is validated exactly like updateRole: same codes, same messages, and nothing is written', async () => {
    const cases: [string, unknown][] = [
      ['sales-role', []],
      ['sales-role', [{ filters: [] }]],
      ['sales-role', [{ filters: [{ tag: 'bad key', value: 'x' }] }]],
      ['sales-role', [{ filters: [{ tag: 'env', value: 'a,b' }] }]],
      ['no-such-role', [{ filters: [{ tag: 'env', value: 'x' }] }]],
      ['no-such-role', []],
    ];
    for (const [name, access] of cases) {
      const preview = await gw.gql(ROLE_IMPACT, { n: name, a: access }, admin);
      const real = await gw.gql(`mutation($n: String!, $a: [AccessGroupInput!]!) { updateRole(name: $n, access: $a) { name } }`, { n: name, a: access }, admin);
      const shape = (r: GraphQLResponse) => r.errors?.map((e) => [e.extensions?.code, e.message]);
      expect(shape(preview)).toEqual(shape(real));
      expect(shape(preview)?.length).toBe(1);
    }
    const forbidden = await gw.gql(ROLE_IMPACT, { n: 'sales-role', a: [{ filters: [{ tag: 'a', value: 'b' }] }] }, tokens.get('erin'));
    expect(errorCode(forbidden)).toBe('FORBIDDEN');
  });
});

describe('userRolesImpact', () => {
  test("replacing a user's roles: added, removed, the user as affected; no role = everything", async () => {
    const cases: [string, string[]][] = [
      ['alice', ['sales-role']],
      ['alice', ['london-production', 'dev-or-uat']],
      ['bob', []],
      ['erin', ['testrole']],
      ['frank', ['mixed', 'sales-role', 'mixed']],
    ];
    for (const [login, roles] of cases) {
      const user = VENDOR_USERS.find((u) => u.login === login)!;
      const before = visibleTo(user.roles);
      const after = visibleTo([...new Set(roles)]);
      const changed = before.join() !== after.join();
      const data = await gw.gqlOk<{ userRolesImpact: Impact }>(USER_IMPACT, { e: user.email, r: roles }, admin);
      expect({ login, roles, impact: data.userRolesImpact }).toEqual({ login, roles, impact: expectedImpact(before, after, changed ? [login] : []) });
    }
  });

  test('input is validated exactly like updateUser (unknown user, unknown role, the last administrator), and nothing is written', async () => {
    const cases: [string, string[]][] = [
      ['nobody@corp.com', []],
      ['alice@corp.com', ['no-such-role']],
      ['datasentinel@localhost', ['sales-role']],
    ];
    const adminEmail = (await gw.gqlOk<{ me: { email: string } }>(`{ me { email } }`, {}, admin)).me.email;
    cases[2]![0] = adminEmail;
    const codes: string[] = [];
    for (const [email, roles] of cases) {
      const preview = await gw.gql(USER_IMPACT, { e: email, r: roles }, admin);
      const real = await gw.gql(
        `mutation($e: String!, $r: [String!]!) { updateUser(email: $e, input: { roles: $r }) { login } }`,
        { e: email, r: roles },
        admin,
      );
      const shape = (r: GraphQLResponse) => r.errors?.map((e) => [e.extensions?.code, e.message]);
      expect(shape(preview)).toEqual(shape(real));
      codes.push(errorCode(preview)!);
    }
    expect(codes).toEqual(['NOT_FOUND', 'BAD_USER_INPUT', 'LAST_ADMIN']);
    const roles = await gw.gqlOk<{ users: { login: string; roles: Named[] }[] }>(`{ users { login roles { name } } }`, {}, admin);
    expect(roles.users.find((u) => u.login === 'alice')!.roles.map((r) => r.name)).toEqual(['dev-or-uat', 'london-production']);
    expect(errorCode(await gw.gql(USER_IMPACT, { e: 'alice@corp.com', r: [] }, tokens.get('alice')))).toBe('FORBIDDEN');
  });
});
