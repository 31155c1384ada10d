/**
 * API keys (CONTRACT section 5, src/services/api-key.service.ts) end to end, over HTTP, on real PostgreSQL: the secret
 * is shown once and only its digest is stored, a key works wherever a token does (GraphQL `Authorization: Bearer`,
 * REST `user-token`), acts as its owner with the owner's current access and never more, read-only keys cannot
 * write, and revocation, owner deletion and expiry apply to the next request. Sign-in throttling counts bad keys.
 * Across two gateway processes: test/e2e/replicas.test.ts.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../../src/config';
import { createRequestContext } from '../../src/context/request-context';
import { API_KEY_SCAN_PATTERN } from '../../src/services/api-key.service';
import type { ThrottleRule } from '../../src/security-config';
import { parseGlobalId } from '../../src/services/global-id';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { restClient, type RestClient } from './rest-client';

const PASSWORD = 'a-long-enough-password';
const SCAN = new RegExp(`^${API_KEY_SCAN_PATTERN}$`);

let gw: TestGateway;
let api: RestClient;
let admin: string;

interface Created {
  id: string;
  prefix: string;
  secret: string;
}

/** POSTs an operation with `credential` in `Authorization: Bearer` (default) or in the vendor's `user-token` header. */
async function gql(
  query: string,
  variables: Record<string, unknown>,
  credential: string | null,
  header: 'bearer' | 'user-token' = 'bearer',
): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential) {
    if (header === 'bearer') headers.authorization = `Bearer ${credential}`;
    else headers['user-token'] = credential;
  }
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLResponse;
}

/** The database id inside a key's global id (`ApiKey.id`). */
const dbId = (id: string) => parseGlobalId(id)!.key;
const codeOf = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.code ?? 'OK';
/** The secret with its last hex digit changed (always to a different one: one secret in 16 ends in `0`). */
const tampered = (secret: string) => `${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`;

async function createKey(credential: string, name: string, options: { readOnly?: boolean; expiresAt?: string } = {}): Promise<Created> {
  const data = await gw.gqlOk(
    `mutation($name: String!, $readOnly: Boolean, $expiresAt: DateTimeISO) {
       createApiKey(name: $name, readOnly: $readOnly, expiresAt: $expiresAt) { secret apiKey { id prefix name readOnly } }
     }`,
    { name, readOnly: options.readOnly ?? false, expiresAt: options.expiresAt ?? null },
    credential,
  );
  const { secret, apiKey } = data.createApiKey;
  return { id: apiKey.id, prefix: apiKey.prefix, secret };
}

async function createUser(email: string, input: string): Promise<void> {
  await gw.gqlOk(`mutation { createUser(email: "${email}", input: ${input}) { login } }`, {}, admin);
}

const VISIBLE = `{ connections(first: 500) { totalCount nodes { name } } tags { key values { value count } } }`;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  api = restClient(gw.url);
  admin = await gw.token();
  for (const [name, env, team] of [
    ['dev-1', 'dev', 'red'],
    ['prod-1', 'prod', 'red'],
    ['prod-2', 'prod', 'blue'],
    ['qa-1', 'qa', 'blue'],
  ] as const) {
    await gw.gqlOk(
      `mutation($n: String!, $e: String!, $t: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p",
         tags: [{ key: "env", value: $e }, { key: "team", value: $t }] }) { name } }`,
      { n: name, e: env, t: team },
      admin,
    );
  }
  await gw.gqlOk(`mutation { createRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin);
  await gw.gqlOk(`mutation { createRole(name: "red-team", access: [{ filters: [{ tag: "team", value: "red" }] }]) { name } }`, {}, admin);
  await createUser('ana@corp.test', `{ password: "${PASSWORD}", privilege: READ, roles: ["prod-only"] }`);
  await createUser('ben@corp.test', `{ password: "${PASSWORD}", privilege: READ }`);
});
afterAll(() => gw?.stop());

describe('the secret', () => {
  test('is returned once, in the scanner-friendly format, and apiKeys never returns it', async () => {
    const key = await createKey(admin, 'ansible-nightly');
    expect(key.secret).toMatch(SCAN);
    expect(key.secret.startsWith(`dsk_${key.prefix}_`)).toBe(true);

    const listed = await gw.gql(`{ apiKeys { id name prefix readOnly createdAt expiresAt lastUsedAt revokedAt owner { login } } }`, {}, admin);
    expect(listed.errors).toBeUndefined();
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    expect(JSON.stringify(listed)).not.toContain(key.secret.slice(-64));
    expect(listed.data!.apiKeys).toContainEqual(
      expect.objectContaining({ id: key.id, name: 'ansible-nightly', prefix: key.prefix, owner: { login: 'datasentinel' } }),
    );

    // No field of ApiKey can carry it.
    const fields = await gw.gqlOk(`{ __type(name: "ApiKey") { fields { name } } }`, {}, admin);
    expect(fields.__type.fields.map((f: { name: string }) => f.name).sort()).toEqual([
      'createdAt',
      'expiresAt',
      'id',
      'lastUsedAt',
      'name',
      'owner',
      'prefix',
      'readOnly',
      'revokedAt',
    ]);
  });

  test('is stored nowhere in the database: only its SHA-256 digest is', async () => {
    const key = await createKey(admin, 'dump-check');
    // Use it on both APIs first, so every table it could end up in (throttle counters, usage stamps) has been written.
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');
    expect((await api.get('/ds-api/pool/pg-instances', { token: key.secret })).status).toBe(200);
    expect(codeOf(await gql(`{ me { login } }`, {}, tampered(key.secret)))).toBe('UNAUTHENTICATED');

    const tables: { table_name: string }[] = await gw.gateway.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['api_keys', 'login_throttle', 'settings', 'users']));
    const random = key.secret.slice(-64);
    for (const { table_name } of tables) {
      const rows: { row: string }[] = await gw.gateway.dataSource.query(`SELECT t::text AS row FROM public."${table_name}" t`);
      const text = rows.map((r) => r.row).join('\n');
      expect({ table_name, leaked: text.includes(random) || text.toLowerCase().includes(random) }).toEqual({ table_name, leaked: false });
    }
    const [stored] = await gw.gateway.dataSource.query(`SELECT prefix, encode(secret_hash, 'hex') AS digest FROM api_keys WHERE id = $1`, [dbId(key.id)]);
    expect(stored).toEqual({ prefix: key.prefix, digest: createHash('sha256').update(key.secret).digest('hex') });
  });
});

describe('a key works wherever a token does', () => {
  test('GraphQL with Authorization: Bearer or user-token, REST with user-token; it acts as its owner', async () => {
    const key = await createKey(admin, 'everywhere');
    expect((await gql(`{ me { login } }`, {}, key.secret, 'bearer')).data).toEqual({ me: { login: 'datasentinel' } });
    expect((await gql(`{ me { login } }`, {}, key.secret, 'user-token')).data).toEqual({ me: { login: 'datasentinel' } });
    const rest = await api.get('/ds-api/pool/pg-instances', { token: key.secret });
    expect(rest.status).toBe(200);
    expect(rest.body.map((c: { name: string }) => c.name)).toEqual(['dev-1', 'prod-1', 'prod-2', 'qa-1']);
    // A writable administrator key administers like its owner.
    expect((await api.post('/ds-api/roles/made-by-key', { token: key.secret, json: { access: [{ filters: [{ tag: 'env', value: 'dev' }] }] } })).status).toBe(
      201,
    );
    expect((await api.delete('/ds-api/roles/made-by-key', { token: key.secret })).status).toBe(200);
  });

  test('unknown and malformed keys are UNAUTHENTICATED / 401', async () => {
    for (const bad of ['dsk_', 'dsk_000000000000_' + '0'.repeat(64), 'dsk_not-a-key']) {
      expect(codeOf(await gql(`{ me { login } }`, {}, bad))).toBe('UNAUTHENTICATED');
      const rest = await api.get('/ds-api/pool/pg-instances', { token: bad });
      expect(rest.status).toBe(401);
      expect(Object.keys(rest.body)).toEqual(['error']);
    }
  });
});

describe('no key sees more than its owner', () => {
  test("a restricted owner's key sees exactly what the owner's token sees, on both APIs, and cannot administer", async () => {
    const token = await gw.token('ana', PASSWORD);
    const key = await createKey(token, 'ana-dashboards');
    const byToken = await gql(VISIBLE, {}, token);
    const byKey = await gql(VISIBLE, {}, key.secret);
    expect(byToken.data!.connections.totalCount).toBe(2);
    expect(byKey).toEqual(byToken);
    expect((await gql(`{ connection(name: "dev-1") { name } }`, {}, key.secret)).data).toEqual({ connection: null });
    expect((await gql(`{ me { connections { totalCount } roles { connectionCount } } }`, {}, key.secret)).data).toEqual(
      (await gql(`{ me { connections { totalCount } roles { connectionCount } } }`, {}, token)).data,
    );
    expect(codeOf(await gql(`{ users { login } }`, {}, key.secret))).toBe('FORBIDDEN');

    const restByKey = await api.get('/ds-api/pool/pg-instances', { token: key.secret });
    expect(restByKey.body).toEqual(await api.get('/ds-api/pool/pg-instances', { token }).then((r) => r.body));
    expect(restByKey.body.map((c: { name: string }) => c.name)).toEqual(['prod-1', 'prod-2']);
    expect((await api.get('/ds-api/pool/pg-instances/dev-1', { token: key.secret })).status).toBe(404);
    // Not read-only, but the owner may not write: the key may not either.
    expect((await api.post('/ds-api/roles/ana-role', { token: key.secret, json: { access: [{ filters: [{ tag: 'env', value: 'dev' }] }] } })).status).toBe(403);
  });

  test("a role change of the owner applies to the key's next request (warm cache)", async () => {
    await createUser('cleo@corp.test', `{ password: "${PASSWORD}", privilege: READ, roles: ["prod-only"] }`);
    const key = await createKey(await gw.token('cleo', PASSWORD), 'cleo-key');
    for (let i = 0; i < 3; i += 1) expect((await gql(VISIBLE, {}, key.secret)).data!.connections.totalCount).toBe(2);

    await gw.gqlOk(`mutation { updateUser(email: "cleo@corp.test", input: { roles: ["red-team"] }) { login } }`, {}, admin);
    expect((await gql(VISIBLE, {}, key.secret)).data!.connections.nodes).toEqual([{ name: 'dev-1' }, { name: 'prod-1' }]);
    expect((await api.get('/ds-api/pool/pg-instances', { token: key.secret })).body.map((c: { name: string }) => c.name)).toEqual(['dev-1', 'prod-1']);

    await gw.gqlOk(`mutation { updateRole(name: "red-team", access: [{ filters: [{ tag: "team", value: "blue" }] }]) { name } }`, {}, admin);
    expect((await gql(VISIBLE, {}, key.secret)).data!.connections.nodes).toEqual([{ name: 'prod-2' }, { name: 'qa-1' }]);
    await gw.gqlOk(`mutation { updateRole(name: "red-team", access: [{ filters: [{ tag: "team", value: "red" }] }]) { name } }`, {}, admin);

    // Privilege follows too: an administrator without roles administers through the same key at once.
    await gw.gqlOk(`mutation { updateUser(email: "cleo@corp.test", input: { roles: [], privilege: ADMIN }) { login } }`, {}, admin);
    expect(codeOf(await gql(`{ users { login } }`, {}, key.secret))).toBe('OK');
    await gw.gqlOk(`mutation { updateUser(email: "cleo@corp.test", input: { privilege: READ }) { login } }`, {}, admin);
    expect(codeOf(await gql(`{ users { login } }`, {}, key.secret))).toBe('FORBIDDEN');
  });
});

describe('read-only keys', () => {
  let readOnly: Created;
  beforeAll(async () => {
    readOnly = await createKey(admin, 'grafana', { readOnly: true });
  });

  test('read on both APIs', async () => {
    expect((await gql(VISIBLE, {}, readOnly.secret)).data!.connections.totalCount).toBe(4);
    expect(codeOf(await gql(`{ users { login } apiKeys { id } }`, {}, readOnly.secret))).toBe('OK');
    expect((await api.get('/ds-api/users', { token: readOnly.secret })).status).toBe(200);
  });

  test('every GraphQL mutation is FORBIDDEN, even one with invalid arguments, and nothing changes', async () => {
    const other = await createKey(admin, 'to-survive');
    const mutations = [
      `mutation { createConnection(name: "ro-1", input: { host: "h", port: 5432, user: "u", password: "p" }) { name } }`,
      `mutation { createConnection(name: "bad name!", input: { host: "", port: 0, user: "u", password: "p" }) { name } }`,
      `mutation { updateConnection(name: "dev-1", input: { port: 6543 }) { name } }`,
      `mutation { disableConnection(name: "dev-1") { name } }`,
      `mutation { deleteConnection(name: "qa-1") }`,
      `mutation { createRole(name: "ro-role", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`,
      `mutation { updateUser(email: "ben@corp.test", input: { privilege: ADMIN }) { login } }`,
      `mutation { deleteUser(email: "ben@corp.test") }`,
      `mutation { createApiKey(name: "escalate") { secret } }`,
      `mutation { revokeApiKey(id: "${other.id}") }`,
      `mutation { createToken(login: "ben", password: "${PASSWORD}") { token } }`,
    ];
    for (const mutation of mutations) {
      const result = await gql(mutation, {}, readOnly.secret);
      expect({ mutation, code: codeOf(result) }).toEqual({ mutation, code: 'FORBIDDEN' });
    }
    const state = await gw.gqlOk(
      `{ connection(name: "dev-1") { port enabled } user(email: "ben@corp.test") { privilege } apiKeys { name revokedAt } }`,
      {},
      admin,
    );
    expect(state.connection).toEqual({ port: 5432, enabled: true });
    expect(state.user).toEqual({ privilege: 'READ' });
    expect(state.apiKeys.filter((k: { name: string }) => k.name === 'escalate')).toEqual([]);
    expect(state.apiKeys.find((k: { name: string }) => k.name === 'to-survive').revokedAt).toBeNull();
  });

  test('the service layer refuses the write itself, whichever adapter calls it (inTransaction)', async () => {
    const services = gw.gateway.services;
    const [{ id }] = await gw.gateway.dataSource.query(`SELECT id FROM users WHERE login = 'datasentinel'`);
    const owner = await services.auth.loadPrincipal(id, null);
    const ctx = createRequestContext(services, { ...owner!, apiKey: { id: dbId(readOnly.id), readOnly: true } });
    const input = { host: 'h', port: 5432, user: 'u', password: 'p' };
    await expect(services.connections.create(ctx, 'ro-service', input)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services.users.update(ctx, 'ben@corp.test', { privilege: 'admin' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services.apiKeys.create(ctx, { name: 'escalate' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(services.apiKeys.revoke(ctx, readOnly.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // The same caller through a token (no key) may write: the refusal is the key's.
    const { apiKey: _key, ...asToken } = ctx.principal!;
    const created = await services.connections.create(createRequestContext(services, asToken), 'ro-service', input);
    expect(created.connection.name).toBe('ro-service');
    await services.connections.delete(createRequestContext(services, asToken), 'ro-service');
  });

  test('every REST write is 403 {"error"}, before the body is read', async () => {
    const writes: [string, string, unknown?][] = [
      ['POST', '/ds-api/pool/pg-instances/ro-2', { host: 'h', port: 5432, user: 'u', password: 'p' }],
      ['POST', '/ds-api/pool/pg-instances/ro-3', { not: 'valid' }],
      ['PUT', '/ds-api/pool/pg-instances/dev-1', { port: 6543 }],
      ['PATCH', '/ds-api/pool/pg-instances/dev-1/disable'],
      ['DELETE', '/ds-api/pool/pg-instances/qa-1'],
      ['POST', '/ds-api/roles/ro-role', { access: [{ filters: [{ tag: 'env', value: 'dev' }] }] }],
      ['PUT', '/ds-api/users/ben@corp.test', { privilege: 'admin' }],
      ['DELETE', '/ds-api/users/ben@corp.test'],
    ];
    for (const [method, path, json] of writes) {
      const response = await api.call(method, path, { token: readOnly.secret, json });
      expect({ method, path, status: response.status, keys: Object.keys(response.body ?? {}) }).toEqual({ method, path, status: 403, keys: ['error'] });
    }
    expect((await api.get('/ds-api/pool/pg-instances/dev-1', { token: admin })).body).toEqual(expect.objectContaining({ port: 5432 }));
    expect((await api.get('/ds-api/pool/pg-instances/qa-1', { token: admin })).status).toBe(200);
  });
});

describe('management', () => {
  test('apiKeys: own keys for a user, every key for an administrator', async () => {
    const benToken = await gw.token('ben', PASSWORD);
    const ben = await createKey(benToken, 'ben-key');
    const adminKey = await createKey(admin, 'admin-key');
    const own = await gw.gqlOk(`{ apiKeys { id owner { login } } }`, {}, benToken);
    expect(own.apiKeys).toEqual([{ id: ben.id, owner: { login: 'ben' } }]);
    const all = await gw.gqlOk(`{ apiKeys { id } }`, {}, admin);
    expect(all.apiKeys.map((k: { id: string }) => k.id)).toEqual(expect.arrayContaining([ben.id, adminKey.id]));
  });

  test("revocation: own key or, for an administrator, anyone's; foreign and unknown ids are NOT_FOUND", async () => {
    const benToken = await gw.token('ben', PASSWORD);
    const ben = await createKey(benToken, 'ben-revocable');
    const adminKey = await createKey(admin, 'admin-revocable');

    for (const id of [adminKey.id, '999999999', 'not-an-id', '']) {
      expect(codeOf(await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id }, benToken))).toBe('NOT_FOUND');
    }
    expect(codeOf(await gql(`{ me { login } }`, {}, adminKey.secret))).toBe('OK');

    // Warm the cache, then revoke: the next request is refused on both APIs.
    expect(codeOf(await gql(`{ me { login } }`, {}, ben.secret))).toBe('OK');
    expect((await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: ben.id }, benToken)).data).toEqual({ revokeApiKey: true });
    expect(codeOf(await gql(`{ me { login } }`, {}, ben.secret))).toBe('UNAUTHENTICATED');
    expect((await api.get('/ds-api/pool/pg-instances', { token: ben.secret })).status).toBe(401);

    // An administrator revokes someone else's key.
    const ben2 = await createKey(benToken, 'ben-second');
    expect(codeOf(await gql(`{ me { login } }`, {}, ben2.secret))).toBe('OK');
    expect((await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: ben2.id }, admin)).data).toEqual({ revokeApiKey: true });
    expect(codeOf(await gql(`{ me { login } }`, {}, ben2.secret))).toBe('UNAUTHENTICATED');
    const listed = await gw.gqlOk(`{ apiKeys { id revokedAt } }`, {}, benToken);
    const revokedAt = (id: string) => listed.apiKeys.find((k: { id: string }) => k.id === id).revokedAt;
    expect([typeof revokedAt(ben.id), typeof revokedAt(ben2.id)]).toEqual(['string', 'string']);
    // Revoking again changes nothing and still answers true.
    expect((await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: ben.id }, benToken)).data).toEqual({ revokeApiKey: true });
    expect((await gw.gqlOk(`{ apiKeys { id revokedAt } }`, {}, benToken)).apiKeys.find((k: { id: string }) => k.id === ben.id).revokedAt).toBe(
      revokedAt(ben.id),
    );
  });

  test('a revocation written straight in SQL reaches the cached key through NOTIFY alone', async () => {
    const key = await createKey(admin, 'sql-revoked');
    for (let i = 0; i < 3; i += 1) expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');
    await gw.gateway.dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [dbId(key.id)]);
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('UNAUTHENTICATED');
  });

  test('expiry: a past expiresAt is refused at creation, and an expired key is UNAUTHENTICATED / 401', async () => {
    expect(codeOf(await gql(`mutation { createApiKey(name: "late", expiresAt: "2020-01-01T00:00:00.000Z") { secret } }`, {}, admin))).toBe('BAD_USER_INPUT');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const key = await createKey(admin, 'short-lived', { expiresAt });
    const listed = await gw.gqlOk(`{ apiKeys { id expiresAt } }`, {}, admin);
    expect(listed.apiKeys.find((k: { id: string }) => k.id === key.id).expiresAt).toBe(expiresAt);
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');
    await gw.gateway.dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [dbId(key.id)]);
    const refused = await gql(`{ me { login } }`, {}, key.secret);
    expect(refused.errors?.[0]).toEqual(
      expect.objectContaining({ message: 'API key expired: create a new one', extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    );
    expect((await api.get('/ds-api/pool/pg-instances', { token: key.secret })).status).toBe(401);
  });

  test("deleting the owner revokes their keys; changing the owner's password does not", async () => {
    await createUser('dora@corp.test', `{ password: "${PASSWORD}", privilege: READ }`);
    const token = await gw.token('dora', PASSWORD);
    const key = await createKey(token, 'dora-key');
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');

    await gw.gqlOk(`mutation { updateUser(email: "dora@corp.test", input: { password: "another-password-1" }) { login } }`, {}, admin);
    expect(codeOf(await gql(`{ me { login } }`, {}, token))).toBe('UNAUTHENTICATED');
    expect((await gql(`{ me { login } }`, {}, key.secret)).data).toEqual({ me: { login: 'dora' } });

    await gw.gqlOk(`mutation { deleteUser(email: "dora@corp.test") }`, {}, admin);
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('UNAUTHENTICATED');
    expect((await api.get('/ds-api/pool/pg-instances', { token: key.secret })).status).toBe(401);
    expect(await gw.gateway.dataSource.query(`SELECT id FROM api_keys WHERE id = $1`, [dbId(key.id)])).toEqual([]);
  });

  test('lastUsedAt: set on first use, then not written again within the minute', async () => {
    const key = await createKey(admin, 'stamped');
    const lastUsed = async () =>
      (await gw.gateway.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [dbId(key.id)]))[0].last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);

    gw.resetStatements();
    for (let i = 0; i < 5; i += 1) expect(codeOf(await gql(`{ me { login } }`, {}, key.secret))).toBe('OK');
    expect((await api.get('/ds-api/pool/pg-instances', { token: key.secret })).status).toBe(200);
    const sent = [...gw.statements];
    expect(sent.filter((sql) => /api_keys/.test(sql))).toEqual([]);
    expect(await lastUsed()).toEqual(first);
    const listed = await gw.gqlOk(`{ apiKeys { id lastUsedAt } }`, {}, admin);
    expect(listed.apiKeys.find((k: { id: string }) => k.id === key.id).lastUsedAt).toBe(first!.toISOString());
  });
});

describe('sign-in throttling', () => {
  const rule = (failures: number): ThrottleRule => ({ failures, windowSeconds: 60, blockSeconds: 60 });
  const THROTTLED: Partial<Config> = {
    probeTimeoutMs: 0,
    trustProxy: 'loopback',
    loginThrottle: { perLoginAndAddress: rule(3), perAddress: rule(4), perLogin: rule(50) },
  };
  let throttled: TestGateway;
  beforeAll(async () => {
    throttled = await startTestGateway(THROTTLED);
  });
  afterAll(() => throttled?.stop());

  const me = async (credential: string, address: string) => {
    const response = await fetch(`${throttled.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}`, 'x-forwarded-for': address },
      body: JSON.stringify({ query: `{ me { login } }` }),
    });
    return codeOf((await response.json()) as GraphQLResponse);
  };
  const restStatus = async (credential: string, address: string) =>
    (await fetch(`${throttled.url}/ds-api/pool/pg-instances`, { headers: { 'user-token': credential, 'x-forwarded-for': address } })).status;

  test('unknown, revoked and expired keys count per source address like failed sign-ins, on both APIs', async () => {
    const adminToken = await throttled.token();
    const create = async (name: string) =>
      (await throttled.gqlOk(`mutation($n: String!) { createApiKey(name: $n) { secret apiKey { id } } }`, { n: name }, adminToken)).createApiKey;
    const good = await create('good');
    const revoked = await create('revoked');
    const expired = await create('expired');
    await throttled.gqlOk(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: revoked.apiKey.id }, adminToken);
    await throttled.gateway.dataSource.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [dbId(expired.apiKey.id)]);

    // A valid key never uses up the budget.
    for (let i = 0; i < 6; i += 1) expect(await me(good.secret, '198.51.100.7')).toBe('OK');

    expect(await me(`dsk_000000000000_${'1'.repeat(64)}`, '198.51.100.7')).toBe('UNAUTHENTICATED');
    expect(await me(revoked.secret, '198.51.100.7')).toBe('UNAUTHENTICATED');
    expect(await restStatus(expired.secret, '198.51.100.7')).toBe(401);
    expect(await me('dsk_garbage', '198.51.100.7')).toBe('UNAUTHENTICATED');
    // The budget of 4 is used up: this address is blocked for keys it has not been verified with yet, and for passwords.
    expect(await me(`dsk_000000000000_${'2'.repeat(64)}`, '198.51.100.7')).toBe('RATE_LIMITED');
    expect(await restStatus(`dsk_000000000000_${'3'.repeat(64)}`, '198.51.100.7')).toBe(429);
    const signIn = await fetch(`${throttled.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
      body: JSON.stringify({ query: `mutation { createToken(login: "datasentinel", password: "wrong-password") { token } }` }),
    });
    expect(codeOf((await signIn.json()) as GraphQLResponse)).toBe('RATE_LIMITED');

    // Another address is not affected, and its wrong passwords and bad keys share one budget.
    const other = await create('other');
    expect(await me(other.secret, '203.0.113.9')).toBe('OK');
    for (let i = 0; i < 3; i += 1) {
      const wrong = await fetch(`${throttled.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        body: JSON.stringify({ query: `mutation { createToken(login: "nobody-${i}", password: "wrong-password") { token } }` }),
      });
      expect(codeOf((await wrong.json()) as GraphQLResponse)).toBe('UNAUTHENTICATED');
    }
    expect(await me(`dsk_000000000000_${'4'.repeat(64)}`, '203.0.113.9')).toBe('UNAUTHENTICATED');
    expect(await me(`dsk_000000000000_${'5'.repeat(64)}`, '203.0.113.9')).toBe('RATE_LIMITED');
  });
});
