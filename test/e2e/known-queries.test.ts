/**
 * The known-query lane (src/graphql/known-queries.ts) answers a read query Apollo already resolved without Apollo's
 * pipeline. Two gateways share one database, one with the lane (the default) and one without
 * (GRAPHQL_KNOWN_QUERIES=false); every request is sent to each twice (the first run registers the document) and the
 * second answers must be identical: status, headers, body. The lane's own counter tells which requests it answered,
 * so a lane that never runs fails these tests instead of passing them trivially.
 */
import { createLogger } from '../../src/logger';
import { loadConfig, type Config } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { captureLogs, type CapturedLogs } from '../support/log-capture';

const ORIGIN = 'https://dashboards.corp.example';
const overrides: Partial<Config> = { probeTimeoutMs: 0, corsOrigins: [ORIGIN], metricsEnabled: true, graphqlJitMinUses: 1 };
let withLane: TestGateway;
let withoutLane: RunningGateway;
let logs: CapturedLogs;
let adminToken: string;
let userToken: string;

beforeAll(async () => {
  logs = captureLogs();
  withLane = await startTestGateway(overrides, { log: createLogger({ logLevel: 'info', environment: 'test' }, logs.stream) });
  withoutLane = await startGateway(
    {
      ...loadConfig({ NODE_ENV: 'test' }),
      databaseUrl: withLane.database.url,
      port: 0,
      host: '127.0.0.1',
      adminPassword: ADMIN_PASSWORD,
      databasePoolSize: 4,
      ...overrides,
      graphqlKnownQueries: false,
    },
    createLogger({ logLevel: 'silent', environment: 'test' }),
  );
  adminToken = await withLane.token();
  for (const [name, env] of [
    ['db-1', 'prod'],
    ['db-2', 'prod'],
    ['db-3', 'dev'],
  ]) {
    await withLane.gqlOk(
      `mutation { createConnection(name: "${name}", input: { host: "h-${name}", port: 5432, user: "u", password: "p", tags: [{ key: "env", value: "${env}" }, { key: "team", value: "a\\"b" }] }) { name } }`,
      {},
      adminToken,
    );
  }
  await withLane.gqlOk(`mutation { createRole(name: "prod-readers", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, adminToken);
  await withLane.gqlOk(
    `mutation { createUser(email: "viewer@corp.example", input: { password: "viewer-password", roles: ["prod-readers"] }) { login } }`,
    {},
    adminToken,
  );
  userToken = await withLane.token('viewer', 'viewer-password');
});
afterAll(async () => {
  await withoutLane?.stop();
  await withLane?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that differ between any two answers by design. */
const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function send(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const seen: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!VARYING.has(name)) seen[name] = value;
  });
  return { status: response.status, headers: seen, body: await response.text() };
}

async function laneAnswers(): Promise<number> {
  const text = await (await fetch(`${withLane.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('ds_gateway_graphql_known_query_answers_total '));
  return Number(line?.split(' ').pop() ?? NaN);
}

const DASHBOARD = '{ connections(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags { key value automatic } } } }';
const TWO_OPERATIONS = 'query Names { connections { nodes { name } } } query Count { connections { totalCount } }';

type Caller = 'admin' | 'user' | 'bad token' | 'nobody';
interface Case {
  title: string;
  body: () => unknown;
  caller: Caller;
  headers?: Record<string, string>;
  /** Whether the lane answers it itself (otherwise Apollo does, with or without the lane's result). */
  lane: boolean;
  status: number;
}

const CASES: Case[] = [
  { title: 'a dashboard page', body: () => ({ query: DASHBOARD }), caller: 'user', lane: true, status: 200 },
  { title: "an administrator's page", body: () => ({ query: DASHBOARD }), caller: 'admin', lane: true, status: 200 },
  {
    title: 'variables',
    body: () => ({ query: 'query Page($first: Int!) { connections(first: $first) { nodes { name tagString } } }', variables: { first: 1 } }),
    caller: 'user',
    lane: true,
    status: 200,
  },
  {
    title: 'null variables and operationName',
    body: () => ({ query: DASHBOARD, variables: null, operationName: null }),
    caller: 'user',
    lane: true,
    status: 200,
  },
  { title: 'one operation of two, by name', body: () => ({ query: TWO_OPERATIONS, operationName: 'Count' }), caller: 'user', lane: true, status: 200 },
  { title: 'the other operation of the same text', body: () => ({ query: TWO_OPERATIONS, operationName: 'Names' }), caller: 'user', lane: true, status: 200 },
  { title: '__typename', body: () => ({ query: '{ __typename }' }), caller: 'nobody', lane: true, status: 200 },
  {
    title: 'the graphql-response media type',
    body: () => ({ query: DASHBOARD }),
    caller: 'user',
    headers: { accept: 'application/graphql-response+json' },
    lane: true,
    status: 200,
  },
  { title: 'a CORS request', body: () => ({ query: DASHBOARD }), caller: 'user', headers: { origin: ORIGIN }, lane: true, status: 200 },
  {
    title: 'an Accept header Apollo refuses (406)',
    body: () => ({ query: DASHBOARD }),
    caller: 'user',
    headers: { accept: 'application/xml' },
    lane: false,
    status: 406,
  },
  {
    title: 'a field refused to a user (partial errors)',
    body: () => ({ query: '{ connections { nodes { name lastProbeError } } }' }),
    caller: 'user',
    lane: false,
    status: 200,
  },
  { title: 'a query refused to a user (FORBIDDEN)', body: () => ({ query: '{ roles { name } }' }), caller: 'user', lane: false, status: 200 },
  { title: 'no token', body: () => ({ query: '{ connections { totalCount } }' }), caller: 'nobody', lane: false, status: 200 },
  { title: 'a bad token (the context fails)', body: () => ({ query: '{ connections { totalCount } }' }), caller: 'bad token', lane: false, status: 200 },
  {
    title: 'a variable of the wrong type',
    body: () => ({ query: 'query Page($first: Int!) { connections(first: $first) { nodes { name } } }', variables: { first: 'many' } }),
    caller: 'user',
    lane: false,
    status: 400,
  },
  {
    title: 'variables that are not an object',
    body: () => ({ query: 'query Page($first: Int!) { connections(first: $first) { nodes { name } } }', variables: '{"first": 1}' }),
    caller: 'user',
    lane: false,
    status: 400,
  },
  { title: 'a persisted-query extension', body: () => ({ query: DASHBOARD, extensions: {} }), caller: 'user', lane: false, status: 200 },
  { title: 'a mutation', body: () => ({ query: 'mutation { deleteConnection(name: "nope") }' }), caller: 'admin', lane: false, status: 200 },
];

function headersOf(caller: Caller, extra: Record<string, string> = {}): Record<string, string> {
  const token = caller === 'admin' ? adminToken : caller === 'user' ? userToken : caller === 'bad token' ? 'not-a-token' : null;
  return token ? { authorization: `Bearer ${token}`, ...extra } : extra;
}

describe('the known-query lane answers exactly as Apollo does', () => {
  it.each(CASES.map((c) => [c.title, c] as const))('%s', async (_title, c) => {
    const body = JSON.stringify(c.body());
    const headers = headersOf(c.caller, c.headers);
    await send(withLane.url, body, headers); // Apollo resolves the document: from now on the lane knows it
    await send(withoutLane.url, body, headers);
    const before = await laneAnswers();
    const lane = await send(withLane.url, body, headers);
    const answered = (await laneAnswers()) - before;
    const apollo = await send(withoutLane.url, body, headers);
    expect(lane.status).toBe(c.status);
    expect(lane).toEqual(apollo);
    expect(answered).toBe(c.lane ? 1 : 0);
  });

  it('serves what the caller may see, not what the first caller saw', async () => {
    const asAdmin = JSON.parse((await send(withLane.url, JSON.stringify({ query: DASHBOARD }), headersOf('admin'))).body);
    const asUser = JSON.parse((await send(withLane.url, JSON.stringify({ query: DASHBOARD }), headersOf('user'))).body);
    expect(asAdmin.data.connections.totalCount).toBe(3);
    expect(asUser.data.connections.totalCount).toBe(2);
    expect(asUser.data.connections.nodes.map((n: { name: string }) => n.name)).toEqual(['db-1', 'db-2']);
  });

  it('logs a lane answer with its operation and caller, and counts it under its operation', async () => {
    const query = 'query LaneLogged { connections { totalCount } }';
    const count = async () => {
      const text = await (await fetch(`${withLane.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('ds_gateway_http_requests_total{') && l.includes('operation="LaneLogged"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    await send(withLane.url, JSON.stringify({ query }), headersOf('user'));
    const before = await count();
    const lanesBefore = await laneAnswers();
    await send(withLane.url, JSON.stringify({ query }), headersOf('user', { 'x-request-id': 'lane-log-1' }));
    expect((await laneAnswers()) - lanesBefore).toBe(1);
    expect((await count()) - before).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the line is written when the response finishes
    const lines = logs.entries().filter((entry) => entry.requestId === 'lane-log-1' && entry.msg === 'request');
    expect(lines).toEqual([expect.objectContaining({ method: 'POST', path: '/graphql', status: 200, operation: 'LaneLogged', login: 'viewer' })]);
  });

  it('keeps a bounded number of query texts', async () => {
    const before = withLane.gateway.http.cacheSizes().knownQueries;
    await send(withLane.url, JSON.stringify({ query: '{ connections { totalCount } } # one more text' }), headersOf('user'));
    expect(withLane.gateway.http.cacheSizes().knownQueries).toBe(before + 1);
  });
});
