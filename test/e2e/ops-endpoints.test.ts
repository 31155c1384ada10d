/**
 * Operations endpoints on a real gateway: /healthz, /readyz (and its 503 when the database goes away), /metrics in
 * Prometheus text format, and the structured access log line of each request.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { createTestDatabase, withAdmin, type TestDatabase } from '../support/database';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample of the exposition text, e.g. `metric{a="b"}`; `undefined` when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('health, readiness and metrics', () => {
  let gw: TestGateway;
  let token: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    token = await gw.token();
  });
  afterAll(() => gw.stop());

  const get = (path: string) => fetch(`${gw.url}${path}`);

  test('/healthz answers 200 while the process is up', async () => {
    const response = await get('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('/metrics counts GraphQL operations by their parsed name, REST calls by route template, and shows the pool', async () => {
    await gw.gqlOk(`query OpsProbe { me { login } }`, {}, token);
    await gw.gqlOk(`query OpsProbe { me { login } }`, {}, token);
    await gw.gqlOk(`{ me { login } }`, {}, token);
    // Two operations in one document: operationName picks the one that runs.
    const two = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'query First { me { login } } query Second { me { email } }', operationName: 'Second' }),
    });
    expect(two.status).toBe(200);
    // A name longer than 64 characters is truncated; an unparsable document counts as anonymous.
    await gw.gql(`query ${'VeryLongOperationName'.repeat(6)} { me { login } }`, {}, token);
    const unparsable = await gw.gql(`query Broken { me { login `, {}, token);
    expect(unparsable.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    await gw.gql(`query Denied { users { login } }`);
    await fetch(`${gw.url}/ds-api/roles/no-such-role`, { headers: { 'user-token': token } });

    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    const requests = (labels: Record<string, string>) => sample(text, 'ds_gateway_http_requests_total', labels);
    expect(requests({ kind: 'graphql', operation: 'OpsProbe', status: '200' })).toBe(2);
    expect(requests({ kind: 'graphql', operation: 'Second', status: '200' })).toBe(1);
    expect(requests({ kind: 'graphql', operation: 'First' })).toBeUndefined();
    expect(requests({ kind: 'graphql', operation: `${'VeryLongOperationName'.repeat(6).slice(0, 63)}…` })).toBe(1);
    expect(requests({ kind: 'graphql', operation: 'Broken' })).toBeUndefined();
    expect(requests({ kind: 'graphql', operation: 'anonymous', status: '400' })).toBe(1);
    // The anonymous `{ me }` plus the createToken of beforeAll (whose operation has no name).
    expect(requests({ kind: 'graphql', operation: 'anonymous', status: '200' })).toBe(2);
    expect(requests({ kind: 'rest', operation: 'GET /ds-api/roles/:role', status: '404' })).toBe(1);
    expect(requests({ kind: 'other', operation: '/healthz', status: '200' })).toBe(1);
    expect(text).not.toContain('no-such-role');

    expect(sample(text, 'ds_gateway_http_request_duration_seconds_count', { kind: 'graphql', operation: 'OpsProbe', status: '200' })).toBe(2);
    expect(sample(text, 'ds_gateway_http_request_duration_seconds_bucket', { kind: 'graphql', operation: 'OpsProbe', le: '+Inf' })).toBe(2);
    expect(sample(text, 'ds_gateway_graphql_errors_total', { operation: 'Denied', code: 'UNAUTHENTICATED' })).toBe(1);

    expect(text).toMatch(/^ds_gateway_db_pool_connections_open [1-9]\d*$/m);
    expect(text).toMatch(/^ds_gateway_db_pool_connections_idle \d+$/m);
    expect(text).toMatch(/^ds_gateway_db_pool_requests_waiting 0$/m);
    expect(text).toMatch(/^ds_gateway_db_pool_connections_max 4$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    // Nothing a client sent ends up in the metrics but bounded names.
    expect(text).not.toContain(token);
  });

  test('/readyz answers 200, then 503 while the database refuses connections, then 200 again', async () => {
    expect((await get('/readyz')).status).toBe(200);
    const name = gw.database.name;
    await withAdmin(async (admin) => {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      try {
        await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
        const down = await waitFor(
          () => get('/readyz'),
          (r) => r.status === 503,
        );
        expect(down.status).toBe(503);
        expect(await down.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
        // The process itself is still alive.
        expect((await get('/healthz')).status).toBe(200);
      } finally {
        await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      }
    });
    const up = await waitFor(
      () => get('/readyz'),
      (r) => r.status === 200,
    );
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ready' });
  });
});

describe('METRICS_ENABLED=false', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ metricsEnabled: false });
  });
  afterAll(() => gw.stop());

  test('/metrics is not served; GraphQL works as before', async () => {
    // A JSON 404 like any unknown path, never Express's HTML page (docs/graphql.md, Errors).
    const metrics = await fetch(`${gw.url}/metrics`);
    expect({ status: metrics.status, type: metrics.headers.get('content-type'), body: await metrics.json() }).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      body: { error: 'Not found: GET /metrics' },
    });
    const unknown = await fetch(`${gw.url}/nope`);
    expect({ status: unknown.status, body: await unknown.json() }).toEqual({ status: 404, body: { error: 'Not found: GET /nope' } });
    expect((await gw.gqlOk(`query Me { me { login } }`, {}, await gw.token())).me.login).toBe('datasentinel');
  });
});

describe('access log', () => {
  const lines: Record<string, any>[] = [];
  let gateway: RunningGateway;
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
    const config: Config = {
      ...loadConfig({ NODE_ENV: 'test' }),
      databaseUrl: database.url,
      port: 0,
      host: '127.0.0.1',
      adminPassword: ADMIN_PASSWORD,
      probeTimeoutMs: 0,
      databasePoolSize: 2,
    };
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        callback();
      },
    });
    gateway = await startGateway(config, pino({ level: 'info' }, sink));
  });
  afterAll(async () => {
    await gateway.stop();
    await database.drop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const requestLine = (requestId: string) => lines.find((l) => l.msg === 'request' && l.requestId === requestId);

  test('one structured line per request: id, operation, duration, caller, status; never a secret', async () => {
    const signIn = await post(
      {
        query: 'mutation SignIn($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }',
        variables: { login: 'datasentinel', password: ADMIN_PASSWORD },
      },
      { 'x-request-id': 'req-sign-in' },
    );
    const token = ((await signIn.json()) as any).data.createToken.token as string;
    await post({ query: 'query WhoAmI { me { login } }' }, { authorization: `Bearer ${token}`, 'x-request-id': 'req-who' });
    // No operationName in the body: the name comes from the parsed document.
    await post(
      { query: 'query First { me { login } } query Second { me { email } }', operationName: 'Second' },
      { authorization: `Bearer ${token}`, 'x-request-id': 'req-two' },
    );
    await fetch(`${gateway.url}/ds-api/roles/sales-role`, { headers: { 'user-token': token, 'x-request-id': 'req-rest' } });
    await fetch(`${gateway.url}/ds-api/user-token?token=${token}`, { headers: { 'x-request-id': 'req-token-details' } });
    await new Promise((r) => setTimeout(r, 50));

    expect(requestLine('req-sign-in')).toMatchObject({ level: 30, method: 'POST', path: '/graphql', status: 200, operation: 'SignIn' });
    expect(requestLine('req-who')).toMatchObject({ path: '/graphql', status: 200, operation: 'WhoAmI', login: 'datasentinel' });
    expect(typeof requestLine('req-who')!.durationMs).toBe('number');
    expect(requestLine('req-two')).toMatchObject({ operation: 'Second', login: 'datasentinel' });
    expect(requestLine('req-rest')).toMatchObject({
      method: 'GET',
      path: '/ds-api/roles/sales-role',
      status: 404,
      operation: 'GET /ds-api/roles/:role',
      login: 'datasentinel',
    });
    // Token details by possession: the token in the query string is never logged, the user it names is.
    expect(requestLine('req-token-details')).toMatchObject({
      path: '/ds-api/user-token',
      status: 200,
      operation: 'GET /ds-api/user-token',
      login: 'datasentinel',
    });

    const everything = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(ADMIN_PASSWORD);
  });
});
