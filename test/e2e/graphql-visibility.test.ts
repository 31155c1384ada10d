/**
 * What a role-restricted user sees through GraphQL: an invisible connection must answer exactly like a missing one
 * on every path (lookups, lists, filters, nested fields, tag summaries, counts, pagination), and administration stays
 * out of reach of everyone but unrestricted administrators.
 */
import { encodeCursor } from '../../src/services/pagination';
import { testServer } from '../support/database';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let adminToken: string;
const tokens: Record<string, string> = {};
const local = testServer();
const PASSWORD = 'a-long-enough-password';

const VISIBLE = ['a-vis-1', 'c-vis-2', 'e-vis-3', 'g-vis-4'];
const HIDDEN = ['b-hid-1', 'd-hid-2', 'f-hid-3', 'h-hid-4'];
const MISSING = 'zz-missing';

/** name → [host, tags]; local-server connections are probed for real and end up connected. */
const FIXTURE: Record<string, [host: 'local' | string, tags: Record<string, string>]> = {
  'a-vis-1': ['127.0.0.2', { env: 'prod', team: 'a', dc: 'lyon' }],
  'b-hid-1': ['127.0.0.3', { env: 'prod', team: 'b', dc: 'lyon', secret: 'hidden-value' }],
  'c-vis-2': ['local', { env: 'prod', team: 'a', dc: 'paris' }],
  'd-hid-2': ['local', { env: 'dev', team: 'a' }],
  'e-vis-3': ['127.0.0.7', { env: 'dev', team: 'b' }],
  'f-hid-3': ['127.0.0.3', { env: 'prod', team: 'b', dc: 'paris' }],
  'g-vis-4': ['127.0.0.2', { env: 'prod', team: 'a', dc: 'lyon' }],
  'h-hid-4': ['127.0.0.3', { env: 'prod', team: 'c', project: 'phoenix' }],
};
const DISABLED = ['e-vis-3', 'f-hid-3'];

/** The people of these tests: email → input. */
const USERS: Record<string, string> = {
  restricted: `{ password: "${PASSWORD}", privilege: READ, roles: ["team-a", "edge"] }`,
  radmin: `{ password: "${PASSWORD}", privilege: ADMIN, profile: DATA_ADMIN, roles: ["team-a", "edge"] }`,
  reader: `{ password: "${PASSWORD}", privilege: READ }`,
  writer: `{ password: "${PASSWORD}", privilege: READ_WRITE }`,
  developer: `{ password: "${PASSWORD}", privilege: ADMIN, profile: DEVELOPER }`,
};
const RESTRICTED = ['restricted', 'radmin'] as const;

const ok = <T = Record<string, any>>(query: string, token: string, variables?: Record<string, unknown>) => gw.gqlOk<T>(query, variables, token);

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 2000 });
  adminToken = await gw.token();
  for (const [name, [host, tags]] of Object.entries(FIXTURE)) {
    await ok(`mutation($name: String!, $input: CreateConnectionInput!) { createConnection(name: $name, input: $input) { name } }`, adminToken, {
      name,
      input: {
        host: host === 'local' ? local.host : host,
        port: host === 'local' ? local.port : 1,
        user: host === 'local' ? local.user : 'monitor',
        password: host === 'local' ? local.password : 'secret',
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    });
  }
  for (const name of DISABLED) await ok(`mutation { disableConnection(name: "${name}") { name } }`, adminToken);
  await ok(
    `mutation {
      a: createRole(name: "team-a", access: [{ filters: [{ tag: "env", value: "prod" }, { tag: "team", value: "a" }] }]) { name }
      b: createRole(name: "edge", access: [{ filters: [{ tag: "server", value: "127.0.0.7" }] }]) { name }
      c: createRole(name: "wide", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name }
    }`,
    adminToken,
  );
  for (const [login, input] of Object.entries(USERS)) {
    await ok(`mutation { createUser(email: "${login}@corp.com", input: ${input}) { login } }`, adminToken);
    tokens[login] = await gw.token(login, PASSWORD);
  }
});
afterAll(() => gw?.stop());

const NODE = `name host port user enabled connected tagString tags { key value automatic }`;

test('the fixture: the administrator sees all eight, probes went as planned', async () => {
  const data = await ok(`{ connections { totalCount nodes { name enabled connected } } }`, adminToken);
  expect(data.connections).toEqual({
    totalCount: 8,
    nodes: [...VISIBLE, ...HIDDEN].sort().map((name) => ({
      name,
      enabled: !DISABLED.includes(name),
      connected: FIXTURE[name]![0] === 'local',
    })),
  });
});

describe.each(RESTRICTED)('restricted user %s', (who) => {
  const token = () => tokens[who]!;

  test('is restricted and cannot administer', async () => {
    expect(await ok(`{ me { restricted permissions { administer } roles { name } } }`, token())).toEqual({
      me: { restricted: true, permissions: { administer: false }, roles: [{ name: 'edge' }, { name: 'team-a' }] },
    });
  });

  test('connection(name): a hidden connection is null, exactly like a missing one', async () => {
    const query = `query($name: String!) { connection(name: $name) { ${NODE} } }`;
    const missing = await gw.gql(query, { name: MISSING }, token());
    expect(missing).toEqual({ data: { connection: null } });
    for (const name of HIDDEN) expect(await gw.gql(query, { name }, token())).toEqual(missing);
    for (const name of VISIBLE) expect((await ok(query, token(), { name })).connection.name).toBe(name);
  });

  test('connections: exactly the visible ones, with their count', async () => {
    const data = await ok(`{ connections { totalCount nodes { name } edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`, token());
    expect(data.connections).toEqual({
      totalCount: 4,
      nodes: VISIBLE.map((name) => ({ name })),
      edges: VISIBLE.map((name) => ({ cursor: encodeCursor(name), node: { name } })),
      pageInfo: { hasNextPage: false, endCursor: encodeCursor('g-vis-4') },
    });
  });

  test.each<[string, Record<string, unknown>, string[], Record<string, unknown> | null]>([
    ['search by a hidden name', { search: 'hid' }, [], { search: 'no-such-thing' }],
    ['search by one exact hidden name', { search: 'b-hid-1' }, [], { search: 'b-zzz-1' }],
    ['search by a hidden-only host', { search: '127.0.0.3' }, [], { search: '127.0.0.99' }],
    ['search by a shared host', { search: '127.0.0.2' }, ['a-vis-1', 'g-vis-4'], null],
    ['search matching everything', { search: '-' }, VISIBLE, null],
    [
      'access on a hidden-only tag',
      { access: [{ filters: [{ tag: 'secret', value: 'hidden-value' }] }] },
      [],
      { access: [{ filters: [{ tag: 'secret', value: 'other' }] }] },
    ],
    [
      'access on a hidden-only value',
      { access: [{ filters: [{ tag: 'project', value: 'phoenix' }] }] },
      [],
      { access: [{ filters: [{ tag: 'nope', value: 'x' }] }] },
    ],
    [
      'access on a hidden automatic tag',
      { access: [{ filters: [{ tag: 'pg_instance', value: '127.0.0.3@b-hid-1' }] }] },
      [],
      { access: [{ filters: [{ tag: 'pg_instance', value: '127.0.0.3@nothing' }] }] },
    ],
    ['access on a value shared with hidden ones', { access: [{ filters: [{ tag: 'team', value: 'b' }] }] }, ['e-vis-3'], null],
    [
      'access OR wider than the role',
      { access: [{ filters: [{ tag: 'env', value: 'dev' }] }, { filters: [{ tag: 'dc', value: 'paris' }] }] },
      ['c-vis-2', 'e-vis-3'],
      null,
    ],
    ['enabled: false', { enabled: false }, ['e-vis-3'], null],
    ['enabled: true', { enabled: true }, ['a-vis-1', 'c-vis-2', 'g-vis-4'], null],
    ['connected: true', { connected: true }, ['c-vis-2'], null],
    ['connected: false', { connected: false }, ['a-vis-1', 'e-vis-3', 'g-vis-4'], null],
    [
      'several conditions',
      { enabled: true, connected: false, search: 'vis', access: [{ filters: [{ tag: 'dc', value: 'lyon' }] }] },
      ['a-vis-1', 'g-vis-4'],
      null,
    ],
  ])('connections(filter) %s', async (_label, filter, expected, lookalike) => {
    const query = `query($filter: ConnectionFilter) {
      connections(filter: $filter) { totalCount nodes { name } pageInfo { hasNextPage endCursor } }
      me { connections(filter: $filter) { totalCount nodes { name } } }
    }`;
    const result = await gw.gql(query, { filter }, token());
    expect(result).toEqual({
      data: {
        connections: {
          totalCount: expected.length,
          nodes: expected.map((name) => ({ name })),
          pageInfo: { hasNextPage: false, endCursor: expected.length ? encodeCursor(expected[expected.length - 1]!) : null },
        },
        me: { connections: { totalCount: expected.length, nodes: expected.map((name) => ({ name })) } },
      },
    });
    // Byte for byte the answer to a filter that names something that does not exist at all.
    if (lookalike) expect(await gw.gql(query, { filter: lookalike }, token())).toEqual(result);
  });

  test('me { connections } and me { roles { connections connectionCount } } stay inside the visible set', async () => {
    const data = await ok(
      `{ me { connections { totalCount nodes { name } } roles { name connectionCount connections { totalCount nodes { name } } } } }`,
      token(),
    );
    expect(data.me).toEqual({
      connections: { totalCount: 4, nodes: VISIBLE.map((name) => ({ name })) },
      roles: [
        { name: 'edge', connectionCount: 1, connections: { totalCount: 1, nodes: [{ name: 'e-vis-3' }] } },
        { name: 'team-a', connectionCount: 3, connections: { totalCount: 3, nodes: [{ name: 'a-vis-1' }, { name: 'c-vis-2' }, { name: 'g-vis-4' }] } },
      ],
    });
  });

  test('tags: values and counts over the visible connections only', async () => {
    const data = await ok(`{ tags { key automatic values { value count } } }`, token());
    const host = local.host;
    const servers = [
      { value: '127.0.0.2', count: 2 },
      { value: '127.0.0.7', count: 1 },
      { value: host, count: 1 },
    ].sort((a, b) => (a.value < b.value ? -1 : 1));
    const instances = ['127.0.0.2@a-vis-1', '127.0.0.2@g-vis-4', '127.0.0.7@e-vis-3', `${host}@c-vis-2`].sort().map((value) => ({ value, count: 1 }));
    const [version] = (await gw.gateway.dataSource.query(`SELECT pg_version FROM connections WHERE name = 'c-vis-2'`)) as { pg_version: string }[];
    expect(data.tags).toEqual([
      {
        key: 'dc',
        automatic: false,
        values: [
          { value: 'lyon', count: 2 },
          { value: 'paris', count: 1 },
        ],
      },
      {
        key: 'env',
        automatic: false,
        values: [
          { value: 'dev', count: 1 },
          { value: 'prod', count: 3 },
        ],
      },
      { key: 'pg_instance', automatic: true, values: instances },
      // d-hid-2 is connected to the same server: a leak would count 2.
      { key: 'pg_version', automatic: true, values: [{ value: version!.pg_version, count: 1 }] },
      { key: 'server', automatic: true, values: servers },
      {
        key: 'team',
        automatic: false,
        values: [
          { value: 'a', count: 3 },
          { value: 'b', count: 1 },
        ],
      },
    ]);
  });

  test('tags: a key filter, user or automatic keys only, value counts and pages of values, over the visible connections only', async () => {
    const keysOf = (data: any) => data.tags.map((t: { key: string }) => t.key);
    // Asked twice: the second answer may come from the membership cache, which must keep each filter apart.
    for (let round = 0; round < 2; round += 1) {
      expect(keysOf(await ok(`{ tags(automatic: false) { key } }`, token()))).toEqual(['dc', 'env', 'team']);
      expect(keysOf(await ok(`{ tags(automatic: true) { key } }`, token()))).toEqual(['pg_instance', 'pg_version', 'server']);
      expect(keysOf(await ok(`{ tags { key } }`, token()))).toEqual(['dc', 'env', 'pg_instance', 'pg_version', 'server', 'team']);
      expect((await ok(`{ tags(keys: ["team", "env", "nope", "team"]) { key valueCount values { value count } } }`, token())).tags).toEqual([
        {
          key: 'env',
          valueCount: 2,
          values: [
            { value: 'dev', count: 1 },
            { value: 'prod', count: 3 },
          ],
        },
        // Hidden connections carry team c: a leak would show it.
        {
          key: 'team',
          valueCount: 2,
          values: [
            { value: 'a', count: 3 },
            { value: 'b', count: 1 },
          ],
        },
      ]);
      expect((await ok(`{ tags(keys: ["team"], automatic: true) { key } }`, token())).tags).toEqual([]);
      expect((await ok(`{ tags(keys: []) { key } }`, token())).tags).toEqual([]);
    }
    const page = async (first: number | null, after: string | null) =>
      (
        await ok(`query($first: Int, $after: String) { tags(keys: ["pg_instance"]) { valueCount values(first: $first, after: $after) { value } } }`, token(), {
          first,
          after,
        })
      ).tags[0];
    const all = ['127.0.0.2@a-vis-1', '127.0.0.2@g-vis-4', '127.0.0.7@e-vis-3', `${local.host}@c-vis-2`].sort();
    expect(await page(null, null)).toEqual({ valueCount: 4, values: all.map((value) => ({ value })) });
    expect(await page(2, null)).toEqual({ valueCount: 4, values: all.slice(0, 2).map((value) => ({ value })) });
    expect(await page(2, all[1]!)).toEqual({ valueCount: 4, values: all.slice(2, 4).map((value) => ({ value })) });
    expect(await page(null, all[0]!)).toEqual({ valueCount: 4, values: all.slice(1).map((value) => ({ value })) });
    expect(await page(0, null)).toEqual({ valueCount: 4, values: [] });
    // A value that is not in the list (taken away between two calls) still places the page.
    expect(await page(1, '127.0.0.2@b')).toEqual({ valueCount: 4, values: [{ value: '127.0.0.2@g-vis-4' }] });
    expect(await page(5, all[3]!)).toEqual({ valueCount: 4, values: [] });
  });

  test('tags: bad filters and pages are refused with BAD_USER_INPUT', async () => {
    for (const [query, variables] of [
      [`{ tags(keys: ["bad key"]) { key } }`, {}],
      [`{ tags(keys: [""]) { key } }`, {}],
      [`query($keys: [String!]) { tags(keys: $keys) { key } }`, { keys: Array.from({ length: 101 }, (_, i) => `k${i}`) }],
      [`{ tags { key values(first: -1) { value } } }`, {}],
    ] as const) {
      const result = await gw.gql(query, variables, token());
      expect(result.errors?.map((e) => e.extensions?.code)).toContain('BAD_USER_INPUT');
    }
  });

  test.each([0, 1, 2, 3, 4, 5, 500])('pagination with first=%i walks exactly the visible connections', async (first) => {
    const query = `query($first: Int!, $after: String) {
      connections(first: $first, after: $after) { totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
    }`;
    const pages: unknown[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const data: any = await ok(query, token(), { first, after });
      pages.push(data.connections);
      if (!data.connections.pageInfo.hasNextPage || first === 0) break;
      after = data.connections.pageInfo.endCursor;
    }
    const expected: unknown[] = [];
    if (first === 0) {
      expected.push({ totalCount: 4, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    } else {
      for (let i = 0; i < VISIBLE.length || i === 0; i += first) {
        const slice = VISIBLE.slice(i, i + first);
        expected.push({
          totalCount: 4,
          edges: slice.map((name) => ({ cursor: encodeCursor(name), node: { name } })),
          pageInfo: { hasNextPage: i + first < VISIBLE.length, endCursor: encodeCursor(slice[slice.length - 1]!) },
        });
      }
    }
    expect(pages).toEqual(expected);
  });

  test('a cursor naming a hidden connection behaves like one naming a missing connection', async () => {
    const query = `query($after: String) { connections(first: 2, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }`;
    const missing = await gw.gql(query, { after: encodeCursor('b-zzz') }, token());
    expect(missing).toEqual({
      data: {
        connections: { totalCount: 4, nodes: [{ name: 'c-vis-2' }, { name: 'e-vis-3' }], pageInfo: { hasNextPage: true, endCursor: encodeCursor('e-vis-3') } },
      },
    });
    expect(await gw.gql(query, { after: encodeCursor('b-hid-1') }, token())).toEqual(missing);
    expect(await gw.gql(query, { after: encodeCursor('h-hid-4') }, token())).toEqual(await gw.gql(query, { after: encodeCursor('h-zzz') }, token()));
  });

  test('lastProbeError is for administrators only', async () => {
    const result = await gw.gql(`{ connection(name: "a-vis-1") { name lastProbeError } }`, {}, token());
    expect(result.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['FORBIDDEN', ['connection', 'lastProbeError']]]);
    expect(result.data).toEqual({ connection: { name: 'a-vis-1', lastProbeError: null } });
  });
});

test('a token created for a restricted user shows nothing hidden in the mutation answer', async () => {
  const result = await gw.gql(
    `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { user { login connections { totalCount nodes { name } } } } }`,
    { l: 'restricted', p: PASSWORD },
    adminToken,
  );
  expect(result).toEqual({
    data: { createToken: { user: { login: 'restricted', connections: { totalCount: 4, nodes: VISIBLE.map((name) => ({ name })) } } } },
  });
});

test('createToken without a token: the nested fields resolve as the new user, and leak nothing', async () => {
  const result = await gw.gql(
    `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { user { login roles { name connectionCount } connections { totalCount nodes { name } } } } }`,
    { l: 'restricted', p: PASSWORD },
  );
  expect(result).toEqual({
    data: {
      createToken: {
        user: {
          login: 'restricted',
          roles: [
            { name: 'edge', connectionCount: 1 },
            { name: 'team-a', connectionCount: 3 },
          ],
          connections: { totalCount: 4, nodes: VISIBLE.map((name) => ({ name })) },
        },
      },
    },
  });
});

test('the administrator sees what the restricted users cannot (the hidden data exists)', async () => {
  const data = await ok(
    `{ connection(name: "b-hid-1") { name tagString }
       connections(filter: { search: "hid" }) { totalCount }
       role(name: "team-a") { connectionCount users { login } }
       tags { key values { value count } } }`,
    adminToken,
  );
  expect({
    connection: data.connection,
    hidden: data.connections.totalCount,
    role: data.role,
    secret: data.tags.find((t: { key: string }) => t.key === 'secret'),
  }).toEqual({
    connection: { name: 'b-hid-1', tagString: 'env=prod,team=b,dc=lyon,secret=hidden-value' },
    hidden: 4,
    role: { connectionCount: 3, users: [{ login: 'radmin' }, { login: 'restricted' }] },
    secret: { key: 'secret', values: [{ value: 'hidden-value', count: 1 }] },
  });
});

describe('administration is FORBIDDEN to everyone but unrestricted administrators', () => {
  const OPERATIONS: [string, string][] = [
    ['roles', `{ roles { name } }`],
    ['role', `{ role(name: "team-a") { name } }`],
    ['role of a missing name', `{ role(name: "nope") { name } }`],
    ['users', `{ users { login } }`],
    ['user', `{ user(email: "reader@corp.com") { login } }`],
    ['previewAccess', `{ previewAccess(access: [{ filters: [{ tag: "env", value: "prod" }] }]) { totalCount } }`],

    ['Connection.lastProbeError', `{ connections { nodes { lastProbeError } } }`],
    ['Connection.lastProbeAt', `{ connection(name: "e-vis-3") { lastProbeAt } }`],
    ['createConnection', `mutation { createConnection(name: "x-new", input: { host: "127.0.0.2", port: 1, user: "m", password: "secret" }) { name } }`],
    ['updateConnection (visible)', `mutation { updateConnection(name: "a-vis-1", input: { tags: [{ key: "env", value: "dev" }] }) { name } }`],
    ['updateConnection (hidden)', `mutation { updateConnection(name: "b-hid-1", input: { tags: [{ key: "team", value: "a" }] }) { name } }`],
    ['updateConnection (missing)', `mutation { updateConnection(name: "${MISSING}", input: { port: 2 }) { name } }`],
    ['disableConnection', `mutation { disableConnection(name: "a-vis-1") { name } }`],
    ['enableConnection', `mutation { enableConnection(name: "e-vis-3") { name } }`],
    ['deleteConnection (visible)', `mutation { deleteConnection(name: "a-vis-1") }`],
    ['deleteConnection (hidden)', `mutation { deleteConnection(name: "b-hid-1") }`],
    ['createRole', `mutation { createRole(name: "everything", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`],
    ['updateRole (widen a held role)', `mutation { updateRole(name: "team-a", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`],
    ['deleteRole', `mutation { deleteRole(name: "wide") }`],
    ['createUser', `mutation { createUser(email: "new@corp.com", input: { password: "${PASSWORD}" }) { login } }`],
    ['updateUser (drop own roles)', `mutation { updateUser(email: "radmin@corp.com", input: { roles: [] }) { login } }`],
    ['updateUser (swap own roles)', `mutation { updateUser(email: "restricted@corp.com", input: { roles: ["wide"] }) { login } }`],
    ['updateUser (promote)', `mutation { updateUser(email: "reader@corp.com", input: { privilege: ADMIN }) { login } }`],
    ['deleteUser', `mutation { deleteUser(email: "writer@corp.com") }`],
  ];

  async function snapshot() {
    const q = (sql: string) => gw.gateway.dataSource.query(sql);
    return {
      connections: await q(`SELECT name, host, port, user_tags, tags, enabled, connected, updated_at FROM connections ORDER BY name`),
      roles: await q(`SELECT name, access, updated_at FROM roles ORDER BY name`),
      users: await q(`SELECT login, email, privilege, profile, password_hash, token_version, updated_at FROM users ORDER BY login`),
      assignments: await q(`SELECT u.login, r.name FROM user_roles ur JOIN users u ON u.id = ur.user_id JOIN roles r ON r.id = ur.role_id ORDER BY 1, 2`),
    };
  }

  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    before = await snapshot();
  });

  describe.each(Object.keys(USERS))('user %s', (who) => {
    const operations: [string, string][] = RESTRICTED.includes(who as (typeof RESTRICTED)[number])
      ? [...OPERATIONS, ['Role.users (of their own roles)', `{ me { roles { users { login } } } }`]]
      : OPERATIONS;
    test.each(operations)('%s', async (_label, operation) => {
      const result: GraphQLResponse = await gw.gql(operation, {}, tokens[who]);
      // One refusal per field resolved (a list of connections gives one per node), all FORBIDDEN, and the same words
      // for visible, hidden and missing connections: the refusal says nothing about the connection named.
      expect(result.errors?.length).toBeGreaterThan(0);
      // The service layer's message (src/services/authorization.ts), the same as REST's for the same caller.
      expect([...new Set(result.errors!.map((e) => `${e.extensions?.code}: ${e.message}`))]).toEqual([
        RESTRICTED.includes(who as (typeof RESTRICTED)[number])
          ? 'FORBIDDEN: Administration needs an account without roles: a role-restricted user cannot administer the platform'
          : 'FORBIDDEN: Administration needs privilege "admin" and profile "data admin"',
      ]);
    });
  });

  test('nothing was written by any refused operation', async () => {
    expect(await snapshot()).toEqual(before);
  });

  test('the restricted administrator still sees exactly what their roles allow', async () => {
    expect((await ok(`{ connections { nodes { name } } }`, tokens.radmin!)).connections.nodes.map((n: { name: string }) => n.name)).toEqual(VISIBLE);
  });

  test.each(Object.keys(USERS))('%s can still read me, connections, connection, tags and tokenInfo', async (who) => {
    const token = tokens[who]!;
    const data = await ok(
      `query($t: String!) { me { login } connections { totalCount } connection(name: "a-vis-1") { name } tags { key } tokenInfo(token: $t) { user } }`,
      token,
      { t: token },
    );
    const restricted = who === 'restricted' || who === 'radmin';
    expect(data).toEqual({
      me: { login: who },
      connections: { totalCount: restricted ? 4 : 8 },
      connection: { name: 'a-vis-1' },
      tags: (restricted
        ? ['dc', 'env', 'pg_instance', 'pg_version', 'server', 'team']
        : ['dc', 'env', 'pg_instance', 'pg_version', 'project', 'secret', 'server', 'team']
      ).map((key) => ({ key })),
      tokenInfo: { user: who },
    });
  });

  test('the unrestricted administrator can do what the others cannot', async () => {
    const data = await ok(
      `{ roles { name } users { login } previewAccess(access: [{ filters: [{ tag: "team", value: "b" }] }]) { nodes { name } } }`,
      adminToken,
    );
    expect(data).toEqual({
      roles: [{ name: 'edge' }, { name: 'team-a' }, { name: 'wide' }],
      users: ['datasentinel', 'developer', 'radmin', 'reader', 'restricted', 'writer'].map((login) => ({ login })),
      previewAccess: { nodes: [{ name: 'b-hid-1' }, { name: 'e-vis-3' }, { name: 'f-hid-3' }] },
    });
  });
});
