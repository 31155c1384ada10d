/**
 * GraphQL and REST are two adapters over one service layer, so they must agree: what one writes the other reads back
 * identically (both directions, for connections, roles and users), and the same failure gives the same code, mapped
 * to the HTTP status by the one table (`httpStatusOf`), with the same message where both adapters pass the
 * service's message through.
 */
import { httpStatusOf, type ErrorCode } from '../../src/errors/app-error';
import { testServer } from '../support/database';
import { ADMIN_PASSWORD, errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { restClient, type RestClient, type RestResponse } from './rest-client';

let gw: TestGateway;
let api: RestClient;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway();
  api = restClient(gw.url);
  token = (await api.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } })).body['user-token'];
});
afterAll(() => gw.stop());

const CONNECTION_FIELDS = `name host port user tagString enabled connected collectionRate samples lockMonitoring lockMonitoringDelay
  tableMonitoring queryMonitoring queryMonitoringOptimize queryMonitoringMinCalls queryMonitoringMinTime`;
const USER_FIELDS = 'id login email profile privilege roles { name } live360 comment ldap';

/** A GraphQL connection as the REST display shows it. */
function connectionAsRest(c: Record<string, any>) {
  return {
    name: c.name,
    host: c.host,
    port: c.port,
    user: c.user,
    password: '********',
    tags: c.tagString,
    enabled: c.enabled,
    connected: c.connected,
    'collection-rate': String(c.collectionRate).toLowerCase(),
    samples: c.samples,
    'lock-monitoring': c.lockMonitoring,
    'lock-monitoring-delay': c.lockMonitoringDelay,
    'table-monitoring': c.tableMonitoring,
    'query-monitoring': c.queryMonitoring,
    'query-monitoring-optimize': c.queryMonitoringOptimize,
    'query-monitoring-min-calls': c.queryMonitoringMinCalls,
    'query-monitoring-min-time': c.queryMonitoringMinTime,
  };
}

const PROFILE: Record<string, string> = { DEVELOPER: 'developer', DATA_ADMIN: 'data admin' };
const PRIVILEGE: Record<string, string> = { READ: 'read', READ_WRITE: 'read write', ADMIN: 'admin' };

/** A GraphQL user as the REST display shows it. */
function userAsRest(u: Record<string, any>) {
  const roles = (u.roles as { name: string }[]).map((r) => r.name);
  return {
    id: Number(u.id),
    login: u.login,
    email: u.email,
    profile: PROFILE[u.profile],
    privilege: PRIVILEGE[u.privilege],
    roles,
    role: roles[0] ?? null,
    live_360: u.live360 ? 1 : 0,
    comment: u.comment,
    ldap: u.ldap,
  };
}

/** The same failure through both adapters: same code (as HTTP status through the one table), same message when asked. */
function expectSameFailure(gql: GraphQLResponse, rest: RestResponse, options: { sameMessage?: boolean } = {}): void {
  const code = errorCode(gql) as ErrorCode;
  expect(code).toBeDefined();
  expect(Object.keys(rest.body)).toEqual(['error']);
  expect(rest.status).toBe(httpStatusOf(code));
  if (options.sameMessage !== false) expect(rest.body.error).toBe(gql.errors![0]!.message);
}

describe('connections', () => {
  test('written through REST, read back identically through GraphQL', async () => {
    const { host, port, user, password } = testServer();
    const created = await api.post('/ds-api/pool/pg-instances/rest-made', {
      token,
      json: { host, port, user, password, tags: 'application=sales,environment=production', 'query-monitoring-min-time': 2.5, samples: true },
    });
    expect(created.body).toEqual({ status: 'Connection created and connected!' });
    const viaRest = (await api.get('/ds-api/pool/pg-instances/rest-made', { token })).body;
    const viaGql = (
      await gw.gqlOk(`query($n: String!) { connection(name: $n) { ${CONNECTION_FIELDS} tags { key value automatic } } }`, { n: 'rest-made' }, token)
    ).connection;
    expect(connectionAsRest(viaGql)).toEqual(viaRest);
    expect(viaGql.tags.filter((t: { automatic: boolean }) => !t.automatic)).toEqual([
      { key: 'application', value: 'sales', automatic: false },
      { key: 'environment', value: 'production', automatic: false },
    ]);
  });

  test('written through GraphQL, read back identically through REST', async () => {
    const data = await gw.gqlOk(
      `mutation { createConnection(name: "gql-made", input: {
          host: "127.0.0.1", port: 1, user: "monitor", password: "sentinel",
          tags: [{ key: "application", value: "crm" }], collectionRate: MEDIUM, lockMonitoringDelay: 45 }) { ${CONNECTION_FIELDS} } }`,
      {},
      token,
    );
    const viaRest = await api.get('/ds-api/pool/pg-instances/gql-made', { token });
    expect(viaRest.status).toBe(200);
    expect(viaRest.body).toEqual(connectionAsRest(data.createConnection));
    expect(viaRest.body).toMatchObject({ tags: 'application=crm', 'collection-rate': 'medium', 'lock-monitoring-delay': 45, connected: false });
  });

  test('an update through one is seen by the other', async () => {
    expect(
      (await api.put('/ds-api/pool/pg-instances/gql-made', { token, json: { tags: 'application=crm,tier=gold', 'table-monitoring': false } })).status,
    ).toBe(200);
    const viaGql = (await gw.gqlOk(`{ connection(name: "gql-made") { ${CONNECTION_FIELDS} } }`, {}, token)).connection;
    expect(viaGql).toMatchObject({ tagString: 'application=crm,tier=gold', tableMonitoring: false });
    await gw.gqlOk(`mutation { disableConnection(name: "rest-made") { enabled } }`, {}, token);
    expect((await api.get('/ds-api/pool/pg-instances/rest-made', { token })).body).toMatchObject({ enabled: false, connected: false });
  });

  test('same failures: duplicate, automatic tag key, invalid name and port, missing, no token', async () => {
    const input = '{ host: "127.0.0.1", port: 1, user: "monitor", password: "sentinel" }';
    const rest = { host: '127.0.0.1', port: 1, user: 'monitor', password: 'sentinel' };
    expectSameFailure(
      await gw.gql(`mutation { createConnection(name: "rest-made", input: ${input}) { name } }`, {}, token),
      await api.post('/ds-api/pool/pg-instances/rest-made', { token, json: rest }),
    );
    expectSameFailure(
      await gw.gql(
        `mutation { createConnection(name: "new-one", input: { host: "127.0.0.1", port: 1, user: "m", password: "p", tags: [{ key: "pg_instance", value: "x" }] }) { name } }`,
        {},
        token,
      ),
      await api.post('/ds-api/pool/pg-instances/new-one', { token, json: { ...rest, tags: 'pg_instance=x' } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { createConnection(name: "bad name", input: ${input}) { name } }`, {}, token),
      await api.post('/ds-api/pool/pg-instances/bad%20name', { token, json: rest }),
    );
    expectSameFailure(
      await gw.gql(`mutation { createConnection(name: "new-one", input: { host: "127.0.0.1", port: 0, user: "m", password: "p" }) { name } }`, {}, token),
      await api.post('/ds-api/pool/pg-instances/new-one', { token, json: { ...rest, port: 0 } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { updateConnection(name: "nope", input: { port: 5433 }) { name } }`, {}, token),
      await api.put('/ds-api/pool/pg-instances/nope', { token, json: { port: 5433 } }),
    );
    expectSameFailure(await gw.gql(`mutation { deleteConnection(name: "nope") }`, {}, token), await api.delete('/ds-api/pool/pg-instances/nope', { token }));
    expectSameFailure(await gw.gql(`{ connections { totalCount } }`), await api.get('/ds-api/pool/pg-instances'), { sameMessage: false });
    expect(await api.get('/ds-api/pool/pg-instances/new-one', { token })).toMatchObject({ status: 404 });
  });
});

describe('roles', () => {
  const ACCESS = [
    { filters: [{ tag: 'application', value: 'sales' }] },
    {
      filters: [
        { tag: 'environment', value: 'uat' },
        { tag: 'tier', value: 'gold' },
      ],
    },
  ];

  test('written through REST, read back identically through GraphQL', async () => {
    expect((await api.post('/ds-api/roles/rest-role', { token, json: { access: ACCESS } })).status).toBe(201);
    const viaGql = (await gw.gqlOk(`{ role(name: "rest-role") { name access { filters { tag value } } } }`, {}, token)).role;
    expect(viaGql).toEqual({ name: 'rest-role', access: ACCESS });
    expect((await api.get('/ds-api/roles/rest-role', { token })).body).toEqual(viaGql);
  });

  test('written through GraphQL, read back identically through REST', async () => {
    const data = await gw.gqlOk(
      `mutation($access: [AccessGroupInput!]!) { createRole(name: "gql-role", access: $access) { name access { filters { tag value } } } }`,
      { access: ACCESS },
      token,
    );
    expect((await api.get('/ds-api/roles/gql-role', { token })).body).toEqual(data.createRole);
    const list = (await api.get('/ds-api/roles', { token })).body;
    const gqlList = (await gw.gqlOk(`{ roles { name access { filters { tag value } } } }`, {}, token)).roles;
    expect(list).toEqual(gqlList);
  });

  test('same failures: duplicate, empty access, missing, in use', async () => {
    expectSameFailure(
      await gw.gql(`mutation($a: [AccessGroupInput!]!) { createRole(name: "rest-role", access: $a) { name } }`, { a: ACCESS }, token),
      await api.post('/ds-api/roles/rest-role', { token, json: { access: ACCESS } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { createRole(name: "empty", access: []) { name } }`, {}, token),
      await api.post('/ds-api/roles/empty', { token, json: { access: [] } }),
    );
    expectSameFailure(
      await gw.gql(`mutation($a: [AccessGroupInput!]!) { updateRole(name: "nope", access: $a) { name } }`, { a: ACCESS }, token),
      await api.put('/ds-api/roles/nope', { token, json: { access: ACCESS } }),
    );
    await gw.gqlOk(`mutation { createUser(email: "holder@corp.com", input: { password: "holderPass", roles: ["gql-role"] }) { id } }`, {}, token);
    expectSameFailure(await gw.gql(`mutation { deleteRole(name: "gql-role") }`, {}, token), await api.delete('/ds-api/roles/gql-role', { token }));
    expect(errorCode(await gw.gql(`mutation { deleteRole(name: "gql-role") }`, {}, token))).toBe('ROLE_IN_USE');
  });

  test('users of a role: REST lists what GraphQL Role.users gives', async () => {
    const viaGql = (await gw.gqlOk(`{ role(name: "gql-role") { users { ${USER_FIELDS} } } }`, {}, token)).role.users;
    expect((await api.get('/ds-api/roles/gql-role/users', { token })).body).toEqual(viaGql.map(userAsRest));
  });
});

describe('users', () => {
  test('written through REST, read back identically through GraphQL', async () => {
    const res = await api.post('/ds-api/users/Rest.User@corp.com', {
      token,
      json: { password: 'restUserPass', privilege: 'read write', profile: 'developer', live_360: 0, role: 'rest-role', comment: 'made by REST' },
    });
    expect(res.body).toEqual({ status: 'User with login rest.user created successfully' });
    const viaGql = (await gw.gqlOk(`{ user(email: "rest.user@corp.com") { ${USER_FIELDS} } }`, {}, token)).user;
    expect((await api.get('/ds-api/users/rest.user@corp.com', { token })).body).toEqual(userAsRest(viaGql));
    expect(viaGql).toMatchObject({
      login: 'rest.user',
      email: 'Rest.User@corp.com',
      profile: 'DEVELOPER',
      privilege: 'READ_WRITE',
      live360: false,
      roles: [{ name: 'rest-role' }],
    });
  });

  test('written through GraphQL, read back identically through REST', async () => {
    const data = await gw.gqlOk(
      `mutation { createUser(email: "gql.user@corp.com", input: { ldap: true, privilege: READ, roles: ["gql-role", "rest-role"], comment: "made by GraphQL" }) { ${USER_FIELDS} } }`,
      {},
      token,
    );
    const viaRest = await api.get('/ds-api/users/gql.user@corp.com', { token });
    expect(viaRest.body).toEqual(userAsRest(data.createUser));
    expect(viaRest.body).toMatchObject({ roles: ['gql-role', 'rest-role'], role: 'gql-role', ldap: true, privilege: 'read', live_360: 1 });
    const list = (await api.get('/ds-api/users', { token })).body;
    const gqlList = (await gw.gqlOk(`{ users { ${USER_FIELDS} } }`, {}, token)).users;
    expect(list).toEqual(gqlList.map(userAsRest));
  });

  test('a token from either adapter works on the other', async () => {
    const gqlToken = await gw.token('rest.user', 'restUserPass');
    expect((await api.get('/ds-api/pool/pg-instances', { token: gqlToken })).status).toBe(200);
    const restToken = (await api.post('/ds-api/user-token', { basic: { login: 'rest.user@corp.com', password: 'restUserPass' } })).body['user-token'];
    expect((await gw.gqlOk(`{ me { login } }`, {}, restToken)).me).toEqual({ login: 'rest.user' });
    const info = (await gw.gqlOk(`query($t: String!) { tokenInfo(token: $t) { user email organizationName expireTime } }`, { t: restToken }, token)).tokenInfo;
    const details = (await api.get(`/ds-api/user-token?token=${restToken}`, { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } })).body;
    expect(details).toEqual({
      user: info.user,
      email: info.email,
      organization_name: info.organizationName,
      expire_time: new Date(info.expireTime).toISOString().slice(0, 19).replace('T', ' '),
    });
  });

  test('visibility agrees: what GraphQL hides (null), REST answers 404 for', async () => {
    const restricted = await gw.token('rest.user', 'restUserPass');
    // rest-role matches application=sales: rest-made is visible, gql-made (application=crm) is not.
    expect((await gw.gqlOk(`{ connection(name: "rest-made") { name } }`, {}, restricted)).connection).toEqual({ name: 'rest-made' });
    expect((await api.get('/ds-api/pool/pg-instances/rest-made', { token: restricted })).status).toBe(200);
    expect((await gw.gqlOk(`{ connection(name: "gql-made") { name } }`, {}, restricted)).connection).toBeNull();
    expect((await api.get('/ds-api/pool/pg-instances/gql-made', { token: restricted })).body).toEqual({ error: 'Connection "gql-made" not found' });
    const gqlNames = (await gw.gqlOk(`{ connections { nodes { name } } }`, {}, restricted)).connections.nodes.map((n: { name: string }) => n.name);
    expect((await api.get('/ds-api/pool/pg-instances', { token: restricted })).body.map((c: { name: string }) => c.name)).toEqual(gqlNames);
  });

  test('same failures: duplicate, invalid email, unknown role, missing, last administrator, not an administrator', async () => {
    expectSameFailure(
      await gw.gql(`mutation { createUser(email: "rest.user@corp.com", input: { password: "whatever1" }) { id } }`, {}, token),
      await api.post('/ds-api/users/REST.USER@corp.com', { token, json: { password: 'whatever1' } }),
      { sameMessage: false }, // each names the email as the caller wrote it
    );
    expectSameFailure(
      await gw.gql(`mutation { createUser(email: "not-an-email", input: { password: "whatever1" }) { id } }`, {}, token),
      await api.post('/ds-api/users/not-an-email', { token, json: { password: 'whatever1' } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { createUser(email: "x@corp.com", input: { password: "whatever1", roles: ["ghost"] }) { id } }`, {}, token),
      await api.post('/ds-api/users/x@corp.com', { token, json: { password: 'whatever1', roles: ['ghost'] } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { updateUser(email: "nobody@corp.com", input: { comment: "x" }) { id } }`, {}, token),
      await api.put('/ds-api/users/nobody@corp.com', { token, json: { comment: 'x' } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { updateUser(email: "datasentinel@datasentinel.local", input: { privilege: READ }) { id } }`, {}, token),
      await api.put('/ds-api/users/datasentinel@datasentinel.local', { token, json: { privilege: 'read' } }),
    );
    expectSameFailure(
      await gw.gql(`mutation { deleteUser(email: "datasentinel@datasentinel.local") }`, {}, token),
      await api.delete('/ds-api/users/datasentinel@datasentinel.local', { token }),
    );
    const restricted = await gw.token('rest.user', 'restUserPass');
    expectSameFailure(
      await gw.gql(`mutation { deleteUser(email: "gql.user@corp.com") }`, {}, restricted),
      await api.delete('/ds-api/users/gql.user@corp.com', { token: restricted }),
      { sameMessage: false },
    );
    expect((await api.get('/ds-api/users/gql.user@corp.com', { token })).status).toBe(200);
  });
});
