/**
 * The audit log (issue 16, CONTRACT section 5) end to end, over HTTP on real PostgreSQL: each write through GraphQL
 * and REST records exactly one event in its transaction, with the right actor, channel, request id and before/after;
 * no secret reaches any event; failed and rolled-back writes record nothing; sign-ins and their failures are recorded
 * without the password; `auditEvents` is for administrators, newest first, paged; the table is append-only.
 */
import { Client } from 'pg';
import { inTransaction } from '../../src/context/request-context';
import { createRequestContext } from '../../src/context/request-context';
import { startTestGateway, ADMIN_PASSWORD, errorCode, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { restClient, type RestClient } from './rest-client';

const USER_PASSWORD = 'users-secret-password-1';
const NEW_PASSWORD = 'users-new-password-2';
const WRONG_PASSWORD = 'not-the-password-xyz';
const REST_PASSWORD = 'rest-users-password-3';
const DB_PASSWORD = 'monitored-db-password-4';
const DB_PASSWORD_2 = 'monitored-db-password-5';
const IMPORT_PASSWORD = 'imported-db-password-6';

let gw: TestGateway;
let api: RestClient;
let admin: string;
/** Every secret the tests use: none may appear in any event. */
const secrets = new Set<string>([ADMIN_PASSWORD, USER_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, REST_PASSWORD, DB_PASSWORD, DB_PASSWORD_2, IMPORT_PASSWORD]);

interface Event {
  id: string;
  at: string;
  actor: string;
  channel: string;
  requestId: string | null;
  action: string;
  targetType: string;
  target: string;
  before: unknown;
  after: unknown;
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  api = restClient(gw.url);
  admin = await gw.token();
  secrets.add(admin);
});

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: gw.database.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const EVENT_COLUMNS = `id::text AS id, at, actor, channel, request_id AS "requestId", action, target_type AS "targetType", target, before, after`;
const lastEventId = async () => (await sql<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_events`))[0]!.id;
/** The events recorded after `since` (an id from {@link lastEventId}), oldest first. */
const eventsAfter = (since: string) => sql<Event>(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE id > $1 ORDER BY audit_events.id`, [since]);

/** Runs `work` and returns the events it recorded. */
async function recorded(work: () => Promise<unknown>): Promise<Event[]> {
  const since = await lastEventId();
  await work();
  return eventsAfter(since);
}

/** POSTs an operation with an `x-request-id` of our choosing. */
async function gqlWithRequestId(query: string, variables: Record<string, unknown>, token: string | null, requestId: string): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLResponse;
}

const ACCESS = [{ filters: [{ tag: 'environment', value: 'production' }] }];
const UPDATED = [{ filters: [{ tag: 'environment', value: 'staging' }] }];
const CREATE_ROLE = `mutation($name: String!, $access: [AccessGroupInput!]!) { createRole(name: $name, access: $access) { name } }`;
const UPDATE_ROLE = `mutation($name: String!, $access: [AccessGroupInput!]!) { updateRole(name: $name, access: $access) { name } }`;
const DELETE_ROLE = `mutation($name: String!) { deleteRole(name: $name) }`;
const CREATE_USER = `mutation($email: String!, $input: CreateUserInput!) { createUser(email: $email, input: $input) { login } }`;
const UPDATE_USER = `mutation($email: String!, $input: UpdateUserInput!) { updateUser(email: $email, input: $input) { login } }`;
const DELETE_USER = `mutation($email: String!) { deleteUser(email: $email) }`;
const CREATE_TOKEN = `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }`;

afterAll(async () => {
  try {
    // No secret in any event of the whole file, whatever the test that wrote it.
    const text = JSON.stringify(await sql(`SELECT ${EVENT_COLUMNS} FROM audit_events`));
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(text.includes(secret) ? secret : null).toBeNull();
    expect(text).not.toMatch(/dsk_[0-9a-f]{12}_[0-9a-f]{64}/);
    expect(text).not.toMatch(/\$argon2/);
  } finally {
    await gw.stop();
  }
});

test('the default administrator created at first start is recorded as a change by the system', async () => {
  const created = await sql<Event>(`SELECT ${EVENT_COLUMNS} FROM audit_events WHERE action = 'user.create' AND target = 'datasentinel'`);
  expect(created).toEqual([
    expect.objectContaining({
      actor: 'system',
      channel: 'system',
      requestId: null,
      after: expect.objectContaining({ login: 'datasentinel', privilege: 'admin', password: '********' }) as unknown,
    }),
  ]);
});

describe('GraphQL writes', () => {
  test('createRole, updateRole, deleteRole: one event each, with actor, channel, request id and the changed fields', async () => {
    const created = await recorded(async () => {
      const answer = await gqlWithRequestId(CREATE_ROLE, { name: 'audited-role', access: ACCESS }, admin, 'req-create-role-1');
      expect(answer.errors).toBeUndefined();
    });
    expect(created).toEqual([
      expect.objectContaining({
        actor: 'datasentinel',
        channel: 'graphql',
        requestId: 'req-create-role-1',
        action: 'role.create',
        targetType: 'role',
        target: 'audited-role',
        before: null,
        after: { name: 'audited-role', access: ACCESS },
      }),
    ]);

    const updated = await recorded(() => gw.gqlOk(UPDATE_ROLE, { name: 'audited-role', access: UPDATED }, admin));
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({ action: 'role.update', target: 'audited-role', before: { access: ACCESS }, after: { access: UPDATED } });
    expect(updated[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/); // assigned by the server when the client sent none

    const deleted = await recorded(() => gw.gqlOk(DELETE_ROLE, { name: 'audited-role' }, admin));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ action: 'role.delete', target: 'audited-role', before: { name: 'audited-role', access: UPDATED }, after: null });
  });

  test('users: the password is "********" on create and update, never its value; only changed fields on update', async () => {
    await gw.gqlOk(CREATE_ROLE, { name: 'readers', access: ACCESS }, admin);
    const created = await recorded(() =>
      gw.gqlOk(CREATE_USER, { email: 'Audited.User@corp.com', input: { password: USER_PASSWORD, privilege: 'READ', roles: ['readers'] } }, admin),
    );
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      action: 'user.create',
      target: 'audited.user',
      before: null,
      after: {
        email: 'Audited.User@corp.com',
        login: 'audited.user',
        privilege: 'read',
        profile: 'data admin',
        live360: true,
        comment: null,
        ldap: false,
        roles: ['readers'],
        password: '********',
      },
    });

    const updated = await recorded(() =>
      gw.gqlOk(UPDATE_USER, { email: 'audited.user@corp.com', input: { password: NEW_PASSWORD, privilege: 'READ_WRITE', roles: [] } }, admin),
    );
    expect(updated).toHaveLength(1);
    expect(updated[0]!.before).toEqual({ privilege: 'read', roles: ['readers'], password: '********' });
    expect(updated[0]!.after).toEqual({ privilege: 'read write', roles: [], password: '********' });

    const deleted = await recorded(() => gw.gqlOk(DELETE_USER, { email: 'audited.user@corp.com' }, admin));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({
      action: 'user.delete',
      target: 'audited.user',
      after: null,
      before: expect.objectContaining({ privilege: 'read write', roles: [] }) as unknown,
    });
    expect(deleted[0]!.before).not.toHaveProperty('password');
  });

  test('API keys: the secret is "********"; using a key is not a sign-in; revoking records once', async () => {
    const created = await recorded(async () => {
      const data = await gw.gqlOk<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
        `mutation { createApiKey(name: "audit-integration") { secret apiKey { id } } }`,
        {},
        admin,
      );
      secrets.add(data.createApiKey.secret);
      // A request with the key: no event.
      const me = await gw.gqlOk<{ me: { login: string } }>(`{ me { login } }`, {}, data.createApiKey.secret);
      expect(me.me.login).toBe('datasentinel');
      const revoke = `mutation($id: ID!) { revokeApiKey(id: $id) }`;
      await gw.gqlOk(revoke, { id: data.createApiKey.apiKey.id }, admin);
      await gw.gqlOk(revoke, { id: data.createApiKey.apiKey.id }, admin); // already revoked: nothing changes
    });
    expect(created.map((e) => e.action)).toEqual(['apikey.create', 'apikey.revoke']);
    expect(created[0]!.after).toMatchObject({ name: 'audit-integration', owner: 'datasentinel', readOnly: false, secret: '********' });
    expect(created[1]).toMatchObject({ before: { revokedAt: null }, after: { revokedAt: expect.any(String) as unknown } });
  });
});

describe('connections', () => {
  const CREATE = `mutation($name: String!, $input: CreateConnectionInput!) { createConnection(name: $name, input: $input) { name } }`;
  const UPDATE = `mutation($name: String!, $input: UpdateConnectionInput!) { updateConnection(name: $name, input: $input) { name } }`;

  test('GraphQL create, update, disable, enable, delete and import: one event each; the password only as "********"', async () => {
    const events = await recorded(async () => {
      const input = { host: 'db-1.invalid', port: 5432, user: 'monitor', password: DB_PASSWORD, tags: [{ key: 'environment', value: 'production' }] };
      await gw.gqlOk(CREATE, { name: 'audited-db', input }, admin);
      await gw.gqlOk(UPDATE, { name: 'audited-db', input: { port: 5433, password: DB_PASSWORD_2 } }, admin);
      await gw.gqlOk(`mutation { disableConnection(name: "audited-db") { name } }`, {}, admin);
      await gw.gqlOk(`mutation { enableConnection(name: "audited-db") { name } }`, {}, admin);
      await gw.gqlOk(`mutation { deleteConnection(name: "audited-db") }`, {}, admin);
      const items = ['imp-a', 'imp-b'].map((name) => ({ name, host: `${name}.invalid`, port: 5432, user: 'monitor', password: IMPORT_PASSWORD }));
      await gw.gqlOk(`mutation($inputs: [ImportConnectionInput!]!) { importConnections(inputs: $inputs, probe: false) { created } }`, { inputs: items }, admin);
    });
    expect(events.map((e) => [e.action, e.target, e.channel])).toEqual([
      ['connection.create', 'audited-db', 'graphql'],
      ['connection.update', 'audited-db', 'graphql'],
      ['connection.disable', 'audited-db', 'graphql'],
      ['connection.enable', 'audited-db', 'graphql'],
      ['connection.delete', 'audited-db', 'graphql'],
      ['connection.import', 'connections', 'graphql'],
    ]);
    expect(events[0]!.after).toMatchObject({
      name: 'audited-db',
      host: 'db-1.invalid',
      port: 5432,
      user: 'monitor',
      tags: [{ key: 'environment', value: 'production' }],
      enabled: true,
      password: '********',
    });
    expect(events[1]).toMatchObject({ before: { port: 5432, password: '********' }, after: { port: 5433, password: '********' } });
    expect(Object.keys(events[1]!.before as object).sort()).toEqual(['password', 'port']);
    expect(events[2]).toMatchObject({ before: { enabled: true }, after: { enabled: false } });
    expect(events[3]).toMatchObject({ before: { enabled: false }, after: { enabled: true } });
    expect(events[4]).toMatchObject({ after: null, before: { name: 'audited-db', port: 5433, enabled: true, password: '********' } });
    expect(events[5]!.after).toEqual({ created: 2, names: ['imp-a', 'imp-b'] });
  });

  test('REST connection writes record channel rest; a refused import records nothing', async () => {
    const body = { host: 'rest-db.invalid', port: 5432, user: 'monitor', password: DB_PASSWORD, tags: 'environment=staging' };
    const events = await recorded(async () => {
      expect((await api.post('/ds-api/pool/pg-instances/rest-db', { token: admin, json: body })).status).toBe(201);
      expect((await api.patch('/ds-api/pool/pg-instances/rest-db/disable', { token: admin })).status).toBe(200);
      expect((await api.delete('/ds-api/pool/pg-instances/rest-db', { token: admin })).status).toBe(200);
      const bad = [
        { name: 'imp-c', host: 'c.invalid', port: 5432, user: 'monitor', password: IMPORT_PASSWORD },
        { name: 'imp-a', host: 'x', port: 0, user: '', password: '' },
      ];
      expect(
        errorCode(await gw.gql(`mutation($inputs: [ImportConnectionInput!]!) { importConnections(inputs: $inputs) { created } }`, { inputs: bad }, admin)),
      ).toBe('BAD_USER_INPUT');
    });
    expect(events.map((e) => [e.action, e.channel])).toEqual([
      ['connection.create', 'rest'],
      ['connection.disable', 'rest'],
      ['connection.delete', 'rest'],
    ]);
  });
});

describe('REST writes', () => {
  test('roles and users through REST record channel rest and the request id', async () => {
    const events = await recorded(async () => {
      const created = await api.post('/ds-api/roles/rest-role', { token: admin, json: { access: ACCESS }, headers: { 'x-request-id': 'rest-req-1' } });
      expect(created.status).toBe(201);
      expect((await api.post('/ds-api/users/rest.user@corp.com', { token: admin, json: { password: REST_PASSWORD, roles: ['rest-role'] } })).status).toBe(201);
      expect((await api.put('/ds-api/users/rest.user@corp.com', { token: admin, json: { comment: 'on call' } })).status).toBe(200);
      expect((await api.delete('/ds-api/users/rest.user@corp.com', { token: admin })).status).toBe(200);
      expect((await api.delete('/ds-api/roles/rest-role', { token: admin })).status).toBe(200);
    });
    expect(events.map((e) => [e.action, e.channel, e.actor, e.target])).toEqual([
      ['role.create', 'rest', 'datasentinel', 'rest-role'],
      ['user.create', 'rest', 'datasentinel', 'rest.user'],
      ['user.update', 'rest', 'datasentinel', 'rest.user'],
      ['user.delete', 'rest', 'datasentinel', 'rest.user'],
      ['role.delete', 'rest', 'datasentinel', 'rest-role'],
    ]);
    expect(events[0]!.requestId).toBe('rest-req-1');
    expect(events[2]).toMatchObject({ before: { comment: null }, after: { comment: 'on call' } });
  });
});

describe('failed writes record nothing', () => {
  test('validation error, conflict, LAST_ADMIN and a forced rollback leave no event', async () => {
    await gw.gqlOk(CREATE_ROLE, { name: 'exists', access: ACCESS }, admin);
    const events = await recorded(async () => {
      expect(errorCode(await gw.gql(CREATE_ROLE, { name: 'bad name!', access: ACCESS }, admin))).toBe('BAD_USER_INPUT');
      expect(errorCode(await gw.gql(CREATE_ROLE, { name: 'exists', access: ACCESS }, admin))).toBe('CONFLICT');
      expect(errorCode(await gw.gql(UPDATE_USER, { email: 'datasentinel@datasentinel.local', input: { privilege: 'READ' } }, admin))).toBe('LAST_ADMIN');
      expect(errorCode(await gw.gql(DELETE_ROLE, { name: 'no-such-role' }, admin))).toBe('NOT_FOUND');
      expect((await api.post('/ds-api/users/x@corp.com', { token: admin, json: { password: 'short' } })).status).toBe(400);
      // A change whose transaction rolls back after its event was written: neither survives.
      const services = gw.gateway.services;
      const principal = await services.auth.loadPrincipal(1, null);
      const ctx = createRequestContext(services, principal, null, 'forced-rollback', undefined, undefined, 'graphql');
      await expect(
        inTransaction(ctx, async (tx) => {
          await services.roles.create(tx, 'rolled-back', ACCESS);
          expect(await tx.manager.query(`SELECT count(*)::int AS n FROM audit_events WHERE request_id = 'forced-rollback'`)).toEqual([{ n: 1 }]);
          throw new Error('forced rollback');
        }),
      ).rejects.toThrow('forced rollback');
    });
    expect(events).toEqual([]);
    expect(await sql(`SELECT name FROM roles WHERE name = 'rolled-back'`)).toEqual([]);
  });
});

describe('sign-ins', () => {
  test('success and failure through GraphQL and REST; failures name the login typed, never the password', async () => {
    const events = await recorded(async () => {
      await gw.gqlOk(CREATE_TOKEN, { login: 'datasentinel', password: ADMIN_PASSWORD });
      expect(errorCode(await gw.gql(CREATE_TOKEN, { login: 'DataSentinel ', password: WRONG_PASSWORD }))).toBe('UNAUTHENTICATED');
      expect(errorCode(await gw.gql(CREATE_TOKEN, { login: 'nobody-' + 'x'.repeat(300), password: WRONG_PASSWORD }))).toBe('UNAUTHENTICATED');
      expect((await api.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } })).status).toBe(201);
      expect((await api.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: WRONG_PASSWORD } })).status).toBe(401);
    });
    expect(events.map((e) => [e.action, e.channel, e.actor, e.target.length > 100 ? 'long' : e.target])).toEqual([
      ['auth.sign-in', 'graphql', 'datasentinel', 'datasentinel'],
      ['auth.sign-in-failure', 'graphql', 'anonymous', 'datasentinel'],
      ['auth.sign-in-failure', 'graphql', 'anonymous', 'nobody-' + 'x'.repeat(92) + '…'],
      ['auth.sign-in', 'rest', 'datasentinel', 'datasentinel'],
      ['auth.sign-in-failure', 'rest', 'anonymous', 'datasentinel'],
    ]);
    expect(events[1]!.after).toEqual({ reason: 'UNAUTHENTICATED', clientAddress: expect.any(String) as unknown });
    expect(JSON.stringify(events)).not.toContain(WRONG_PASSWORD);
  });
});

describe('auditEvents', () => {
  const AUDIT = `query($filter: AuditFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id action target actor channel before after } }
    }
  }`;

  test('administrators only', async () => {
    await gw.gqlOk(CREATE_USER, { email: 'reader@corp.com', input: { password: USER_PASSWORD, privilege: 'READ' } }, admin);
    const reader = await gw.token('reader', USER_PASSWORD);
    secrets.add(reader);
    expect(errorCode(await gw.gql(AUDIT, {}, reader))).toBe('FORBIDDEN');
    expect(errorCode(await gw.gql(AUDIT, {}))).toBe('UNAUTHENTICATED');
  });

  interface AuditAnswer {
    auditEvents: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
      edges: { cursor: string; node: { id: string; action: string; target: string } }[];
    };
  }
  const page = (variables: Record<string, unknown>) => gw.gqlOk<AuditAnswer>(AUDIT, variables, admin);
  const targetsOf = (answer: AuditAnswer) => answer.auditEvents.edges.map((e) => e.node.target);

  test('newest first, filtered, paged with cursors like every list', async () => {
    for (const n of [1, 2, 3]) await gw.gqlOk(CREATE_ROLE, { name: `paged-${n}`, access: ACCESS }, admin);
    const filter = { action: 'role.create', actor: 'datasentinel', since: new Date(Date.now() - 3_600_000).toISOString() };
    const all = await page({ filter, first: 500 });
    const targets = targetsOf(all);
    expect(targets.slice(0, 3)).toEqual(['paged-3', 'paged-2', 'paged-1']);
    expect(all.auditEvents.totalCount).toBe(targets.length);
    const ids = all.auditEvents.edges.map((e) => Number(e.node.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);

    const first = await page({ filter, first: 2 });
    expect(targetsOf(first)).toEqual(targets.slice(0, 2));
    expect(first.auditEvents.pageInfo.hasNextPage).toBe(true);
    const next = await page({ filter, first: 2, after: first.auditEvents.pageInfo.endCursor });
    expect(targetsOf(next)).toEqual(targets.slice(2, 4));

    const byTarget = await page({ filter: { targetType: 'role', target: 'paged-2' } });
    expect(byTarget.auditEvents.edges.map((e) => e.node.action)).toEqual(['role.create']);
    const future = await page({ filter: { since: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(future.auditEvents.totalCount).toBe(0);

    expect(first.auditEvents.pageInfo.hasPreviousPage).toBe(false);
    expect(next.auditEvents.pageInfo.hasPreviousPage).toBe(true);

    // AuditEvent is a Node: `node(id)` finds it again, for administrators only.
    const id = first.auditEvents.edges[0]!.node.id;
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on AuditEvent { action target } } }`;
    expect(await gw.gqlOk(NODE, { id }, admin)).toEqual({ node: { __typename: 'AuditEvent', id, action: 'role.create', target: targets[0] } });
    await gw.gqlOk(CREATE_USER, { email: 'node-reader@corp.com', input: { password: USER_PASSWORD, privilege: 'READ' } }, admin);
    const reader = await gw.token('node-reader', USER_PASSWORD);
    secrets.add(reader);
    expect(await gw.gqlOk(NODE, { id }, reader)).toEqual({ node: null });

    expect(errorCode(await gw.gql(AUDIT, { after: 'not-a-cursor' }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gw.gql(AUDIT, { first: -1 }, admin))).toBe('BAD_USER_INPUT');
  });
});

describe('cost and immutability', () => {
  test('each audited change costs exactly one more statement: its INSERT', async () => {
    const ops: [string, Record<string, unknown>][] = [
      [CREATE_ROLE, { name: 'counted', access: ACCESS }],
      [UPDATE_ROLE, { name: 'counted', access: UPDATED }],
      [CREATE_USER, { email: 'counted@corp.com', input: { password: USER_PASSWORD, roles: ['counted'] } }],
      [UPDATE_USER, { email: 'counted@corp.com', input: { comment: 'x', roles: [] } }],
      [DELETE_USER, { email: 'counted@corp.com' }],
      [DELETE_ROLE, { name: 'counted' }],
      [
        `mutation($input: CreateConnectionInput!) { createConnection(name: "counted-db", input: $input) { name } }`,
        { input: { host: 'counted.invalid', port: 5432, user: 'monitor', password: DB_PASSWORD } },
      ],
      [`mutation { updateConnection(name: "counted-db", input: { port: 5440 }) { name } }`, {}],
      [`mutation { deleteConnection(name: "counted-db") }`, {}],
    ];
    for (const [query, variables] of ops) {
      gw.resetStatements();
      await gw.gqlOk(query, variables, admin);
      expect([query.slice(0, 30), gw.statements.filter((s) => /audit_events/.test(s))]).toEqual([
        query.slice(0, 30),
        [expect.stringMatching(/^INSERT INTO audit_events/)],
      ]);
    }
  });

  test('the table refuses UPDATE, DELETE and TRUNCATE from the application', async () => {
    const [{ id }] = await sql<{ id: string }>(`SELECT max(id)::text AS id FROM audit_events`);
    await expect(sql(`UPDATE audit_events SET actor = 'someone-else' WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(sql(`DELETE FROM audit_events WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(sql(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    expect(await sql(`SELECT actor FROM audit_events WHERE id = $1`, [id])).toEqual([{ actor: expect.not.stringMatching('someone-else') as unknown }]);
  });
});
