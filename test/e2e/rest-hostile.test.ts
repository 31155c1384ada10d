/**
 * Hostile and sloppy input to the REST API: malformed JSON, wrong types, unknown fields, empty and oversized bodies,
 * odd path parameters. Each gets its documented status and one clear `{"error"}`, never a 500, HTML or a stack
 * trace, and nothing is written (the database is compared before and after every rejected request).
 */
import { gzipSync } from 'node:zlib';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { basicHeader, restClient, type RestClient, type RestOptions, type RestResponse } from './rest-client';

let gw: TestGateway;
let api: RestClient;
let admin: string;
const CONNECTION = { host: '127.0.0.1', port: 1, user: 'monitor', password: 'sentinel', tags: 'env=test' };

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  api = restClient(gw.url);
  admin = (await api.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } })).body['user-token'];
  // Fixtures the rejected requests aim at.
  expect((await api.post('/ds-api/pool/pg-instances/target', { token: admin, json: CONNECTION })).status).toBe(201);
  expect((await api.post('/ds-api/roles/target-role', { token: admin, json: { access: [{ filters: [{ tag: 'env', value: 'test' }] }] } })).status).toBe(201);
  expect((await api.post('/ds-api/users/target@corp.com', { token: admin, json: { password: 'targetPass' } })).status).toBe(201);
});
afterAll(() => gw.stop());

/** Everything a write could change, as one comparable value. */
async function databaseState(): Promise<unknown> {
  const [row] = await gw.gateway.dataSource.query(
    `SELECT (SELECT coalesce(jsonb_agg(to_jsonb(c) - 'last_probe_at' ORDER BY c.id), '[]') FROM connections c) AS connections,
            (SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY r.id), '[]') FROM roles r) AS roles,
            (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.id), '[]') FROM users u) AS users,
            (SELECT coalesce(jsonb_agg(to_jsonb(ur) ORDER BY ur.user_id, ur.role_id), '[]') FROM user_roles ur) AS user_roles`,
  );
  return row;
}

/** Sends a request that must be rejected with `status`; checks the body is exactly one JSON `error` and that nothing changed. */
async function rejected(method: string, path: string, options: RestOptions, status: number, error?: string | RegExp): Promise<RestResponse> {
  const before = await databaseState();
  const res = await api.call(method, path, { token: admin, ...options });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.text).not.toMatch(/<html|<!DOCTYPE|\bat .+\.(ts|js):\d+|stack/i);
  expect({ status: res.status, keys: Object.keys(res.body ?? {}) }).toEqual({ status, keys: ['error'] });
  expect(typeof res.body.error).toBe('string');
  if (typeof error === 'string') expect(res.body.error).toBe(error);
  else if (error) expect(res.body.error).toMatch(error);
  expect(await databaseState()).toEqual(before);
  return res;
}

describe('bodies', () => {
  test('malformed JSON: 400 that says so, with where', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { raw: '{"host": "db", "port": 5432' }, 400, /^Malformed JSON body: .*position/);
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { raw: "{'port': 5433}" }, 400, /^Malformed JSON body/);
    await rejected('POST', '/ds-api/roles/new-role', { raw: 'access=x' }, 400, /^Malformed JSON body/);
  });

  test('the trailing comma of the vendor reference example is malformed JSON too', async () => {
    const body = '{\n  "host": "pg-sales-1734",\n  "port": 9342,\n  "user": "datasentinel",\n  "password": "sentinel",\n  "tags": "application=sales",\n}';
    await rejected('POST', '/ds-api/pool/pg-instances/sales-production', { raw: body }, 400, /^Malformed JSON body/);
  });

  test('anything but a JSON object: 400', async () => {
    await rejected('POST', '/ds-api/roles/new-role', { raw: '[{"filters": []}]' }, 400, 'Request body must be a JSON object, not an array');
    await rejected('PUT', '/ds-api/users/target@corp.com', { raw: 'null' }, 400, 'Request body must be a JSON object, not null');
    await rejected('PUT', '/ds-api/users/target@corp.com', { raw: '"text"' }, 400, 'Request body must be a JSON object, not a string');
  });

  test('empty or missing body where one is required: 400', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', {}, 400, 'Request body is required: send a JSON object');
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { raw: '' }, 400, 'Request body is required: send a JSON object');
    await rejected('PUT', '/ds-api/roles/target-role', { raw: '  \n ' }, 400, 'Request body is required: send a JSON object');
    await rejected('POST', '/ds-api/users/new@corp.com', {}, 400, 'Request body is required: send a JSON object');
  });

  test('unknown fields: 400 naming the field (nested ones with their place)', async () => {
    await rejected(
      'POST',
      '/ds-api/pool/pg-instances/new-one',
      { json: { ...CONNECTION, hostname: 'x' } },
      400,
      /^hostname: unknown field \(accepted: host, port, /,
    );
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { json: { connected: true } }, 400, /^connected: unknown field/);
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { json: { lock_monitoring: false } }, 400, /^lock_monitoring: unknown field/);
    await rejected(
      'POST',
      '/ds-api/roles/new-role',
      { json: { access: [{ filters: [{ tag: 'env', value: 'test', op: 'eq' }] }] } },
      400,
      'access[1].filters[1].op: unknown field (accepted: tag, value)',
    );
    await rejected('POST', '/ds-api/roles/new-role', { json: { access: [{ filters: [{ tag: 'env', value: 'x' }] }], name: 'y' } }, 400, /^name: unknown field/);
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { login: 'boss' } }, 400, /^login: unknown field/);
    await rejected('PUT', '/ds-api/users/target@corp.com', { raw: '{"__proto__": {"privilege": "admin"}}' }, 400, /^__proto__: unknown field/);
  });

  test('wrong types: 400 naming the field and the type', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: { ...CONNECTION, port: '5432' } }, 400, 'port: must be a number, not a string');
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: { ...CONNECTION, tags: ['env=test'] } }, 400, 'tags: must be a string, not an array');
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { json: { samples: 'yes' } }, 400, 'samples: must be true or false, not a string');
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { json: { host: null } }, 400, 'host: must be a string, not null');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { live_360: 'yes' } }, 400, 'live_360: must be 1 or 0 (or true / false), not "yes"');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { live_360: 2 } }, 400, 'live_360: must be 1 or 0 (or true / false), not 2');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { roles: 'target-role' } }, 400, 'roles: must be an array of strings, not a string');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { roles: [1] } }, 400, 'roles[1]: must be a string, not a number');
    await rejected(
      'POST',
      '/ds-api/roles/new-role',
      { json: { access: [{ filters: [{ tag: 'env', value: 11.8 }] }] } },
      400,
      'access[1].filters[1].value: must be a string, not a number',
    );
    await rejected('POST', '/ds-api/roles/new-role', { json: { access: { filters: [] } } }, 400, /^access: must be an array/);
  });

  test('missing required fields and out-of-range values: 400 naming the field (monitoring keys as the caller spelled them)', async () => {
    const { host: _host, ...noHost } = CONNECTION;
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: noHost }, 400, 'host: is required');
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: { ...CONNECTION, port: 70000 } }, 400, 'port: must be between 1 and 65535');
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: { ...CONNECTION, port: 54.5 } }, 400, 'port: must be an integer');
    await rejected(
      'PUT',
      '/ds-api/pool/pg-instances/target',
      { json: { 'lock-monitoring-delay': 0 } },
      400,
      'lock-monitoring-delay: must be at least 1 second',
    );
    await rejected(
      'PUT',
      '/ds-api/pool/pg-instances/target',
      { json: { 'collection-rate': 'turbo' } },
      400,
      'collection-rate: must be one of low, medium, high',
    );
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { privilege: 'root' } }, 400, 'privilege: must be one of read, read write, admin');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { profile: 'boss' } }, 400, 'profile: must be one of developer, data admin');
  });

  test('the password mask is never taken for a password', async () => {
    await rejected('PUT', '/ds-api/pool/pg-instances/target', { json: { password: '********' } }, 400, /^password: "\*{8}" is the mask/);
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { json: { ...CONNECTION, password: '********' } }, 400, /^password: /);
  });

  test('NUL characters and invalid UTF-8: 400', async () => {
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { comment: 'a\u0000b' } }, 400, 'comment: contains a NUL character');
    await rejected('PUT', '/ds-api/users/target@corp.com', { json: { roles: ['target-role', 'x\u0000'] } }, 400, 'roles[2]: contains a NUL character');
    await rejected(
      'PUT',
      '/ds-api/users/target@corp.com',
      { raw: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
      400,
      'Request body is not valid UTF-8',
    );
  });

  test('absurdly deep nesting: 400, not a stack overflow', async () => {
    const deep = `{"access": ${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
    await rejected('POST', '/ds-api/roles/new-role', { raw: deep }, 400, 'Request body is nested more than 32 levels deep');
  });

  test('bodies over 1 MiB: 413, also when they only grow that big once decompressed', async () => {
    const big = JSON.stringify({ ...CONNECTION, comment: 'x'.repeat(1024 * 1024) });
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { raw: big }, 413, 'Request body is larger than 1 MiB');
    await rejected(
      'PUT',
      '/ds-api/users/target@corp.com',
      { raw: gzipSync(Buffer.from(`{"comment": "${' '.repeat(2 * 1024 * 1024)}"}`)), headers: { 'content-encoding': 'gzip' } },
      413,
      'Request body is larger than 1 MiB',
    );
  });

  test('a body just under 1 MiB is read (padding is whitespace)', async () => {
    const body = JSON.stringify({ ...CONNECTION }) + ' '.repeat(1024 * 1024 - 200);
    const res = await api.post('/ds-api/pool/pg-instances/padded', { token: admin, raw: body });
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: { status: 'Connection created!' } });
    expect((await api.delete('/ds-api/pool/pg-instances/padded', { token: admin })).status).toBe(200);
  });

  test('a body without Content-Type (curl -d without -H) is still read as JSON', async () => {
    const res = await api.put('/ds-api/users/target@corp.com', {
      token: admin,
      raw: '{"comment": "hi"}',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { status: 'User with login target updated successfully' } });
  });
});

describe('path parameters', () => {
  test('URL-encoded emails work like plain ones, and case does not matter', async () => {
    const created = await api.post('/ds-api/users/jean.lapioffe%40corp.com', { token: admin, json: { password: 'myPassword' } });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: { status: 'User with login jean.lapioffe created successfully' } });
    expect((await api.get('/ds-api/users/jean.lapioffe@corp.com', { token: admin })).body).toMatchObject({ email: 'jean.lapioffe@corp.com' });
    expect((await api.get('/ds-api/users/JEAN.LAPIOFFE%40CORP.COM', { token: admin })).status).toBe(200);
    await rejected('POST', '/ds-api/users/jean.lapioffe%40corp.com', { json: { password: 'myPassword' } }, 409, 'User "jean.lapioffe@corp.com" already exists');
    const deleted = await api.delete('/ds-api/users/Jean.Lapioffe%40corp.com', { token: admin });
    expect({ status: deleted.status, body: deleted.body }).toEqual({ status: 200, body: { status: 'User with login jean.lapioffe deleted successfully' } });
  });

  test('an address that is not an email: 400 on create, 404 on lookup', async () => {
    await rejected('POST', '/ds-api/users/not-an-email', { json: { password: 'myPassword' } }, 400, 'email: must be a valid email address');
    await rejected('POST', '/ds-api/users/a%40b%40c', { json: { password: 'myPassword' } }, 400, 'email: must be a valid email address');
    await rejected('GET', '/ds-api/users/not-an-email', {}, 404, 'User "not-an-email" not found');
  });

  test('names with an encoded "/": 400 on create, 404 on lookup, never another route', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/a%2Fb', { json: CONNECTION }, 400, /^name: /);
    await rejected('GET', '/ds-api/pool/pg-instances/a%2Fb', {}, 404, 'Connection "a/b" not found');
    await rejected('POST', '/ds-api/roles/a%2Fusers', { json: { access: [{ filters: [{ tag: 'env', value: 'x' }] }] } }, 400, /^name: /);
    await rejected('GET', '/ds-api/roles/target-role%2Fusers', {}, 404, 'Role "target-role/users" not found');
    await rejected('PATCH', '/ds-api/pool/pg-instances/target%2Fdisable', {}, 405, /^Method PATCH is not allowed/);
  });

  test('"." and ".." (plain or encoded) are not names', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/%2E%2E', { json: CONNECTION }, 400, 'name: name cannot be "." or ".."');
    await rejected('POST', '/ds-api/roles/.', { json: { access: [{ filters: [{ tag: 'env', value: 'x' }] }] } }, 400, 'name: name cannot be "." or ".."');
    await rejected('GET', '/ds-api/pool/pg-instances/..', {}, 404, 'Connection ".." not found');
    await rejected('DELETE', '/ds-api/pool/pg-instances/%2e%2e', {}, 404, 'Connection ".." not found');
    await rejected('GET', '/ds-api/pool/pg-instances/../../users', {}, 404, /^Not found: GET/);
  });

  test('odd characters: spaces, quotes, Unicode, too long, NUL, broken percent-encoding', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/sales%20prod', { json: CONNECTION }, 400, /^name: name must be 1-64 characters/);
    await rejected('POST', '/ds-api/pool/pg-instances/caf%C3%A9', { json: CONNECTION }, 400, /^name: /);
    await rejected(
      'POST',
      '/ds-api/roles/%27%3B%20DROP%20TABLE%20roles%3B--',
      { json: { access: [{ filters: [{ tag: 'env', value: 'x' }] }] } },
      400,
      /^name: /,
    );
    await rejected('POST', `/ds-api/pool/pg-instances/${'a'.repeat(65)}`, { json: CONNECTION }, 400, /^name: /);
    await rejected('GET', "/ds-api/pool/pg-instances/'%3B%20DROP%20TABLE%20connections%3B--", {}, 404, `Connection "'; DROP TABLE connections;--" not found`);
    await rejected('GET', '/ds-api/pool/pg-instances/a%00b', {}, 400, 'name: contains a NUL character');
    await rejected('DELETE', '/ds-api/users/a%00@corp.com', {}, 400, 'email: contains a NUL character');
    await rejected('GET', '/ds-api/roles/%E0%A4%A', {}, 400, /^Malformed URL/);
    await rejected('GET', '/ds-api/users/%ZZ', {}, 400, /^Malformed URL/);
  });
});

describe('routing and authentication', () => {
  test('unknown paths under /ds-api: 404 in JSON, even for a browser', async () => {
    await rejected('GET', '/ds-api/nope', {}, 404, 'Not found: GET /ds-api/nope is not part of the API');
    await rejected('GET', '/ds-api/roles/target-role/users/extra', {}, 404, /^Not found/);
    await rejected('POST', '/ds-api/pool/pg-instances', { json: CONNECTION }, 405, /^Method POST is not allowed/);
    await rejected('GET', '/ds-api/nope', { headers: { accept: 'text/html' } }, 404, /^Not found/);
  });

  test('known paths with another method: 405 with an Allow header', async () => {
    const res = await rejected(
      'PATCH',
      '/ds-api/roles/target-role',
      { json: {} },
      405,
      'Method PATCH is not allowed on /ds-api/roles/target-role; use GET, HEAD, POST, PUT, DELETE',
    );
    expect(res.headers.allow).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS');
    await rejected('GET', '/ds-api/pool/pg-instances/target/disable', {}, 405, /^Method GET is not allowed/);
    await rejected('DELETE', '/ds-api/user-token', {}, 405, /^Method DELETE is not allowed/);
    await rejected('PUT', '/ds-api/', {}, 405, /^Method PUT is not allowed/);
  });

  test('OPTIONS answers with the allowed methods', async () => {
    const res = await api.call('OPTIONS', '/ds-api/users/target@corp.com');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, POST, PUT, DELETE, OPTIONS');
  });

  test('no token, a bad token, or malformed Basic credentials: 401, checked before the body is even read', async () => {
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { token: '', raw: '{broken' }, 401);
    await rejected('POST', '/ds-api/pool/pg-instances/new-one', { token: 'a.b.c', json: CONNECTION }, 401, 'Invalid token');
    await rejected('PUT', '/ds-api/users/target@corp.com', { token: '', raw: 'x'.repeat(2 * 1024 * 1024) }, 401);
    await rejected('POST', '/ds-api/user-token', { token: '', headers: { authorization: 'Basic !!!' } }, 401);
    await rejected('POST', '/ds-api/user-token', { token: '', headers: { authorization: basicHeader('datasentinel\u0000', ADMIN_PASSWORD) } }, 401);
    await rejected('POST', '/ds-api/user-token', { token: '', headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` } }, 401);
    // A token does not stand in for Basic credentials on the token endpoint.
    await rejected('POST', '/ds-api/user-token', {}, 401);
  });

  test('query string oddities on token details: 400 for two tokens, 404 for an unknown one', async () => {
    const basic = { login: 'datasentinel', password: ADMIN_PASSWORD };
    await rejected('GET', `/ds-api/user-token?token=${admin}&token=${admin}`, { token: '', basic }, 400, 'token: give exactly one token');
    await rejected('GET', '/ds-api/user-token?token=', { token: '', basic }, 401, 'Invalid token');
    await rejected('GET', '/ds-api/user-token?token=%00', { token: '', basic }, 401, 'Invalid token');
  });

  test('answers are never cached', async () => {
    const res = await api.get('/ds-api/pool/pg-instances/target', { token: admin });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
