/**
 * Every Query and Mutation of CONTRACT section 2, as an administrator: exact results, defaults, and every documented
 * error code with a message that names the field or pair at fault. A rejected input writes nothing.
 */
import { Client } from 'pg';
import { ALL_DASHBOARDS, DEVELOPER_DASHBOARDS } from '../../src/services/user.service';
import { encodeCursor } from '../../src/services/pagination';
import { ADMIN_PASSWORD, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

const PASSWORD = 'a-long-enough-password';
const CONNECTION_PASSWORD = 'Conn-Secret-Pa55word';
const ADMIN_EMAIL = 'datasentinel@datasentinel.local';

const CONNECTION = `name host port user tags { key value automatic } tagString enabled connected pgVersion
  collectionRate samples lockMonitoring lockMonitoringDelay tableMonitoring queryMonitoring queryMonitoringOptimize
  queryMonitoringMinCalls queryMonitoringMinTime`;
const USER = `login email profile privilege live360 comment ldap restricted roles { name }
  permissions { administer killSessions live360 dashboards }`;

const DEFAULT_SETTINGS = {
  collectionRate: 'LOW',
  samples: false,
  lockMonitoring: true,
  lockMonitoringDelay: 30,
  tableMonitoring: true,
  queryMonitoring: true,
  queryMonitoringOptimize: false,
  queryMonitoringMinCalls: 2,
  queryMonitoringMinTime: 1,
};

/** The expected `Connection` for a connection whose probe was refused (hosts 127.0.0.x, port 1). */
function connection(name: string, host: string, tags: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    name,
    host,
    port: 1,
    user: 'monitor',
    tags: [
      ...Object.entries(tags).map(([key, value]) => ({ key, value, automatic: false })),
      { key: 'pg_instance', value: `${host}@${name}`, automatic: true },
      { key: 'server', value: host, automatic: true },
    ],
    tagString: Object.entries(tags)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    enabled: true,
    connected: false,
    pgVersion: null,
    ...DEFAULT_SETTINGS,
    ...extra,
  };
}

const tagInput = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));

function errorsOf(result: GraphQLResponse): { code: unknown; message: string }[] | undefined {
  return result.errors?.map((e) => ({ code: e.extensions?.code, message: e.message }));
}

/** A full picture of the database, to show that refused operations wrote nothing. */
async function snapshot(gw: TestGateway) {
  const q = (sql: string) => gw.gateway.dataSource.query(sql);
  return {
    connections: await q(`SELECT * FROM connections ORDER BY name`),
    roles: await q(`SELECT * FROM roles ORDER BY name`),
    users: await q(`SELECT * FROM users ORDER BY login`),
    assignments: await q(`SELECT * FROM user_roles ORDER BY user_id, role_id`),
  };
}

describe('with one gateway', () => {
  let gw: TestGateway;
  let admin: string;
  const call = (query: string, variables?: Record<string, unknown>, token: string | null = admin) => gw.gql(query, variables, token);
  const ok = (query: string, variables?: Record<string, unknown>, token: string | null = admin) => gw.gqlOk(query, variables, token);
  const createConnection = (name: string, input: Record<string, unknown>) =>
    call(`mutation($name: String!, $input: CreateConnectionInput!) { createConnection(name: $name, input: $input) { ${CONNECTION} } }`, { name, input });
  const updateConnection = (name: string, input: Record<string, unknown>) =>
    call(`mutation($name: String!, $input: UpdateConnectionInput!) { updateConnection(name: $name, input: $input) { ${CONNECTION} } }`, { name, input });
  const createRole = (name: string, access: unknown) =>
    call(`mutation($name: String!, $access: [AccessGroupInput!]!) { createRole(name: $name, access: $access) { name access { filters { tag value } } } }`, {
      name,
      access,
    });
  const createUser = (email: string, input: Record<string, unknown>) =>
    call(`mutation($email: String!, $input: CreateUserInput!) { createUser(email: $email, input: $input) { ${USER} } }`, { email, input });
  const updateUser = (email: string, input: Record<string, unknown>, token: string | null = admin) =>
    call(`mutation($email: String!, $input: UpdateUserInput!) { updateUser(email: $email, input: $input) { ${USER} } }`, { email, input }, token);
  const base = { host: '127.0.0.2', port: 1, user: 'monitor', password: CONNECTION_PASSWORD };

  beforeAll(async () => {
    gw = await startTestGateway({ probeTimeoutMs: 1000 });
    admin = await gw.token();
  });
  afterAll(() => gw?.stop());

  describe('connections', () => {
    test('createConnection applies the documented defaults and returns the connection', async () => {
      const result = await createConnection('db-defaults', { ...base, tags: tagInput({ environment: 'production', version: '11.8' }) });
      expect(result).toEqual({
        data: { createConnection: connection('db-defaults', '127.0.0.2', { environment: 'production', version: '11.8' }) },
      });
    });

    test('createConnection takes every monitoring setting', async () => {
      const settings = {
        collectionRate: 'HIGH',
        samples: true,
        lockMonitoring: false,
        lockMonitoringDelay: 5,
        tableMonitoring: false,
        queryMonitoring: false,
        queryMonitoringOptimize: true,
        queryMonitoringMinCalls: 10,
        queryMonitoringMinTime: 2.5,
      };
      const result = await createConnection('db-settings', { ...base, host: '127.0.0.3', enabled: false, ...settings });
      expect(result).toEqual({ data: { createConnection: connection('db-settings', '127.0.0.3', {}, { ...settings, enabled: false }) } });
    });

    test('connection(name) reads it back; lastProbeError and lastProbeAt show the refused probe to administrators', async () => {
      const data = await ok(
        `{ connection(name: "db-defaults") { ${CONNECTION} lastProbeError lastProbeAt createdAt updatedAt } missing: connection(name: "nope") { name } }`,
      );
      const { lastProbeError, lastProbeAt, createdAt, updatedAt, ...rest } = data.connection;
      expect(rest).toEqual(connection('db-defaults', '127.0.0.2', { environment: 'production', version: '11.8' }));
      expect(lastProbeError).toMatch(/ECONNREFUSED/);
      for (const date of [lastProbeAt, createdAt, updatedAt]) expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(60_000);
      expect(data.missing).toBeNull();
    });

    test('a disabled connection is not probed', async () => {
      expect(await ok(`{ connection(name: "db-settings") { connected lastProbeError lastProbeAt } }`)).toEqual({
        connection: { connected: false, lastProbeError: null, lastProbeAt: null },
      });
    });

    test('updateConnection changes only what is given; tags replace; a host change moves the automatic tags', async () => {
      await createConnection('db-update', { ...base, tags: tagInput({ a: '1', b: '2' }) });
      expect((await updateConnection('db-update', { port: 2 })).data?.updateConnection).toEqual({
        ...connection('db-update', '127.0.0.2', { a: '1', b: '2' }),
        port: 2,
      });
      expect((await updateConnection('db-update', { tags: tagInput({ c: 'on-premises', a: 'x' }) })).data?.updateConnection).toEqual({
        ...connection('db-update', '127.0.0.2', { c: 'on-premises', a: 'x' }),
        port: 2,
      });
      expect((await updateConnection('db-update', { host: '127.0.0.4', samples: true, collectionRate: 'MEDIUM' })).data?.updateConnection).toEqual({
        ...connection('db-update', '127.0.0.4', { c: 'on-premises', a: 'x' }),
        port: 2,
        samples: true,
        collectionRate: 'MEDIUM',
      });
      expect((await updateConnection('db-update', { tags: [] })).data?.updateConnection).toEqual({
        ...connection('db-update', '127.0.0.4', {}),
        port: 2,
        samples: true,
        collectionRate: 'MEDIUM',
      });
    });

    test('disableConnection and enableConnection toggle enabled', async () => {
      const toggle = (op: string) => ok(`mutation { ${op}(name: "db-update") { enabled connected } }`);
      expect(await toggle('disableConnection')).toEqual({ disableConnection: { enabled: false, connected: false } });
      expect(await toggle('disableConnection')).toEqual({ disableConnection: { enabled: false, connected: false } });
      expect(await toggle('enableConnection')).toEqual({ enableConnection: { enabled: true, connected: false } });
      expect((await ok(`{ connection(name: "db-update") { enabled } }`)).connection).toEqual({ enabled: true });
    });

    test('deleteConnection returns true, then the connection is gone and a second delete is NOT_FOUND', async () => {
      await createConnection('db-delete', base);
      expect(await call(`mutation { deleteConnection(name: "db-delete") }`)).toEqual({ data: { deleteConnection: true } });
      expect(await call(`{ connection(name: "db-delete") { name } }`)).toEqual({ data: { connection: null } });
      expect(errorsOf(await call(`mutation { deleteConnection(name: "db-delete") }`))).toEqual([
        { code: 'NOT_FOUND', message: 'Connection "db-delete" not found' },
      ]);
    });

    test.each([
      ['updateConnection', `mutation { updateConnection(name: "ghost", input: { port: 5 }) { name } }`],
      ['disableConnection', `mutation { disableConnection(name: "ghost") { name } }`],
      ['enableConnection', `mutation { enableConnection(name: "ghost") { name } }`],
      ['deleteConnection', `mutation { deleteConnection(name: "ghost") }`],
    ])('%s of a missing connection is NOT_FOUND', async (_op, mutation) => {
      const result = await call(mutation);
      expect(errorsOf(result)).toEqual([{ code: 'NOT_FOUND', message: 'Connection "ghost" not found' }]);
      expect(result.data).toBeNull();
    });

    test('a duplicate name is a CONFLICT and leaves the first one untouched', async () => {
      const before = await snapshot(gw);
      const result = await createConnection('db-defaults', { ...base, host: '127.0.0.9' });
      expect(errorsOf(result)).toEqual([{ code: 'CONFLICT', message: 'Connection "db-defaults" already exists' }]);
      expect(await snapshot(gw)).toEqual(before);
    });

    test('names of 64 characters and every allowed character are accepted', async () => {
      const long = 'x'.repeat(64);
      expect((await createConnection(long, base)).data?.createConnection.name).toBe(long);
      expect((await createConnection('Az09_.-', base)).data?.createConnection.name).toBe('Az09_.-');
    });

    const BAD_CREATE: [string, string, Record<string, unknown>, string, string][] = [
      ['an empty name', '', {}, 'name', 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['a name with a space', 'my db', {}, 'name', 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['a name with a slash', 'a/b', {}, 'name', 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['a name with an accent', 'base-é', {}, 'name', 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['a name of 65 characters', 'x'.repeat(65), {}, 'name', 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['the name "."', '.', {}, 'name', 'name: name cannot be "." or ".."'],
      ['the name ".."', '..', {}, 'name', 'name: name cannot be "." or ".."'],
      ['an empty host', 'bad-1', { host: '' }, 'host', 'host: is required'],
      ['a blank host', 'bad-1', { host: '   ' }, 'host', 'host: is required'],
      ['a host with a space', 'bad-1', { host: 'db host' }, 'host', 'host: must be a hostname or an IP address'],
      ['a host with a slash', 'bad-1', { host: 'db/1' }, 'host', 'host: must be a hostname or an IP address'],
      ['port 0', 'bad-1', { port: 0 }, 'port', 'port: must be between 1 and 65535'],
      ['port 65536', 'bad-1', { port: 65536 }, 'port', 'port: must be between 1 and 65535'],
      ['a negative port', 'bad-1', { port: -5432 }, 'port', 'port: must be between 1 and 65535'],
      ['an empty user', 'bad-1', { user: '' }, 'user', 'user: is required'],
      ['a user with surrounding spaces', 'bad-1', { user: ' monitor' }, 'user', 'user: has leading or trailing spaces'],
      ['a user with a newline', 'bad-1', { user: 'mon\nitor' }, 'user', 'user: contains a control character'],
      [
        'a user of 64 characters',
        'bad-1',
        { user: 'u'.repeat(64) },
        'user',
        'user: is longer than 63 characters (PostgreSQL role names are limited to 63 bytes)',
      ],
      ['an empty password', 'bad-1', { password: '' }, 'password', 'password: is required'],
      [
        'a malformed tag key',
        'bad-1',
        { tags: [{ key: '1env', value: 'prod' }] },
        'tags',
        'Invalid tag "1env=prod": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -',
      ],
      ['an empty tag value', 'bad-1', { tags: [{ key: 'env', value: ' ' }] }, 'tags', 'Invalid tag "env= ": the value is empty'],
      ['a tag value with ","', 'bad-1', { tags: [{ key: 'env', value: 'a,b' }] }, 'tags', 'Invalid tag "env=a,b": the value contains ","'],
      [
        'a duplicate tag key',
        'bad-1',
        {
          tags: [
            { key: 'env', value: 'a' },
            { key: 'env', value: 'b' },
          ],
        },
        'tags',
        'Invalid tag "env=b": key "env" appears twice',
      ],
      [
        'the automatic key pg_instance',
        'bad-1',
        { tags: [{ key: 'pg_instance', value: 'x@y' }] },
        'tags',
        'Invalid tag "pg_instance=x@y": "pg_instance" is set automatically by the gateway',
      ],
      [
        'the automatic key server',
        'bad-1',
        { tags: [{ key: 'server', value: 'h' }] },
        'tags',
        'Invalid tag "server=h": "server" is set automatically by the gateway',
      ],
      [
        'the automatic key pg_version',
        'bad-1',
        { tags: [{ key: 'pg_version', value: '16.4' }] },
        'tags',
        'Invalid tag "pg_version=16.4": "pg_version" is set automatically by the gateway',
      ],
      ['a lock-monitoring delay of 0', 'bad-1', { lockMonitoringDelay: 0 }, 'lockMonitoringDelay', 'lockMonitoringDelay: must be at least 1 second'],
      [
        'negative query-monitoring minimum calls',
        'bad-1',
        { queryMonitoringMinCalls: -1 },
        'queryMonitoringMinCalls',
        'queryMonitoringMinCalls: must be 0 or more',
      ],
      [
        'negative query-monitoring minimum time',
        'bad-1',
        { queryMonitoringMinTime: -0.5 },
        'queryMonitoringMinTime',
        'queryMonitoringMinTime: must be 0 or more',
      ],
    ];

    describe('createConnection refuses bad input with BAD_USER_INPUT naming the field or pair, and writes nothing', () => {
      let before: Awaited<ReturnType<typeof snapshot>>;
      beforeAll(async () => {
        before = await snapshot(gw);
      });
      test.each(BAD_CREATE)('%s', async (_label, name, input, field, message) => {
        const result = await createConnection(name, { ...base, ...input });
        expect(result.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([
          { code: 'BAD_USER_INPUT', field, message },
        ]);
        expect(result.data).toBeNull();
      });
      test('nothing was written', async () => {
        expect(await snapshot(gw)).toEqual(before);
      });
    });

    describe('updateConnection refuses bad input the same way and leaves the connection as it was', () => {
      let before: Awaited<ReturnType<typeof snapshot>>;
      beforeAll(async () => {
        before = await snapshot(gw);
      });
      test.each(BAD_CREATE.filter(([, name]) => name === 'bad-1'))('%s', async (_label, _name, input, field, message) => {
        const result = await updateConnection('db-defaults', input);
        expect(result.errors?.map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message }))).toEqual([
          { code: 'BAD_USER_INPUT', field, message },
        ]);
      });
      test('a valid change next to a bad one is not applied either', async () => {
        const result = await updateConnection('db-defaults', { port: 6000, tags: [{ key: 'server', value: 'x' }] });
        expect(errorsOf(result)?.map((e) => e.code)).toEqual(['BAD_USER_INPUT']);
      });
      test('nothing was written', async () => {
        expect(await snapshot(gw)).toEqual(before);
      });
    });

    test('connections lists every connection sorted by name (byte order) with its count', async () => {
      await createConnection('Zeta', base);
      await createConnection('_under', base);
      const data = await ok(`{ connections(first: 500) { totalCount nodes { name } } }`);
      const names = ['Az09_.-', 'Zeta', '_under', 'db-defaults', 'db-settings', 'db-update', 'x'.repeat(64)];
      expect(data.connections).toEqual({ totalCount: names.length, nodes: names.map((name) => ({ name })) });
    });
  });

  describe('roles', () => {
    const ACCESS = [
      {
        filters: [
          { tag: 'environment', value: 'production' },
          { tag: 'datacenter', value: 'london' },
        ],
      },
      { filters: [{ tag: 'environment', value: 'uat' }] },
    ];

    beforeAll(async () => {
      for (const [name, tags] of [
        ['r-lon-prod', { environment: 'production', datacenter: 'london' }],
        ['r-par-prod', { environment: 'production', datacenter: 'paris' }],
        ['r-uat', { environment: 'uat' }],
      ] as const) {
        await createConnection(name, { ...base, tags: tagInput(tags) });
      }
    });

    test('createRole returns the role with what it matches now', async () => {
      const data = await ok(
        `mutation($access: [AccessGroupInput!]!) { createRole(name: "analysts", access: $access) {
           name access { filters { tag value } } users { login } connectionCount connections { totalCount nodes { name } } } }`,
        { access: ACCESS },
      );
      expect(data.createRole).toEqual({
        name: 'analysts',
        access: ACCESS,
        users: [],
        connectionCount: 2,
        connections: { totalCount: 2, nodes: [{ name: 'r-lon-prod' }, { name: 'r-uat' }] },
      });
    });

    test('filters may name tags no connection has yet; values are trimmed; repeated filters are dropped', async () => {
      const result = await createRole('future', [
        {
          filters: [
            { tag: ' owner ', value: ' nobody ' },
            { tag: 'owner', value: 'nobody' },
          ],
        },
      ]);
      expect(result).toEqual({ data: { createRole: { name: 'future', access: [{ filters: [{ tag: 'owner', value: 'nobody' }] }] } } });
      expect((await ok(`{ role(name: "future") { connectionCount } }`)).role).toEqual({ connectionCount: 0 });
    });

    test('a contradictory group is accepted and matches nothing', async () => {
      await createRole('never', [
        {
          filters: [
            { tag: 'environment', value: 'production' },
            { tag: 'environment', value: 'uat' },
          ],
        },
      ]);
      expect((await ok(`{ role(name: "never") { connectionCount connections { nodes { name } } } }`)).role).toEqual({
        connectionCount: 0,
        connections: { nodes: [] },
      });
    });

    test('role(name) is null for a missing role; roles are sorted by name', async () => {
      await createRole('Zulu', [{ filters: [{ tag: 'a', value: '1' }] }]);
      const data = await ok(`{ role(name: "nope") { name } roles { name } }`);
      expect(data).toEqual({ role: null, roles: [{ name: 'Zulu' }, { name: 'analysts' }, { name: 'future' }, { name: 'never' }] });
    });

    test('a duplicate role is a CONFLICT', async () => {
      const before = await snapshot(gw);
      expect(errorsOf(await createRole('analysts', [{ filters: [{ tag: 'a', value: '1' }] }]))).toEqual([
        { code: 'CONFLICT', message: 'Role "analysts" already exists' },
      ]);
      expect(await snapshot(gw)).toEqual(before);
    });

    test('updateRole replaces the access rule', async () => {
      const data = await ok(
        `mutation { updateRole(name: "analysts", access: [{ filters: [{ tag: "datacenter", value: "paris" }] }]) {
           name access { filters { tag value } } connectionCount } }`,
      );
      expect(data.updateRole).toEqual({ name: 'analysts', access: [{ filters: [{ tag: 'datacenter', value: 'paris' }] }], connectionCount: 1 });
      await ok(`mutation($a: [AccessGroupInput!]!) { updateRole(name: "analysts", access: $a) { name } }`, { a: ACCESS });
    });

    test('updateRole and deleteRole of a missing role are NOT_FOUND', async () => {
      expect(errorsOf(await call(`mutation { updateRole(name: "ghost", access: [{ filters: [{ tag: "a", value: "1" }] }]) { name } }`))).toEqual([
        { code: 'NOT_FOUND', message: 'Role "ghost" not found' },
      ]);
      expect(errorsOf(await call(`mutation { deleteRole(name: "ghost") }`))).toEqual([{ code: 'NOT_FOUND', message: 'Role "ghost" not found' }]);
    });

    const BAD_ROLES: [string, string, unknown, string][] = [
      ['an empty name', '', ACCESS, 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['a name with a space', 'data team', ACCESS, 'name: name must be 1-64 characters among A-Z a-z 0-9 _ . -'],
      ['no group', 'bad-role', [], 'access must contain at least one group of filters'],
      ['an empty group', 'bad-role', [ACCESS[0], { filters: [] }], 'access[2]: a group must contain at least one filter'],
      [
        'a malformed tag',
        'bad-role',
        [
          {
            filters: [
              { tag: 'env', value: 'a' },
              { tag: 'bad tag', value: 'x' },
            ],
          },
        ],
        'access[1].filters[2] "bad tag=x": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -',
      ],
      ['an empty value', 'bad-role', [ACCESS[1], { filters: [{ tag: 'env', value: '' }] }], 'access[2].filters[1] "env=": the value is empty'],
      ['a value with ","', 'bad-role', [{ filters: [{ tag: 'env', value: 'a,b' }] }], 'access[1].filters[1] "env=a,b": the value contains ","'],
    ];

    describe('bad roles are BAD_USER_INPUT naming the group, filter and pair, and write nothing', () => {
      let before: Awaited<ReturnType<typeof snapshot>>;
      beforeAll(async () => {
        before = await snapshot(gw);
      });
      test.each(BAD_ROLES)('createRole with %s', async (_label, name, access, message) => {
        expect(errorsOf(await createRole(name, access))).toEqual([{ code: 'BAD_USER_INPUT', message }]);
      });
      test.each(BAD_ROLES.filter(([, name]) => name === 'bad-role'))('updateRole with %s', async (_label, _name, access, message) => {
        const result = await call(`mutation($a: [AccessGroupInput!]!) { updateRole(name: "analysts", access: $a) { name } }`, { a: access });
        expect(errorsOf(result)).toEqual([{ code: 'BAD_USER_INPUT', message }]);
      });
      test.each(BAD_ROLES.filter(([, name]) => name === 'bad-role'))('previewAccess with %s', async (_label, _name, access, message) => {
        const result = await call(`query($a: [AccessGroupInput!]!) { previewAccess(access: $a) { totalCount } }`, { a: access });
        expect(errorsOf(result)).toEqual([{ code: 'BAD_USER_INPUT', message }]);
      });
      test('nothing was written', async () => {
        expect(await snapshot(gw)).toEqual(before);
      });
    });

    test('previewAccess is a dry run of a rule, with pagination', async () => {
      const before = await snapshot(gw);
      const data = await ok(
        `query($a: [AccessGroupInput!]!) {
           all: previewAccess(access: $a) { totalCount nodes { name } pageInfo { hasNextPage endCursor } }
           first: previewAccess(access: $a, first: 1) { totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
           next: previewAccess(access: $a, first: 1, after: "${encodeCursor('r-lon-prod')}") { nodes { name } pageInfo { hasNextPage } }
           automatic: previewAccess(access: [{ filters: [{ tag: "pg_instance", value: "127.0.0.2@r-uat" }] }]) { nodes { name } }
         }`,
        { a: [{ filters: [{ tag: 'datacenter', value: 'london' }] }, { filters: [{ tag: 'datacenter', value: 'paris' }] }] },
      );
      expect(data).toEqual({
        all: {
          totalCount: 2,
          nodes: [{ name: 'r-lon-prod' }, { name: 'r-par-prod' }],
          pageInfo: { hasNextPage: false, endCursor: encodeCursor('r-par-prod') },
        },
        first: {
          totalCount: 2,
          edges: [{ cursor: encodeCursor('r-lon-prod'), node: { name: 'r-lon-prod' } }],
          pageInfo: { hasNextPage: true, endCursor: encodeCursor('r-lon-prod') },
        },
        next: { nodes: [{ name: 'r-par-prod' }], pageInfo: { hasNextPage: false } },
        automatic: { nodes: [{ name: 'r-uat' }] },
      });
      expect(await snapshot(gw)).toEqual(before);
    });

    test('a role held by a user cannot be deleted (ROLE_IN_USE); once unassigned it can', async () => {
      await createRole('held', [{ filters: [{ tag: 'environment', value: 'uat' }] }]);
      await createUser('holder@corp.com', { password: PASSWORD, privilege: 'READ', roles: ['held'] });
      expect((await ok(`{ role(name: "held") { users { login } } }`)).role).toEqual({ users: [{ login: 'holder' }] });
      const before = await snapshot(gw);
      expect(errorsOf(await call(`mutation { deleteRole(name: "held") }`))).toEqual([
        { code: 'ROLE_IN_USE', message: 'Role "held" is assigned to 1 user(s); unassign it first' },
      ]);
      expect(await snapshot(gw)).toEqual(before);
      await updateUser('holder@corp.com', { roles: [] });
      expect(await call(`mutation { deleteRole(name: "held") }`)).toEqual({ data: { deleteRole: true } });
      expect(await call(`{ role(name: "held") { name } }`)).toEqual({ data: { role: null } });
    });

    test('Role.users lists the holders sorted by login', async () => {
      await createUser('zed@corp.com', { password: PASSWORD, privilege: 'READ', roles: ['analysts'] });
      await createUser('amy@corp.com', { password: PASSWORD, privilege: 'READ', roles: ['analysts', 'future'] });
      expect((await ok(`{ role(name: "analysts") { users { login roles { name } } } }`)).role).toEqual({
        users: [
          { login: 'amy', roles: [{ name: 'analysts' }, { name: 'future' }] },
          { login: 'zed', roles: [{ name: 'analysts' }] },
        ],
      });
    });
  });

  describe('users', () => {
    test('createUser applies the documented defaults', async () => {
      const result = await createUser('jean.lapioffe@corp.com', { password: PASSWORD });
      expect(result).toEqual({
        data: {
          createUser: {
            login: 'jean.lapioffe',
            email: 'jean.lapioffe@corp.com',
            profile: 'DATA_ADMIN',
            privilege: 'ADMIN',
            live360: true,
            comment: null,
            ldap: false,
            restricted: false,
            roles: [],
            permissions: { administer: true, killSessions: true, live360: true, dashboards: [...ALL_DASHBOARDS] },
          },
        },
      });
    });

    test('the login is the lower-cased local part, made unique with a number', async () => {
      const logins = [];
      for (const email of ['Jean.Lapioffe@Other.org', 'jean.lapioffe@third.net', 'jean.lapioffe2@corp.com']) {
        logins.push((await createUser(email, { password: PASSWORD })).data?.createUser.login);
      }
      expect(logins).toEqual(['jean.lapioffe2', 'jean.lapioffe3', 'jean.lapioffe22']);
      expect((await ok(`{ user(email: "Jean.Lapioffe@Other.org") { email login } }`)).user).toEqual({
        email: 'Jean.Lapioffe@Other.org',
        login: 'jean.lapioffe2',
      });
    });

    test('an email already used, in any case, is a CONFLICT and writes nothing', async () => {
      const before = await snapshot(gw);
      for (const email of ['jean.lapioffe@corp.com', 'JEAN.LAPIOFFE@CORP.COM', ' Jean.Lapioffe@corp.com ']) {
        const result = await createUser(email, { password: PASSWORD });
        expect([email, errorsOf(result)]).toEqual([email, [{ code: 'CONFLICT', message: `User "${email.trim()}" already exists` }]]);
      }
      expect(await snapshot(gw)).toEqual(before);
    });

    test('users sign in with their login or their email, in any case', async () => {
      for (const login of ['jean.lapioffe', 'Jean.Lapioffe', 'jean.lapioffe@corp.com', 'JEAN.LAPIOFFE@corp.com', 'jean.lapioffe2', 'Jean.Lapioffe@Other.org']) {
        const data = await ok(
          `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { user { email } } }`,
          { l: login, p: PASSWORD },
          null,
        );
        expect([login, data.createToken.user.email]).toEqual([
          login,
          login.includes('other') || login.includes('Other') || login === 'jean.lapioffe2' ? 'Jean.Lapioffe@Other.org' : 'jean.lapioffe@corp.com',
        ]);
      }
    });

    test('user(email) finds a user in any case and is null for an unknown email; users are sorted by login', async () => {
      const data = await ok(`{ a: user(email: "JEAN.lapioffe@CORP.com") { login } b: user(email: "nobody@corp.com") { login } users { login } }`);
      expect(data).toEqual({
        a: { login: 'jean.lapioffe' },
        b: null,
        users: ['amy', 'datasentinel', 'holder', 'jean.lapioffe', 'jean.lapioffe2', 'jean.lapioffe22', 'jean.lapioffe3', 'zed'].map((login) => ({ login })),
      });
    });

    test('every field can be set at creation', async () => {
      const result = await createUser('dev@corp.com', {
        password: PASSWORD,
        privilege: 'READ_WRITE',
        profile: 'DEVELOPER',
        live360: false,
        comment: 'on call',
        roles: ['future', 'analysts'],
      });
      expect(result.data?.createUser).toEqual({
        login: 'dev',
        email: 'dev@corp.com',
        profile: 'DEVELOPER',
        privilege: 'READ_WRITE',
        live360: false,
        comment: 'on call',
        ldap: false,
        restricted: true,
        roles: [{ name: 'analysts' }, { name: 'future' }],
        permissions: { administer: false, killSessions: true, live360: false, dashboards: [...DEVELOPER_DASHBOARDS] },
      });
      expect([...DEVELOPER_DASHBOARDS].sort()).toEqual(['reporting', 'session-history', 'top-queries', 'top-tables']);
    });

    test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
      ['read', { privilege: 'READ' }, { administer: false, killSessions: false }],
      ['read write', { privilege: 'READ_WRITE' }, { administer: false, killSessions: true }],
      ['admin', { privilege: 'ADMIN' }, { administer: true, killSessions: true }],
      ['admin developer', { privilege: 'ADMIN', profile: 'DEVELOPER' }, { administer: false, killSessions: true }],
      ['admin with a role', { privilege: 'ADMIN', roles: ['future'] }, { administer: false, killSessions: true }],
    ])('permissions of %s', async (label, input, expected) => {
      const email = `perm-${label.replace(/ /g, '-')}@corp.com`;
      const result = await createUser(email, { password: PASSWORD, ...input });
      const { administer, killSessions } = result.data?.createUser.permissions ?? {};
      expect({ administer, killSessions }).toEqual(expected);
    });

    test('an LDAP user has no local password and cannot sign in locally', async () => {
      const result = await createUser('ldap.user@corp.com', { ldap: true, privilege: 'READ' });
      expect(result.data?.createUser).toMatchObject({ login: 'ldap.user', ldap: true });
      expect(await gw.gateway.dataSource.query(`SELECT password_hash FROM users WHERE login = 'ldap.user'`)).toEqual([{ password_hash: null }]);
      const signIn = await call(`mutation { createToken(login: "ldap.user", password: "whatever-password") { token } }`, {}, null);
      expect(errorsOf(signIn)?.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    });

    const BAD_USERS: [string, string, Record<string, unknown>, string][] = [
      ['an invalid email', 'not-an-email', { password: PASSWORD }, 'email: must be a valid email address'],
      ['an empty email', '', { password: PASSWORD }, 'email: must be a valid email address'],
      ['an email with two @', 'a@b@corp.com', { password: PASSWORD }, 'email: must be a valid email address'],
      ['a password of 7 characters', 'short@corp.com', { password: '1234567' }, 'password: must be at least 8 characters'],
      ['no password', 'nopass@corp.com', {}, 'password: is required (unless ldap is true)'],
      ['a null password', 'nopass@corp.com', { password: null }, 'password: is required (unless ldap is true)'],
      ['an LDAP user with a password', 'ldap2@corp.com', { ldap: true, password: PASSWORD }, 'password: LDAP users have no local password'],
      ['an unknown role', 'norole@corp.com', { password: PASSWORD, roles: ['analysts', 'nope'] }, 'roles: unknown role "nope"'],
      ['a comment too long', 'comment@corp.com', { password: PASSWORD, comment: 'x'.repeat(2001) }, 'comment: is longer than 2000 characters'],
    ];

    describe('bad users are BAD_USER_INPUT naming the field, and write nothing', () => {
      let before: Awaited<ReturnType<typeof snapshot>>;
      beforeAll(async () => {
        before = await snapshot(gw);
      });
      test.each(BAD_USERS)('createUser with %s', async (_label, email, input, message) => {
        const result = await createUser(email, input);
        expect(errorsOf(result)).toEqual([{ code: 'BAD_USER_INPUT', message }]);
        expect(result.data).toBeNull();
      });
      test.each<[string, Record<string, unknown>, string]>([
        ['a password of 7 characters', { password: 'abcdefg' }, 'password: must be at least 8 characters'],
        ['an unknown role', { roles: ['nope'] }, 'roles: unknown role "nope"'],
        ['a password on an LDAP user', { password: PASSWORD, ldap: true }, 'password: LDAP users have no local password'],
        ['a comment too long', { comment: 'x'.repeat(2001) }, 'comment: is longer than 2000 characters'],
        ['a valid change next to a bad one', { privilege: 'READ', roles: ['nope'] }, 'roles: unknown role "nope"'],
        ['a null password for a local user', { password: null }, 'password: cannot be removed from a local user'],
      ])('updateUser with %s', async (_label, input, message) => {
        expect(errorsOf(await updateUser('jean.lapioffe@corp.com', input))).toEqual([{ code: 'BAD_USER_INPUT', message }]);
      });
      test('updateUser turning an LDAP user into a local one without a password', async () => {
        expect(errorsOf(await updateUser('ldap.user@corp.com', { ldap: false }))).toEqual([
          { code: 'BAD_USER_INPUT', message: 'password: is required when a user stops being an LDAP user' },
        ]);
      });
      test('nothing was written', async () => {
        expect(await snapshot(gw)).toEqual(before);
      });
    });

    test('updateUser changes only what is given; roles replace; null clears the comment', async () => {
      const email = 'jean.lapioffe@corp.com';
      expect((await updateUser(email, { comment: 'note', live360: false })).data?.updateUser).toMatchObject({
        comment: 'note',
        live360: false,
        privilege: 'ADMIN',
      });
      expect((await updateUser(email, { roles: ['future', 'analysts'] })).data?.updateUser).toMatchObject({
        roles: [{ name: 'analysts' }, { name: 'future' }],
        restricted: true,
        comment: 'note',
      });
      expect((await updateUser(email, { roles: ['future'], privilege: 'READ', profile: 'DEVELOPER' })).data?.updateUser).toMatchObject({
        roles: [{ name: 'future' }],
        privilege: 'READ',
        profile: 'DEVELOPER',
      });
      expect((await updateUser(email, { comment: null, roles: [] })).data?.updateUser).toEqual({
        login: 'jean.lapioffe',
        email,
        profile: 'DEVELOPER',
        privilege: 'READ',
        live360: false,
        comment: null,
        ldap: false,
        restricted: false,
        roles: [],
        permissions: { administer: false, killSessions: false, live360: false, dashboards: [...DEVELOPER_DASHBOARDS] },
      });
    });

    test('a new password replaces the old one', async () => {
      await updateUser('jean.lapioffe@corp.com', { password: 'a-brand-new-password' });
      const signIn = (password: string) =>
        call(`mutation($p: String!) { createToken(login: "jean.lapioffe", password: $p) { user { login } } }`, { p: password }, null);
      expect(errorsOf(await signIn(PASSWORD))?.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
      expect((await signIn('a-brand-new-password')).data).toEqual({ createToken: { user: { login: 'jean.lapioffe' } } });
    });

    test('updateUser and deleteUser of a missing user are NOT_FOUND; deleteUser returns true once', async () => {
      expect(errorsOf(await updateUser('ghost@corp.com', { comment: 'x' }))).toEqual([{ code: 'NOT_FOUND', message: 'User "ghost@corp.com" not found' }]);
      expect(await call(`mutation { deleteUser(email: "ZED@corp.com") }`)).toEqual({ data: { deleteUser: true } });
      expect(errorsOf(await call(`mutation { deleteUser(email: "zed@corp.com") }`))).toEqual([{ code: 'NOT_FOUND', message: 'User "zed@corp.com" not found' }]);
      expect(await call(`{ user(email: "zed@corp.com") { login } }`)).toEqual({ data: { user: null } });
    });

    test('me is the caller', async () => {
      expect(await ok(`{ me { ${USER} } }`)).toEqual({
        me: {
          login: 'datasentinel',
          email: ADMIN_EMAIL,
          profile: 'DATA_ADMIN',
          privilege: 'ADMIN',
          live360: true,
          comment: 'Default administrator',
          ldap: false,
          restricted: false,
          roles: [],
          permissions: { administer: true, killSessions: true, live360: true, dashboards: [...ALL_DASHBOARDS] },
        },
      });
    });

    test('User.connections is what that user can see', async () => {
      const data = await ok(`{ user(email: "amy@corp.com") { connections { totalCount nodes { name } } } }`);
      expect(data.user).toEqual({ connections: { totalCount: 2, nodes: [{ name: 'r-lon-prod' }, { name: 'r-uat' }] } });
    });
  });

  describe('paging arguments', () => {
    test.each([
      ['connections', (args: string) => `{ connections(${args}) { totalCount } }`],
      ['previewAccess', (args: string) => `{ previewAccess(access: [{ filters: [{ tag: "a", value: "1" }] }], ${args}) { totalCount } }`],
      ['me.connections', (args: string) => `{ me { connections(${args}) { totalCount } } }`],
      ['Role.connections', (args: string) => `{ role(name: "analysts") { connections(${args}) { totalCount } } }`],
    ])('%s: a bad cursor and a negative first are BAD_USER_INPUT', async (_label, query) => {
      expect(errorsOf(await call(query('after: "not-a-cursor"')))).toEqual([
        { code: 'BAD_USER_INPUT', message: 'Invalid cursor: pass the endCursor or an edge cursor of a previous page' },
      ]);
      expect(errorsOf(await call(query('first: -1')))).toEqual([{ code: 'BAD_USER_INPUT', message: '`first` must be a non-negative integer' }]);
    });
  });

  describe('passwords are never returned', () => {
    test('no output type has a password field', async () => {
      const data = await ok(`{ __schema { types { name kind fields { name } } } }`);
      const outputFields = data.__schema.types
        .filter((t: { kind: string; name: string }) => (t.kind === 'OBJECT' || t.kind === 'INTERFACE') && !t.name.startsWith('__'))
        .flatMap((t: { name: string; fields: { name: string }[] }) => t.fields.map((f) => `${t.name}.${f.name}`));
      expect(outputFields.length).toBeGreaterThan(50);
      // The one exception, by contract: a new API key's secret, returned once by `createApiKey` (its type is named
      // after it, hence ApiKeySecret.apiKey) and never stored.
      const shownOnce = ['ApiKeySecret.apiKey', 'ApiKeySecret.secret'];
      expect(outputFields.filter((f: string) => /pass|secret|hash|sealed|encrypted/i.test(f) && !shownOnce.includes(f))).toEqual([]);
      // The inputs do take passwords: the check above looks at the right schema.
      const inputs = data.__schema.types.filter((t: { kind: string }) => t.kind === 'INPUT_OBJECT').map((t: { name: string }) => t.name);
      expect(inputs).toEqual(expect.arrayContaining(['CreateConnectionInput', 'CreateUserInput']));
    });

    test('no answer contains a password, even with every field selected', async () => {
      const everything = `{
        connections { nodes { ${CONNECTION} lastProbeError lastProbeAt createdAt updatedAt } }
        users { id ${USER} createdAt updatedAt roles { name access { filters { tag value } } users { login email } } }
        me { id ${USER} }
        tags { key values { value count } }
      }`;
      const raw = JSON.stringify(await ok(everything));
      for (const secret of [CONNECTION_PASSWORD, PASSWORD, ADMIN_PASSWORD, 'a-brand-new-password', '$argon2']) expect(raw).not.toContain(secret);
    });

    test('they are stored only as a slow salted hash (users) and sealed (connections)', async () => {
      const users: { password_hash: string }[] = await gw.gateway.dataSource.query(`SELECT password_hash FROM users WHERE password_hash IS NOT NULL`);
      expect(users.length).toBeGreaterThan(5);
      for (const { password_hash } of users) expect(password_hash).toMatch(/^\$argon2id\$/);
      expect(new Set(users.map((u) => u.password_hash)).size).toBe(users.length);
      const sealed: { password_encrypted: string }[] = await gw.gateway.dataSource.query(`SELECT password_encrypted FROM connections`);
      for (const { password_encrypted } of sealed) expect(password_encrypted).not.toContain(CONNECTION_PASSWORD);
    });
  });
});

describe('the last unrestricted administrator (a gateway of its own)', () => {
  let gw: TestGateway;
  let admin: string;
  const updateUser = (email: string, input: Record<string, unknown>, token = admin) =>
    gw.gql(
      `mutation($email: String!, $input: UpdateUserInput!) { updateUser(email: $email, input: $input) { login privilege profile roles { name } } }`,
      { email, input },
      token,
    );
  const deleteUser = (email: string, token = admin) => gw.gql(`mutation($email: String!) { deleteUser(email: $email) }`, { email }, token);
  const LAST = (login: string) => [
    { code: 'LAST_ADMIN', message: `${login} is the last unrestricted administrator: it cannot be deleted, demoted, given a role or switched to LDAP` },
  ];
  const ATTEMPTS: [string, (email: string, token?: string) => Promise<GraphQLResponse>][] = [
    ['deleted', (email, token) => deleteUser(email, token)],
    ['demoted to READ', (email, token) => updateUser(email, { privilege: 'READ' }, token)],
    ['demoted to READ_WRITE', (email, token) => updateUser(email, { privilege: 'READ_WRITE' }, token)],
    ['given the DEVELOPER profile', (email, token) => updateUser(email, { profile: 'DEVELOPER' }, token)],
    ['restricted by a role', (email, token) => updateUser(email, { roles: ['limited'] }, token)],
    ['restricted and demoted at once', (email, token) => updateUser(email, { roles: ['limited'], privilege: 'READ' }, token)],
    // An LDAP account has no local password, and this gateway reaches no directory: no one could sign in as it.
    ['switched to LDAP', (email, token) => updateUser(email, { ldap: true }, token)],
    [
      'switched to LDAP with its other fields unchanged',
      (email, token) => updateUser(email, { ldap: true, privilege: 'ADMIN', profile: 'DATA_ADMIN', roles: [] }, token),
    ],
  ];

  beforeAll(async () => {
    gw = await startTestGateway({ probeTimeoutMs: 0 });
    admin = await gw.token();
    await gw.gqlOk(`mutation { createRole(name: "limited", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, {}, admin);
  });
  afterAll(() => gw?.stop());

  test.each(ATTEMPTS)('the only administrator cannot be %s', async (_label, attempt) => {
    const before = await snapshot(gw);
    expect(errorsOf(await attempt(ADMIN_EMAIL))).toEqual(LAST('datasentinel'));
    expect(await snapshot(gw)).toEqual(before);
  });

  test('administrators that are restricted, developers, LDAP accounts or not admin do not count', async () => {
    const create = (email: string, input: string) => gw.gqlOk(`mutation { createUser(email: "${email}", input: ${input}) { login } }`, {}, admin);
    await create('ldap.admin@corp.com', `{ ldap: true }`);
    await create('restricted.admin@corp.com', `{ password: "${PASSWORD}", roles: ["limited"] }`);
    await create('dev.admin@corp.com', `{ password: "${PASSWORD}", profile: DEVELOPER }`);
    await create('rw@corp.com', `{ password: "${PASSWORD}", privilege: READ_WRITE }`);
    for (const [label, attempt] of ATTEMPTS) expect([label, errorsOf(await attempt(ADMIN_EMAIL))]).toEqual([label, LAST('datasentinel')]);
  });

  test('harmless changes to the last administrator are allowed', async () => {
    expect((await updateUser(ADMIN_EMAIL, { privilege: 'ADMIN', profile: 'DATA_ADMIN', roles: [], comment: 'still here' })).data).toEqual({
      updateUser: { login: 'datasentinel', privilege: 'ADMIN', profile: 'DATA_ADMIN', roles: [] },
    });
  });

  test('with a second unrestricted administrator, either may be demoted, and then the other is the last', async () => {
    await gw.gqlOk(`mutation { createUser(email: "boss@corp.com", input: { password: "${PASSWORD}" }) { login } }`, {}, admin);
    const boss = await gw.token('boss', PASSWORD);
    expect((await updateUser(ADMIN_EMAIL, { privilege: 'READ' })).data).toEqual({
      updateUser: { login: 'datasentinel', privilege: 'READ', profile: 'DATA_ADMIN', roles: [] },
    });
    // boss is now the last one, including against themself.
    for (const [label, attempt] of ATTEMPTS) expect([label, errorsOf(await attempt('boss@corp.com', boss))]).toEqual([label, LAST('boss')]);
    // Promote a restricted administrator by removing their role: they count again.
    expect((await updateUser('restricted.admin@corp.com', { roles: [] }, boss)).data?.updateUser.roles).toEqual([]);
    expect(await deleteUser('boss@corp.com', boss)).toEqual({ data: { deleteUser: true } });
    const restored = await gw.token('restricted.admin', PASSWORD);
    expect((await updateUser(ADMIN_EMAIL, { privilege: 'ADMIN' }, restored)).data?.updateUser.privilege).toBe('ADMIN');
    expect(await deleteUser('restricted.admin@corp.com', admin)).toEqual({ data: { deleteUser: true } });
    expect(errorsOf(await deleteUser(ADMIN_EMAIL))).toEqual(LAST('datasentinel'));
  });
});

describe('an update that probes nothing', () => {
  let gw: TestGateway;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway({ probeTimeoutMs: 0 });
    token = await gw.token();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('never opens the stored password: a tag change works even when that password can no longer be opened', async () => {
    await gw.gqlOk(
      `mutation { createConnection(name: "sealed-away", input: { host: "pg.invalid", port: 5432, user: "u", password: "p" }) { name } }`,
      {},
      token,
    );
    const client = new Client({ connectionString: gw.database.url });
    await client.connect();
    try {
      // What a lost or wrong ENCRYPTION_KEY looks like to the gateway: a sealed value nothing opens.
      await client.query(`UPDATE connections SET password_encrypted = 'v1.bench.none.none.none' WHERE name = 'sealed-away'`);
    } finally {
      await client.end();
    }
    const updated = await gw.gql(
      `mutation { updateConnection(name: "sealed-away", input: { tags: [{ key: "team", value: "core" }] }) { tagString } }`,
      {},
      token,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data).toEqual({ updateConnection: { tagString: 'team=core' } });
  });
});
