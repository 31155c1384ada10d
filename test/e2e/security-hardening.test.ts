/**
 * Findings of issue 11's attack pass, each over HTTP:
 * - NODE_ENV=staging (any name but unset/development/test) gets production's defaults: no IDE, no introspection, no
 *   "Did you mean" on any error path (validation, variable coercion, enum values), with either executor;
 * - a GET request cannot skip the limits by hiding `query` after 1,000 parameters (finding 3);
 * - an operationName that names no operation is a 400 BAD_USER_INPUT with both executors, never a 500 (finding 7);
 * - a 900 KB operationName does not make a 900 KB log line (finding 8).
 */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { OPERATION_NAME_MAX_LENGTH } from '../../src/ops/request-labels';
import { errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { captureLogs, type CapturedLogs } from '../support/log-capture';

/** NODE_ENV=staging, its logs captured; compiled executor from the first run. */
let staging: TestGateway;
let stagingLogs: CapturedLogs;
/** The same, on graphql-js only. */
let plain: TestGateway;
let plainLogs: CapturedLogs;

function stagingOverrides(jit: boolean) {
  const config = loadConfig({ NODE_ENV: 'staging' });
  return {
    probeTimeoutMs: 0,
    environment: config.environment,
    graphqlIntrospection: config.graphqlIntrospection,
    graphqlPlayground: config.graphqlPlayground,
    graphqlJit: jit,
  };
}

beforeAll(async () => {
  stagingLogs = captureLogs();
  plainLogs = captureLogs();
  [staging, plain] = await Promise.all([
    startTestGateway(stagingOverrides(true), { log: createLogger({ logLevel: 'info', environment: 'production' }, stagingLogs.stream) }),
    startTestGateway(stagingOverrides(false), { log: createLogger({ logLevel: 'info', environment: 'production' }, plainLogs.stream) }),
  ]);
});
afterAll(() => Promise.all([staging?.stop(), plain?.stop()]));

async function post(gw: TestGateway, body: unknown, token?: string): Promise<{ status: number; body: GraphQLResponse }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as GraphQLResponse };
}

describe('NODE_ENV: safe by default', () => {
  test.each([
    [undefined, 'development', true],
    ['development', 'development', true],
    ['test', 'test', true],
    ['production', 'production', false],
    ['staging', 'production', false],
    ['prod', 'production', false],
    ['preprod', 'production', false],
    ['Development', 'production', false],
  ])('NODE_ENV=%s: %s defaults (IDE and introspection %s)', (nodeEnv, environment, open) => {
    const config = loadConfig(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv });
    expect(config.environment).toBe(environment);
    expect(config.graphqlIntrospection).toBe(open);
    expect(config.graphqlPlayground).toBe(open);
  });

  test('GRAPHQL_PLAYGROUND / GRAPHQL_INTROSPECTION still override them', () => {
    const config = loadConfig({ NODE_ENV: 'staging', GRAPHQL_PLAYGROUND: 'true', GRAPHQL_INTROSPECTION: 'on' });
    expect([config.graphqlPlayground, config.graphqlIntrospection]).toEqual([true, true]);
  });

  test('NODE_ENV=staging serves no IDE and no introspection', async () => {
    const ide = await fetch(`${staging.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(ide.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await ide.text()).not.toMatch(/graphiql/i);
    const introspection = await post(staging, { query: '{ __schema { queryType { name } } }' });
    expect(errorCode(introspection.body)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.body.data).toBeUndefined();
  });

  describe.each([
    ['compiled executor', () => staging],
    ['graphql-js executor', () => plain],
  ])('NODE_ENV=staging, %s: no "Did you mean" on any error path', (_name, gw) => {
    let token: string;
    beforeAll(async () => {
      token = await gw().token();
    });

    test.each([
      ['an unknown field', { query: '{ connectionz { totalCount } }' }],
      ['an unknown argument', { query: '{ connections(firts: 1) { totalCount } }' }],
      ['an unknown type in a variable', { query: 'query($f: ConnectionFiltr) { connections(filter: $f) { totalCount } }' }],
      ['an enum literal', { query: '{ connections(orderBy: { field: NAMEE }) { totalCount } }' }],
      [
        'an enum value in the variables',
        { query: 'query($o: ConnectionOrder) { connections(orderBy: $o) { totalCount } }', variables: { o: { field: 'NAMEE' } } },
      ],
      [
        'an input field in the variables',
        { query: 'query($f: ConnectionFilter) { connections(filter: $f) { totalCount } }', variables: { f: { enabld: true } } },
      ],
      ['an input field literal', { query: '{ connections(filter: { enabld: true }) { totalCount } }' }],
    ])('%s', async (_case, body) => {
      // Twice: the compiled executor compiles from the first run (GRAPHQL_JIT_MIN_USES=1 in tests).
      for (let i = 0; i < 2; i += 1) {
        const result = await post(gw(), body, token);
        expect(result.body.errors?.length).toBeGreaterThan(0);
        for (const error of result.body.errors!) expect(error.message).not.toMatch(/did you mean/i);
      }
    });
  });

  test('outside production the suggestions stay (development help)', async () => {
    const dev = await startTestGateway({ probeTimeoutMs: 0 });
    try {
      const token = await dev.token();
      const result = await post(
        dev,
        { query: 'query($o: ConnectionOrder) { connections(orderBy: $o) { totalCount } }', variables: { o: { field: 'NAMEE' } } },
        token,
      );
      expect(result.body.errors![0]!.message).toMatch(/Did you mean/);
    } finally {
      await dev.stop();
    }
  });
});

describe('finding 3: GET reads the request exactly as Apollo does', () => {
  const aliases = `{ ${Array.from({ length: 150 }, (_, i) => `a${i}: connections(first: 500) { nodes { name } }`).join(' ')} }`;

  const deep = `{ me { roles { users { roles { users { roles { users { roles { users { roles { name } } } } } } } } } } }`;
  const directives = `{ me { ${Array.from({ length: 51 }, () => 'login @include(if: true)').join(' ')} } }`;

  test.each([
    ['150 aliases of connections(first: 500)', aliases, 'TOO_MANY_ALIASES'],
    ['a deep document', deep, 'QUERY_TOO_DEEP'],
    ['51 directives', directives, 'TOO_MANY_DIRECTIVES'],
  ])('%s after 1,000 dummy parameters: refused like the POST, nothing runs', async (_name, document, code) => {
    const token = await staging.token();
    const byPost = await post(staging, { query: document }, token);
    expect(byPost.status).toBe(400);
    expect(errorCode(byPost.body)).toBe(code);

    staging.resetStatements();
    const response = await fetch(`${staging.url}/graphql?${'a&'.repeat(1000)}query=${encodeURIComponent(document)}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLResponse;
    expect(errorCode(body)).toBe(code);
    expect(body.data).toBeUndefined();
    expect(staging.statements).toEqual([]);
  });

  test('a GET that passes runs what was checked, extra parameters ignored', async () => {
    const token = await staging.token();
    const response = await fetch(`${staging.url}/graphql?${'a&'.repeat(1500)}query=${encodeURIComponent('{ me { login } }')}&b=2`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as GraphQLResponse).data).toEqual({ me: { login: 'datasentinel' } });
  });

  test('a field given twice is refused by Apollo, as before', async () => {
    const response = await fetch(`${staging.url}/graphql?query=${encodeURIComponent('{ __typename }')}&query=${encodeURIComponent(aliases)}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': '1' },
    });
    expect(response.status).toBe(400);
  });
});

describe('finding 7: an operationName naming no operation', () => {
  test.each([
    ['compiled executor', () => staging, () => stagingLogs],
    ['graphql-js executor', () => plain, () => plainLogs],
  ])('%s: 400 BAD_USER_INPUT, anonymous or signed in, nothing in the error log', async (_name, gw, logs) => {
    const token = await gw().token();
    for (const credential of [undefined, token]) {
      for (const body of [
        { query: '{me{login}}', operationName: 'Nope' },
        { query: 'query A { me { login } } query B { me { email } }' },
        { query: 'query A { me { login } } query B { me { email } }', operationName: 'C' },
      ]) {
        // Twice: a second run is the one the compiled executor would compile.
        for (let i = 0; i < 2; i += 1) {
          const result = await post(gw(), body, credential);
          expect(result.status).toBe(400);
          expect(errorCode(result.body)).toBe('BAD_USER_INPUT');
          expect(result.body.data).toBeUndefined();
        }
      }
    }
    const errors = logs()
      .entries()
      .filter((e) => Number(e.level) >= 50);
    expect(errors).toEqual([]);
    expect(logs().text()).not.toMatch(/reading 'operation'|\bat [\w.<>]+ \(/);
  });
});

describe('finding 8: client-controlled names are bounded before they are logged', () => {
  const huge = 'N'.repeat(900 * 1024);
  const aliases = `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: me { login }`).join(' ')} }`;

  test.each([
    ['refused by the limits', { query: aliases, operationName: huge }, 'TOO_MANY_ALIASES'],
    ['naming no operation', { query: '{ me { login } }', operationName: huge }, 'BAD_USER_INPUT'],
    ['a syntax error', { query: '{ me { login ', operationName: huge }, 'GRAPHQL_PARSE_FAILED'],
    ['a document Apollo runs', { query: `query ${huge.slice(0, 60_000)} { __typename }`, operationName: huge.slice(0, 60_000) }, undefined],
  ])('%s: the access-log line stays small', async (_name, body, code) => {
    const before = stagingLogs.entries().length;
    const response = await fetch(`${staging.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const result = (await response.json()) as GraphQLResponse;
    if (code === undefined) expect(result.errors).toBeUndefined();
    else expect(errorCode(result)).toBe(code);
    // The access-log line is written on 'finish'.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = stagingLogs
      .text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(before);
    const access = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === 'request');
    expect(access).toHaveLength(1);
    expect(String(access[0]!.operation).length).toBeLessThanOrEqual(OPERATION_NAME_MAX_LENGTH);
    for (const line of lines) expect(line.length).toBeLessThan(2000);
  });

  test('a long path is truncated in the access log too', async () => {
    const before = stagingLogs.entries().length;
    const response = await fetch(`${staging.url}/ds-api/${'p'.repeat(12_000)}`);
    expect(response.status).toBe(404);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const access = stagingLogs
      .entries()
      .slice(before)
      .filter((e) => e.msg === 'request');
    expect(access).toHaveLength(1);
    expect(String(access[0]!.path).length).toBeLessThanOrEqual(256);
  });
});
