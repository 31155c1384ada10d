/**
 * `POST /graphql` runs on the direct route (src/http/direct-route.ts), any other spelling of the same request
 * (`/graphql?…`) through Express's router. Both must answer exactly alike: same status, same headers (security, CORS,
 * request id), same body, same access-log line and metrics, for answers and refusals of every layer (body parser,
 * request gate, Apollo, resolvers).
 */
import { gzipSync } from 'node:zlib';
import { createLogger } from '../../src/logger';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { captureLogs, type CapturedLogs } from '../support/log-capture';

const ORIGIN = 'https://dashboards.corp.example';
let gw: TestGateway;
let logs: CapturedLogs;
let adminToken: string;

beforeAll(async () => {
  logs = captureLogs();
  gw = await startTestGateway(
    { probeTimeoutMs: 0, corsOrigins: [ORIGIN], metricsEnabled: true },
    { log: createLogger({ logLevel: 'info', environment: 'test' }, logs.stream) },
  );
  adminToken = await gw.token();
  await gw.gqlOk(
    `mutation { createConnection(name: "db-1", input: { host: "h1", port: 5432, user: "u", password: "p", tags: [{ key: "env", value: "prod" }] }) { name } }`,
    {},
    adminToken,
  );
});
afterAll(() => gw.stop());

interface Sent {
  body: string | Buffer;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that differ between any two answers by design. */
const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function send(path: string, sent: Sent): Promise<Answer> {
  const response = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...sent.headers },
    body: sent.body,
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!VARYING.has(name)) headers[name] = value;
  });
  return { status: response.status, headers, body: await response.text() };
}

const json = (value: unknown, headers: Record<string, string> = {}): Sent => ({ body: JSON.stringify(value), headers });
const bearer = () => ({ authorization: `Bearer ${adminToken}` });

const CASES: [string, () => Sent, number][] = [
  ['a read query', () => json({ query: '{ connections(first: 5) { totalCount nodes { name tags { key value automatic } } } }' }, bearer()), 200],
  ['a query without a token', () => json({ query: '{ connections { totalCount } }' }), 200],
  ['a mutation refused by the service layer', () => json({ query: 'mutation { deleteConnection(name: "nope") }' }, bearer()), 200],
  ['a wrong password', () => json({ query: `mutation { createToken(login: "datasentinel", password: "${ADMIN_PASSWORD}x") { token } }` }), 200],
  ['a document that does not validate', () => json({ query: '{ connections { nope } }' }, bearer()), 400],
  ['a document too deep', () => json({ query: `{ connections { nodes { roles { users { roles { users { roles { name } } } } } } } }` }, bearer()), 400],
  ['a batch', () => json([{ query: '{ __typename }' }, { query: '{ __typename }' }], bearer()), 400],
  ['malformed JSON', () => ({ body: '{"query": ' }), 400],
  ['a body over 1 MiB', () => json({ query: `{ __typename }`, padding: 'x'.repeat(1024 * 1024) }), 413],
  ['an unknown persisted query', () => json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), 200],
  ['a non-JSON content type (CSRF prevention)', () => ({ body: '{ __typename }', headers: { 'content-type': 'text/plain' } }), 400],
  ['a gzip body', () => ({ body: gzipSync(JSON.stringify({ query: '{ __typename }' })), headers: { 'content-encoding': 'gzip' } }), 200],
  ['a CORS request', () => json({ query: '{ __typename }' }, { origin: ORIGIN }), 200],
];

describe('the direct route answers as the router does', () => {
  it.each(CASES)('%s', async (_title, sent, status) => {
    const direct = await send('/graphql', sent());
    const routed = await send('/graphql?via=router', sent());
    expect(direct.status).toBe(status);
    expect(direct).toEqual(routed);
  });

  it('sends the security headers, the request id and the CORS headers', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-request-id': 'direct-1' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-request-id')).toBe('direct-1');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('logs each request once, with its path, status and operation', async () => {
    await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'direct-log-1', ...bearer() },
      body: JSON.stringify({ query: 'query Direct { connections { totalCount } }' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the line is written when the response finishes
    const lines = logs.entries().filter((entry) => entry.requestId === 'direct-log-1' && entry.msg === 'request');
    expect(lines).toEqual([expect.objectContaining({ method: 'POST', path: '/graphql', status: 200, operation: 'Direct', login: 'datasentinel' })]);
  });

  it('counts the requests in the metrics under their operation', async () => {
    const count = async () => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('ds_gateway_http_requests_total{') && l.includes('operation="DirectCounted"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = await count();
    for (let i = 0; i < 3; i += 1) {
      await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer() },
        body: JSON.stringify({ query: 'query DirectCounted { connections { totalCount } }' }),
      });
    }
    expect((await count()) - before).toBe(3);
  });
});
