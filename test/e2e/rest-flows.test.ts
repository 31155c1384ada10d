/**
 * The REST compatibility API, replaying the seed documents' flows in their order over real HTTP:
 * access token (002), connection add/display/update/disable/enable/delete (001), roles (003), the blog's
 * walk-through (000), and the vendor toolkit's user flow (user_api, ldap_user_api). Status codes and exact bodies.
 *
 * Probes reach only the test PostgreSQL itself (`testServer()`) or the closed loopback port 127.0.0.1:1.
 */
import { testServer } from '../support/database';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { restClient, type RestClient, type RestResponse } from './rest-client';

let gw: TestGateway;
let api: RestClient;
let admin: string;
const pg = () => testServer();
const UNREACHABLE = { host: '127.0.0.1', port: 1, user: 'monitor', password: 'sentinel' };
const ADMIN_BASIC = { login: 'datasentinel', password: ADMIN_PASSWORD };

/** Every REST answer is JSON; a write answer is exactly one key. */
function expectJson(res: RestResponse): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.text).not.toMatch(/<html|<!DOCTYPE|\bat .+\.(ts|js):\d+/i);
}

function expectStatus(res: RestResponse, status: number, body: unknown): void {
  expectJson(res);
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
}

async function tokenFor(login: string, password: string): Promise<string> {
  const res = await api.post('/ds-api/user-token', { basic: { login, password } });
  expect(res.status).toBe(201);
  return res.body['user-token'];
}

beforeAll(async () => {
  gw = await startTestGateway();
  api = restClient(gw.url);
});
afterAll(() => gw.stop());

describe('GET /ds-api/ (no authentication)', () => {
  test('answers with the service name and version', async () => {
    const res = await api.get('/ds-api/');
    expectStatus(res, 200, { service: 'ds-access-gateway', version: expect.stringMatching(/^\d+\.\d+\.\d+/), api: 'ds-api' });
    expect((await api.get('/ds-api')).status).toBe(200);
  });
});

describe('access token (seed 002)', () => {
  test('POST /ds-api/user-token with Basic auth gives a token (201), usable in the user-token header', async () => {
    const res = await api.post('/ds-api/user-token', { basic: ADMIN_BASIC });
    expectStatus(res, 201, { 'user-token': expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) });
    admin = res.body['user-token'];
    expect((await api.get('/ds-api/users', { token: admin })).status).toBe(200);
    // The Bearer spelling works too.
    expect((await api.get('/ds-api/users', { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });

  test('GET /ds-api/user-token?token=T shows its details, expire_time as YYYY-MM-DD HH:MM:SS (UTC) in 24 hours', async () => {
    const res = await api.get(`/ds-api/user-token?token=${admin}`, { basic: ADMIN_BASIC });
    expectStatus(res, 200, {
      email: 'datasentinel@datasentinel.local',
      expire_time: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
      organization_name: 'ds-data',
      user: 'datasentinel',
    });
    const expires = Date.parse(`${res.body.expire_time.replace(' ', 'T')}Z`);
    expect(Math.abs(expires - (Date.now() + 24 * 3600 * 1000))).toBeLessThan(60_000);
  });

  test('Basic auth accepts the email as well as the login; /user-token/{organization} names this organization', async () => {
    expect((await api.post('/ds-api/user-token', { basic: { login: 'datasentinel@datasentinel.local', password: ADMIN_PASSWORD } })).status).toBe(201);
    const org = await api.post('/ds-api/user-token/ds-data', { basic: ADMIN_BASIC });
    expectStatus(org, 201, { 'user-token': expect.any(String) });
    expectStatus(await api.post('/ds-api/user-token/other-org', { basic: ADMIN_BASIC }), 401, { error: 'Unknown organization "other-org"' });
  });

  test('GET /ds-api/user-token without a token parameter issues one (the vendor Ansible role does this)', async () => {
    expectStatus(await api.get('/ds-api/user-token', { basic: ADMIN_BASIC }), 200, { 'user-token': expect.any(String) });
  });

  test('wrong or missing credentials: 401 with a Basic challenge; unknown token: 401', async () => {
    const wrong = await api.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: 'not-the-password' } });
    expectStatus(wrong, 401, { error: 'Invalid login or password' });
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    const unknownUser = await api.post('/ds-api/user-token', { basic: { login: 'nobody@corp.com', password: 'whatever1' } });
    expectStatus(unknownUser, 401, { error: 'Invalid login or password' });
    const none = await api.post('/ds-api/user-token');
    expect(none.status).toBe(401);
    expect(Object.keys(none.body)).toEqual(['error']);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
    // Token details need no credentials (holding the token is enough), but credentials that are sent must be right.
    expect((await api.get(`/ds-api/user-token?token=${admin}`)).status).toBe(200);
    expectStatus(await api.get(`/ds-api/user-token?token=${admin}`, { basic: { login: 'datasentinel', password: 'nope-nope' } }), 401, {
      error: 'Invalid login or password',
    });
    expectStatus(await api.get('/ds-api/user-token?token=not-a-token', { basic: ADMIN_BASIC }), 401, { error: 'Invalid token' });
  });

  test('a token header that is not valid is a 401, as is no token at all', async () => {
    expectStatus(await api.get('/ds-api/roles', { token: 'garbage' }), 401, { error: 'Invalid token' });
    const none = await api.get('/ds-api/roles');
    expect(none.status).toBe(401);
    expect(Object.keys(none.body)).toEqual(['error']);
  });
});

describe('connection API (seed 001)', () => {
  const TAGS = 'application=sales,environment=production,provider=amazon,datacenter=lyon';
  const path = '/ds-api/pool/pg-instances/sales-production';

  test('add: 201 "Connection created and connected!" when the probe connects', async () => {
    const { host, port, user, password } = pg();
    const res = await api.post(path, { token: admin, json: { host, port, user, password, tags: TAGS } });
    expectStatus(res, 201, { status: 'Connection created and connected!' });
  });

  test('display: every field, the password masked, defaults as the vendor shows them', async () => {
    const { host, port, user } = pg();
    expectStatus(await api.get(path, { token: admin }), 200, {
      name: 'sales-production',
      host,
      port,
      user,
      password: '********',
      tags: TAGS,
      enabled: true,
      connected: true,
      'collection-rate': 'low',
      samples: false,
      'lock-monitoring': true,
      'lock-monitoring-delay': 30,
      'table-monitoring': true,
      'query-monitoring': true,
      'query-monitoring-optimize': false,
      'query-monitoring-min-calls': 2,
      'query-monitoring-min-time': 1,
    });
  });

  test('update: 200 "Connection updated!"; tags replace, hyphenated monitoring keys accepted', async () => {
    const res = await api.put(path, {
      token: admin,
      json: { tags: 'application=sales,environment=production,provider=azure', 'lock-monitoring-delay': 60, 'collection-rate': 'high', samples: true },
    });
    expectStatus(res, 200, { status: 'Connection updated!' });
    const shown = (await api.get(path, { token: admin })).body;
    expect(shown).toMatchObject({
      tags: 'application=sales,environment=production,provider=azure',
      'lock-monitoring-delay': 60,
      'collection-rate': 'high',
      samples: true,
      connected: true,
    });
  });

  test('update of the credentials probes again: a wrong port leaves it not connected, the right one connects', async () => {
    expectStatus(await api.put(path, { token: admin, json: { port: 1, host: '127.0.0.1' } }), 200, { status: 'Connection updated!' });
    expect((await api.get(path, { token: admin })).body.connected).toBe(false);
    expectStatus(await api.put(path, { token: admin, json: { host: pg().host, port: pg().port } }), 200, { status: 'Connection updated!' });
    expect((await api.get(path, { token: admin })).body.connected).toBe(true);
  });

  test('disable: 200 "Connection disabled!", then enabled false and connected false', async () => {
    expectStatus(await api.patch(`${path}/disable`, { token: admin }), 200, { status: 'Connection disabled!' });
    expect((await api.get(path, { token: admin })).body).toMatchObject({ enabled: false, connected: false });
  });

  test('enable: 200 "Connection enabled!", probed again', async () => {
    expectStatus(await api.patch(`${path}/enable`, { token: admin }), 200, { status: 'Connection enabled!' });
    expect((await api.get(path, { token: admin })).body).toMatchObject({ enabled: true, connected: true });
  });

  test('add with an unreachable instance: 201 "Connection created!" and connected false', async () => {
    const res = await api.post('/ds-api/pool/pg-instances/crm-production', { token: admin, json: { ...UNREACHABLE, tags: '' } });
    expectStatus(res, 201, { status: 'Connection created!' });
    expect((await api.get('/ds-api/pool/pg-instances/crm-production', { token: admin })).body).toMatchObject({ connected: false, tags: '' });
  });

  test('failures: 409 on a second add, 400 on a bad tag string, 404 on a missing name, 401 without token', async () => {
    expectStatus(await api.post(path, { token: admin, json: { ...UNREACHABLE, tags: '' } }), 409, { error: 'Connection "sales-production" already exists' });
    expectStatus(await api.post('/ds-api/pool/pg-instances/bad-tags', { token: admin, json: { ...UNREACHABLE, tags: 'application=sales,oops' } }), 400, {
      error: 'Invalid tag "oops": expected key=value',
    });
    expectStatus(await api.post('/ds-api/pool/pg-instances/bad-tags', { token: admin, json: { ...UNREACHABLE, tags: 'server=other' } }), 400, {
      error: 'Invalid tag "server=other": "server" is set automatically by the gateway',
    });
    const missing = { error: 'Connection "nope" not found' };
    expectStatus(await api.get('/ds-api/pool/pg-instances/nope', { token: admin }), 404, missing);
    expectStatus(await api.put('/ds-api/pool/pg-instances/nope', { token: admin, json: { port: 5433 } }), 404, missing);
    expectStatus(await api.patch('/ds-api/pool/pg-instances/nope/disable', { token: admin }), 404, missing);
    expectStatus(await api.patch('/ds-api/pool/pg-instances/nope/enable', { token: admin }), 404, missing);
    expectStatus(await api.delete('/ds-api/pool/pg-instances/nope', { token: admin }), 404, missing);
    for (const res of [await api.get(path), await api.post(path, { json: {} }), await api.put(path, { json: {} }), await api.delete(path)]) {
      expect(res.status).toBe(401);
      expect(Object.keys(res.body)).toEqual(['error']);
    }
  });

  test('GET /ds-api/pool/pg-instances lists what the caller sees, sorted by name', async () => {
    const res = await api.get('/ds-api/pool/pg-instances', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.map((c: { name: string }) => c.name)).toEqual(['crm-production', 'sales-production']);
    expect(res.body.every((c: { password: string }) => c.password === '********')).toBe(true);
  });

  test('delete: 200 "Connection deleted!", then 404', async () => {
    expectStatus(await api.delete(path, { token: admin }), 200, { status: 'Connection deleted!' });
    expectStatus(await api.get(path, { token: admin }), 404, { error: 'Connection "sales-production" not found' });
    expectStatus(await api.delete('/ds-api/pool/pg-instances/crm-production', { token: admin }), 200, { status: 'Connection deleted!' });
  });
});

describe('role API (seed 003)', () => {
  const ACCESS = [
    {
      filters: [
        { tag: 'pg_version', value: '11.8' },
        { tag: 'environment', value: 'production' },
      ],
    },
  ];
  const UPDATED = [{ filters: [{ tag: 'environment', value: 'production' }] }];

  test('add: 201 "Role name MyNewRole created successfully" (tags no connection carries yet are fine)', async () => {
    expectStatus(await api.post('/ds-api/roles/MyNewRole', { token: admin, json: { access: ACCESS } }), 201, {
      status: 'Role name MyNewRole created successfully',
    });
  });

  test('display: {name, access}', async () => {
    expectStatus(await api.get('/ds-api/roles/MyNewRole', { token: admin }), 200, { name: 'MyNewRole', access: ACCESS });
  });

  test('update: 200 "Role name MyNewRole updated successfully"', async () => {
    expectStatus(await api.put('/ds-api/roles/MyNewRole', { token: admin, json: { access: UPDATED } }), 200, {
      status: 'Role name MyNewRole updated successfully',
    });
    expectStatus(await api.get('/ds-api/roles/MyNewRole', { token: admin }), 200, { name: 'MyNewRole', access: UPDATED });
  });

  test('the documented AND and OR examples', async () => {
    const and = [
      {
        filters: [
          { tag: 'environment', value: 'production' },
          { tag: 'datacenter', value: 'london' },
        ],
      },
    ];
    const or = [{ filters: [{ tag: 'environment', value: 'development' }] }, { filters: [{ tag: 'environment', value: 'uat' }] }];
    expectStatus(await api.post('/ds-api/roles/london-production', { token: admin, json: { access: and } }), 201, {
      status: 'Role name london-production created successfully',
    });
    expectStatus(await api.post('/ds-api/roles/testrole', { token: admin, json: { access: or } }), 201, { status: 'Role name testrole created successfully' });
  });

  test('list: every role as {name, access}', async () => {
    const res = await api.get('/ds-api/roles', { token: admin });
    expect(res.status).toBe(200);
    // Sorted by the database's collation; compare as a set so the test does not depend on it.
    expect(res.body.map((r: { name: string }) => r.name).sort()).toEqual(['london-production', 'MyNewRole', 'testrole'].sort());
    expect(res.body.find((r: { name: string }) => r.name === 'MyNewRole')).toEqual({ name: 'MyNewRole', access: UPDATED });
  });

  test('assigned users: [] for a role nobody holds, 404 for a missing role', async () => {
    expectStatus(await api.get('/ds-api/roles/MyNewRole/users', { token: admin }), 200, []);
    expectStatus(await api.get('/ds-api/roles/nope/users', { token: admin }), 404, { error: 'Role "nope" not found' });
  });

  test('failures: 409 on a second add, 400 on an empty access, 404 on a missing role', async () => {
    expectStatus(await api.post('/ds-api/roles/MyNewRole', { token: admin, json: { access: UPDATED } }), 409, { error: 'Role "MyNewRole" already exists' });
    expectStatus(await api.post('/ds-api/roles/empty', { token: admin, json: { access: [] } }), 400, {
      error: 'access must contain at least one group of filters',
    });
    expectStatus(await api.post('/ds-api/roles/empty', { token: admin, json: {} }), 400, { error: 'access: is required' });
    expectStatus(await api.get('/ds-api/roles/nope', { token: admin }), 404, { error: 'Role "nope" not found' });
    expectStatus(await api.put('/ds-api/roles/nope', { token: admin, json: { access: UPDATED } }), 404, { error: 'Role "nope" not found' });
    expectStatus(await api.delete('/ds-api/roles/nope', { token: admin }), 404, { error: 'Role "nope" not found' });
  });

  test('delete: 200 "Role name MyNewRole deleted successfully"', async () => {
    for (const name of ['MyNewRole', 'london-production', 'testrole']) {
      expectStatus(await api.delete(`/ds-api/roles/${name}`, { token: admin }), 200, { status: `Role name ${name} deleted successfully` });
    }
    expectStatus(await api.get('/ds-api/roles', { token: admin }), 200, []);
  });
});

describe("the blog's walk-through (seed 000): a user restricted to the sales application", () => {
  let jean: string;

  test('token, connection, role and user, each with its documented answer', async () => {
    const token = await tokenFor('datasentinel', ADMIN_PASSWORD);
    const { host, port, user, password } = pg();
    expectStatus(await api.post('/ds-api/pool/pg-instances/pg-sales', { token, json: { host, port, user, password, tags: 'application=sales' } }), 201, {
      status: 'Connection created and connected!',
    });
    expectStatus(await api.post('/ds-api/pool/pg-instances/pg-hr', { token, json: { ...UNREACHABLE, tags: 'application=hr' } }), 201, {
      status: 'Connection created!',
    });
    expectStatus(await api.post('/ds-api/roles/sales-role', { token, json: { access: [{ filters: [{ tag: 'application', value: 'sales' }] }] } }), 201, {
      status: 'Role name sales-role created successfully',
    });
    expectStatus(await api.post('/ds-api/users/jean.lapioffe@corp.com', { token, json: { password: 'myPassword', role: 'sales-role' } }), 201, {
      status: 'User with login jean.lapioffe created successfully',
    });
  });

  test('the user signs in with the email or the login', async () => {
    jean = await tokenFor('jean.lapioffe@corp.com', 'myPassword');
    await tokenFor('jean.lapioffe', 'myPassword');
  });

  test('they see the sales instance, and an instance outside their scope exactly like a missing one', async () => {
    expect((await api.get('/ds-api/pool/pg-instances/pg-sales', { token: jean })).body).toMatchObject({ name: 'pg-sales', tags: 'application=sales' });
    const hidden = await api.get('/ds-api/pool/pg-instances/pg-hr', { token: jean });
    expectStatus(hidden, 404, { error: 'Connection "pg-hr" not found' });
    expect((await api.get('/ds-api/pool/pg-instances', { token: jean })).body.map((c: { name: string }) => c.name)).toEqual(['pg-sales']);
    // Once it really is missing, the administrator gets the very same answer.
    expectStatus(await api.delete('/ds-api/pool/pg-instances/pg-hr', { token: admin }), 200, { status: 'Connection deleted!' });
    const missing = await api.get('/ds-api/pool/pg-instances/pg-hr', { token: admin });
    expect({ status: missing.status, body: missing.body, type: missing.headers['content-type'] }).toEqual({
      status: hidden.status,
      body: hidden.body,
      type: hidden.headers['content-type'],
    });
  });

  test('a restricted user administers nothing: 403 on every write, even on a missing object', async () => {
    const forbidden = {
      error: 'Administration needs an account without roles: a role-restricted user cannot administer the platform',
    };
    expectStatus(await api.post('/ds-api/pool/pg-instances/new-one', { token: jean, json: { ...UNREACHABLE } }), 403, forbidden);
    expectStatus(await api.put('/ds-api/pool/pg-instances/pg-sales', { token: jean, json: { port: 1 } }), 403, forbidden);
    expectStatus(await api.patch('/ds-api/pool/pg-instances/pg-sales/disable', { token: jean }), 403, forbidden);
    expectStatus(await api.delete('/ds-api/pool/pg-instances/nope', { token: jean }), 403, forbidden);
    expectStatus(await api.post('/ds-api/roles/mine', { token: jean, json: { access: [] } }), 403, forbidden);
    expectStatus(await api.put('/ds-api/users/jean.lapioffe@corp.com', { token: jean, json: { roles: [] } }), 403, forbidden);
    expectStatus(await api.get('/ds-api/users', { token: jean }), 403, forbidden);
    expectStatus(await api.get('/ds-api/roles', { token: jean }), 403, forbidden);
    // Nothing changed.
    expect((await api.get('/ds-api/pool/pg-instances/pg-sales', { token: admin })).body).toMatchObject({ enabled: true, port: pg().port });
  });

  test('clean up: the user, then the role, then the connection', async () => {
    expectStatus(await api.delete('/ds-api/users/jean.lapioffe@corp.com', { token: admin }), 200, {
      status: 'User with login jean.lapioffe deleted successfully',
    });
    // Deleting the user revokes their token at once.
    expect((await api.get('/ds-api/pool/pg-instances', { token: jean })).status).toBe(401);
    expectStatus(await api.delete('/ds-api/roles/sales-role', { token: admin }), 200, { status: 'Role name sales-role deleted successfully' });
    expectStatus(await api.delete('/ds-api/pool/pg-instances/pg-sales', { token: admin }), 200, { status: 'Connection deleted!' });
  });
});

describe("user API (the vendor toolkit's user_api flow)", () => {
  const ALL = 'stephane.jambut@sfr.fr';
  const NONE = 'alex-jambut.partie@sfr.fr';

  test('create a role, a user with every property, and a user with only a password', async () => {
    expectStatus(await api.post('/ds-api/roles/MyNewRole', { token: admin, json: { access: [{ filters: [{ tag: 'datacenter', value: 'paris' }] }] } }), 201, {
      status: 'Role name MyNewRole created successfully',
    });
    expectStatus(
      await api.post(`/ds-api/users/${ALL}`, {
        token: admin,
        json: { password: 'myPassword', privilege: 'admin', profile: 'data admin', live_360: 1, role: 'MyNewRole' },
      }),
      201,
      { status: 'User with login stephane.jambut created successfully' },
    );
    expectStatus(await api.post(`/ds-api/users/${NONE}`, { token: admin, json: { password: 'myPassword' } }), 201, {
      status: 'User with login alex-jambut.partie created successfully',
    });
  });

  test('display: {id, login, email, profile, privilege, roles, role, live_360, comment, ldap}', async () => {
    expectStatus(await api.get(`/ds-api/users/${ALL}`, { token: admin }), 200, {
      id: expect.any(Number),
      login: 'stephane.jambut',
      email: ALL,
      profile: 'data admin',
      privilege: 'admin',
      roles: ['MyNewRole'],
      role: 'MyNewRole',
      live_360: 1,
      comment: null,
      ldap: false,
    });
    expectStatus(await api.get(`/ds-api/users/${NONE}`, { token: admin }), 200, {
      id: expect.any(Number),
      login: 'alex-jambut.partie',
      email: NONE,
      profile: 'data admin',
      privilege: 'admin',
      roles: [],
      role: null,
      live_360: 1,
      comment: null,
      ldap: false,
    });
  });

  test('update: 200 "User with login … updated successfully"; live_360 as "0", roles as an array', async () => {
    expectStatus(
      await api.put(`/ds-api/users/${NONE}`, {
        token: admin,
        json: { privilege: 'read write', profile: 'developer', live_360: '0', comment: 'night shift', roles: ['MyNewRole'] },
      }),
      200,
      { status: 'User with login alex-jambut.partie updated successfully' },
    );
    expect((await api.get(`/ds-api/users/${NONE}`, { token: admin })).body).toMatchObject({
      privilege: 'read write',
      profile: 'developer',
      live_360: 0,
      comment: 'night shift',
      roles: ['MyNewRole'],
      role: 'MyNewRole',
    });
    expectStatus(await api.put(`/ds-api/users/${NONE}`, { token: admin, json: { live_360: true, role: null, comment: null } }), 200, {
      status: 'User with login alex-jambut.partie updated successfully',
    });
    expect((await api.get(`/ds-api/users/${NONE}`, { token: admin })).body).toMatchObject({ live_360: 1, roles: [], role: null, comment: null });
  });

  test('list: every user, sorted by login; assigned users of the role', async () => {
    const res = await api.get('/ds-api/users', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.map((u: { login: string }) => u.login)).toEqual(['alex-jambut.partie', 'datasentinel', 'stephane.jambut']);
    const holders = await api.get('/ds-api/roles/MyNewRole/users', { token: admin });
    expect(holders.status).toBe(200);
    expect(holders.body).toEqual([res.body.find((u: { login: string }) => u.login === 'stephane.jambut')]);
  });

  test('delete of a role still held: 400', async () => {
    expectStatus(await api.delete('/ds-api/roles/MyNewRole', { token: admin }), 400, {
      error: 'Role "MyNewRole" is assigned to 1 user(s); unassign it first',
    });
  });

  test('failures: 409 on a second add, 400 on a missing password, 404 on a missing user, 400 for the last administrator', async () => {
    expectStatus(await api.post(`/ds-api/users/${ALL}`, { token: admin, json: { password: 'myPassword' } }), 409, { error: `User "${ALL}" already exists` });
    expectStatus(await api.post('/ds-api/users/new.user@corp.com', { token: admin, json: { privilege: 'read' } }), 400, {
      error: 'password: is required (unless ldap is true)',
    });
    expectStatus(await api.post('/ds-api/users/new.user@corp.com', { token: admin, json: { password: 'short' } }), 400, {
      error: 'password: must be at least 8 characters',
    });
    expectStatus(await api.post('/ds-api/users/new.user@corp.com', { token: admin, json: { password: 'myPassword', role: 'ghost' } }), 400, {
      error: 'roles: unknown role "ghost"',
    });
    const missing = { error: 'User "nobody@corp.com" not found' };
    expectStatus(await api.get('/ds-api/users/nobody@corp.com', { token: admin }), 404, missing);
    expectStatus(await api.put('/ds-api/users/nobody@corp.com', { token: admin, json: { comment: 'x' } }), 404, missing);
    expectStatus(await api.delete('/ds-api/users/nobody@corp.com', { token: admin }), 404, missing);
    const last = { error: 'datasentinel is the last unrestricted administrator: it cannot be deleted, demoted, given a role or switched to LDAP' };
    expectStatus(await api.delete('/ds-api/users/datasentinel@datasentinel.local', { token: admin }), 400, last);
    // Every change that would end the last administrator's ability to sign in or administer, by PUT too.
    for (const change of [{ ldap: true }, { privilege: 'read' }, { profile: 'developer' }, { role: 'MyNewRole' }, { roles: ['MyNewRole'] }]) {
      expect([change, (await api.put('/ds-api/users/datasentinel@datasentinel.local', { token: admin, json: change })).body]).toEqual([change, last]);
      expect((await api.put('/ds-api/users/datasentinel@datasentinel.local', { token: admin, json: change })).status).toBe(400);
    }
    expect((await api.get('/ds-api/users/datasentinel@datasentinel.local', { token: admin })).body).toMatchObject({
      ldap: false,
      privilege: 'admin',
      profile: 'data admin',
      roles: [],
    });
  });

  test('a non-administrator gets 403 on writes and on administration reads', async () => {
    expectStatus(await api.post('/ds-api/users/reader@corp.com', { token: admin, json: { password: 'readerPass', privilege: 'read' } }), 201, {
      status: 'User with login reader created successfully',
    });
    const reader = await tokenFor('reader', 'readerPass');
    const forbidden = { error: 'Administration needs privilege "admin" and profile "data admin"' };
    expectStatus(await api.post('/ds-api/users/x@corp.com', { token: reader, json: { password: 'myPassword' } }), 403, forbidden);
    expectStatus(await api.delete(`/ds-api/users/${ALL}`, { token: reader }), 403, forbidden);
    expectStatus(await api.delete('/ds-api/roles/MyNewRole', { token: reader }), 403, forbidden);
    expectStatus(await api.get(`/ds-api/users/${ALL}`, { token: reader }), 403, forbidden);
    // Reading connections needs no administration.
    expectStatus(await api.get('/ds-api/pool/pg-instances', { token: reader }), 200, []);
    expectStatus(await api.delete('/ds-api/users/reader@corp.com', { token: admin }), 200, { status: 'User with login reader deleted successfully' });
  });

  test('delete the users, then the role', async () => {
    expectStatus(await api.delete(`/ds-api/users/${ALL}`, { token: admin }), 200, { status: 'User with login stephane.jambut deleted successfully' });
    expectStatus(await api.delete(`/ds-api/users/${NONE}`, { token: admin }), 200, { status: 'User with login alex-jambut.partie deleted successfully' });
    expectStatus(await api.delete('/ds-api/roles/MyNewRole', { token: admin }), 200, { status: 'Role name MyNewRole deleted successfully' });
  });
});

describe("LDAP users (the vendor toolkit's ldap_user_api flow)", () => {
  test('an LDAP user is created without a password, and cannot sign in locally', async () => {
    expectStatus(await api.post('/ds-api/roles/MyNewRole', { token: admin, json: { access: [{ filters: [{ tag: 'provider', value: 'aws' }] }] } }), 201, {
      status: 'Role name MyNewRole created successfully',
    });
    expectStatus(
      await api.post('/ds-api/users/ldap.user@corp.com', {
        token: admin,
        json: { ldap: true, privilege: 'admin', profile: 'data admin', live_360: 1, role: 'MyNewRole' },
      }),
      201,
      { status: 'User with login ldap.user created successfully' },
    );
    expect((await api.get('/ds-api/users/ldap.user@corp.com', { token: admin })).body).toMatchObject({ ldap: true, role: 'MyNewRole', live_360: 1 });
    expect((await api.post('/ds-api/user-token', { basic: { login: 'ldap.user', password: '' } })).status).toBe(401);
  });

  test('"role": "No restriction" (the playbook\'s spelling) means no role', async () => {
    expectStatus(
      await api.post('/ds-api/users/ldap.admin@corp.com', {
        token: admin,
        json: { ldap: true, privilege: 'admin', profile: 'data admin', live_360: 1, role: 'No restriction' },
      }),
      201,
      { status: 'User with login ldap.admin created successfully' },
    );
    expect((await api.get('/ds-api/users/ldap.admin@corp.com', { token: admin })).body).toMatchObject({ roles: [], role: null, ldap: true });
  });

  test('an LDAP user with a password is refused', async () => {
    expectStatus(await api.post('/ds-api/users/ldap.other@corp.com', { token: admin, json: { ldap: true, password: 'myPassword' } }), 400, {
      error: 'password: LDAP users have no local password',
    });
  });

  test('clean up', async () => {
    for (const email of ['ldap.user@corp.com', 'ldap.admin@corp.com']) {
      expect((await api.delete(`/ds-api/users/${email}`, { token: admin })).status).toBe(200);
    }
    expectStatus(await api.delete('/ds-api/roles/MyNewRole', { token: admin }), 200, { status: 'Role name MyNewRole deleted successfully' });
  });
});
