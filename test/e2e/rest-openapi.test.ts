/**
 * The REST API's description and its edges, over HTTP: `GET /ds-api/openapi.json` (no token) serves the committed
 * document; every path and method of the document answers as documented (405 + `Allow` derived from the same route
 * table for any other method); unknown paths are JSON 404s everywhere on the server, never Express's HTML page; and
 * the document check of the shared REST client (test/support/openapi-check.ts) does fail on an answer the document
 * does not describe.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openApiChecker, OPENAPI_DOCUMENT } from '../support/openapi-check';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { OpenApiMismatch, restClient, type RestClient } from './rest-client';

let gw: TestGateway;
let api: RestClient;
let admin: string;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, metricsEnabled: false });
  api = restClient(gw.url);
  admin = await gw.token();
});
afterAll(() => gw.stop());

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

test('GET /ds-api/openapi.json needs no token and is the committed schema/openapi.json, byte for byte', async () => {
  const res = await api.get('/ds-api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.text).toBe(readFileSync(join(__dirname, '../../schema/openapi.json'), 'utf8'));
  expect(res.body.openapi).toBe('3.1.0');
  expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/user-token', '/pool/pg-instances/{name}', '/roles/{role}', '/users/{email}', '/docs']));
});

test('every documented path answers every other method with 405 {"error"} and the documented methods in Allow', async () => {
  for (const [template, operations] of Object.entries(OPENAPI_DOCUMENT.paths)) {
    const path = `/ds-api${template.replace(/\{[^}]+\}/g, 'x')}`;
    const documented = Object.keys(operations).map((m) => m.toUpperCase());
    const expectedAllow = [...documented.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])), 'OPTIONS'];
    for (const method of METHODS.filter((m) => !documented.includes(m))) {
      const res = await api.call(method, path, { token: admin });
      expect({ path, method, status: res.status, keys: Object.keys(res.body ?? {}) }).toEqual({ path, method, status: 405, keys: ['error'] });
      expect(String(res.headers.allow).split(', ').sort()).toEqual(expectedAllow.sort());
    }
  }
});

test('unknown paths: JSON 404 under /ds-api and everywhere else on the server, /metrics included when metrics are off', async () => {
  const underApi = await api.get('/ds-api/no/such/thing', { token: admin });
  expect({ status: underApi.status, body: underApi.body }).toEqual({
    status: 404,
    body: { error: 'Not found: GET /ds-api/no/such/thing is not part of the API' },
  });
  for (const [method, path] of [
    ['GET', '/nothing-here'],
    ['POST', '/nothing-here'],
    ['DELETE', '/healthz'],
    ['GET', '/graphql-ide'],
    ['GET', '/metrics'],
    ['GET', '/'],
  ] as const) {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { accept: 'text/html' } });
    expect({ method, path, status: res.status, type: res.headers.get('content-type') }).toEqual({
      method,
      path,
      status: 404,
      type: expect.stringMatching(/^application\/json/),
    });
    expect(await res.json()).toEqual({ error: `Not found: ${method} ${path}` });
  }
});

describe('the document check of the REST client fails on what the document does not describe', () => {
  const check = openApiChecker();
  const exchange = (over: Partial<Parameters<typeof check>[0]>) => ({
    method: 'GET',
    path: '/ds-api/users/jean%40corp.com',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    text: JSON.stringify({
      id: 3,
      login: 'jean',
      email: 'jean@corp.com',
      profile: 'developer',
      privilege: 'read',
      roles: [],
      role: null,
      live_360: 1,
      comment: null,
      ldap: false,
    }),
    ...over,
  });

  test('a valid display passes', () => {
    expect(check(exchange({}))).toEqual([]);
  });

  test('an extra field (a leaked hash), a wrong type, an undocumented status, a non-JSON error all fail', () => {
    const user = JSON.parse(exchange({}).text);
    expect(check(exchange({ text: JSON.stringify({ ...user, password_hash: '$argon2id$...' }) }))).toEqual([
      expect.stringMatching(/displayUser.*must NOT have additional properties/),
    ]);
    expect(check(exchange({ text: JSON.stringify({ ...user, live_360: true }) }))).toEqual([expect.stringMatching(/live_360/)]);
    expect(check(exchange({ status: 409, text: '{"error":"x"}' }))).toEqual([expect.stringMatching(/409 is not documented for displayUser/)]);
    expect(check(exchange({ status: 404, contentType: 'text/html', text: '<pre>Cannot GET</pre>' }))).not.toEqual([]);
    expect(check(exchange({ path: '/ds-api/nowhere', status: 404, text: '{"error":"x","stack":"..."}' }))).not.toEqual([]);
    // A write answer with a second key (the vendor's scripts treat it as a failure).
    expect(check(exchange({ method: 'DELETE', status: 200, text: '{"status":"User with login jean deleted successfully","id":3}' }))).toEqual([
      expect.stringMatching(/deleteUser/),
    ]);
  });

  test('a request body the document refuses must not be accepted', () => {
    const accepted = {
      method: 'POST',
      path: '/ds-api/roles/r1',
      requestBody: Buffer.from('{"access": [], "bogus": 1}'),
      status: 201,
      contentType: 'application/json',
      text: '{"status":"Role name r1 created successfully"}',
    };
    expect(check(accepted)).toEqual([expect.stringMatching(/refuses this request body/)]);
    expect(check({ ...accepted, status: 400, text: '{"error":"bogus: unknown field (accepted: access)"}' })).toEqual([]);
  });

  test('through the client: a server answering outside the document makes the call fail', async () => {
    // A stand-in for a gateway whose handler drifted from the document.
    const server: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/ds-api/' ? { service: 'x', version: '1', api: 'ds-api' } : { status: 'ok', extra: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const drifted = restClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await expect(drifted.get('/ds-api/')).resolves.toMatchObject({ status: 200 });
      const failure = drifted.call('PATCH', '/ds-api/pool/pg-instances/x/disable', { token: 't' });
      await expect(failure).rejects.toBeInstanceOf(OpenApiMismatch);
      await expect(failure).rejects.toThrow(/disableConnection.*must NOT have additional properties/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
