/**
 * Safe defaults: security headers, the IDE's Content-Security-Policy, introspection and the IDE off in production,
 * CORS closed unless configured, the body size limit, client addresses not taken from X-Forwarded-For unless a proxy
 * is trusted, and internal errors masked (no message, SQL or stack) while the log keeps the details.
 */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ADMIN_PASSWORD, errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { captureLogs, type CapturedLogs } from '../support/log-capture';

const DASHBOARDS = 'https://dashboards.corp.example';

/** Defaults of a development or test run: introspection and IDE on, CORS closed, no trusted proxy. */
let dev: TestGateway;
/** NODE_ENV=production defaults, with one CORS origin configured and its logs captured. */
let prod: TestGateway;
let prodLogs: CapturedLogs;

beforeAll(async () => {
  const production = loadConfig({ NODE_ENV: 'production', CORS_ORIGINS: `${DASHBOARDS}/` });
  prodLogs = captureLogs();
  const prodOverrides = {
    probeTimeoutMs: 0,
    environment: production.environment,
    graphqlIntrospection: production.graphqlIntrospection,
    graphqlPlayground: production.graphqlPlayground,
    corsOrigins: production.corsOrigins,
  };
  [dev, prod] = await Promise.all([
    startTestGateway({ probeTimeoutMs: 0 }),
    startTestGateway(prodOverrides, { log: createLogger({ logLevel: 'info', environment: 'production' }, prodLogs.stream) }),
  ]);
});
afterAll(() => Promise.all([dev?.stop(), prod?.stop()]));

const graphqlPost = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

function directive(csp: string | null, name: string): string[] {
  const found = (csp ?? '')
    .split(';')
    .map((d) => d.trim().split(/\s+/))
    .find(([n]) => n === name);
  return found ? found.slice(1) : [];
}

describe('security headers', () => {
  test.each([
    ['POST /graphql', (url: string) => graphqlPost(url, { query: '{ __typename }' })],
    ['GET /ds-api/', (url: string) => fetch(`${url}/ds-api/`)],
    ['GET /healthz', (url: string) => fetch(`${url}/healthz`)],
  ])('%s carries the helmet headers and a locked-down CSP', async (_name, call) => {
    const response = await call(dev.url);
    expect(response.ok).toBe(true);
    const h = response.headers;
    expect(directive(h.get('content-security-policy'), 'default-src')).toEqual(["'none'"]);
    expect(directive(h.get('content-security-policy'), 'frame-ancestors')).toEqual(["'none'"]);
    expect(h.get('x-content-type-options')).toBe('nosniff');
    expect(h.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(h.get('referrer-policy')).toBe('no-referrer');
    expect(h.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(h.get('x-powered-by')).toBeNull();
  });
});

describe('GraphQL IDE and introspection', () => {
  test('outside production the IDE is served under a CSP that allows no inline script', async () => {
    const page = await fetch(`${dev.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy');
    expect(directive(csp, 'script-src')).toEqual(["'self'"]);
    expect(directive(csp, 'default-src')).toEqual(["'self'"]);
    const html = await page.text();
    // Every script is either a file from the gateway or an inert JSON data block.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.some(([, attributes]) => /type="application\/json"/.test(attributes!))).toBe(true);
    expect(scripts.some(([, attributes]) => attributes!.includes('src="/graphql/ide.js"'))).toBe(true);
    for (const [, attributes, content] of scripts) {
      if (/type="application\/json"/.test(attributes!)) expect(() => JSON.parse(content!)).not.toThrow();
      else {
        expect(attributes).toMatch(/src="\/graphql\//);
        expect(content!.trim()).toBe('');
      }
    }
    // The page's own script and the bundled assets are there.
    for (const src of scripts.flatMap(([, attributes]) => /src="([^"]+)"/.exec(attributes!)?.[1] ?? [])) {
      const asset = await fetch(`${dev.url}${src}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toMatch(/javascript/);
      await asset.arrayBuffer();
    }
    const init = await (await fetch(`${dev.url}/graphql/ide.js`)).text();
    expect(init).toMatch(/renderYogaGraphiQL/);
    const css = await fetch(`${dev.url}/graphql/assets/graphiql.css`);
    expect(css.status).toBe(200);
    await css.arrayBuffer();
  });

  test('outside production introspection answers', async () => {
    const data = await dev.gqlOk<{ __schema: { queryType: { name: string } } }>(`{ __schema { queryType { name } } }`);
    expect(data.__schema.queryType.name).toBe('Query');
  });

  test('production defaults: introspection and the IDE are off', async () => {
    const production = loadConfig({ NODE_ENV: 'production' });
    expect(production.graphqlIntrospection).toBe(false);
    expect(production.graphqlPlayground).toBe(false);

    const introspection = await prod.gql(`{ __schema { queryType { name } } }`);
    expect(errorCode(introspection)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspection.errors![0]!.message).toMatch(/introspection is not allowed/i);

    // Nor do validation errors suggest field names.
    const typo = await prod.gql(`{ connectionz { totalCount } }`);
    expect(errorCode(typo)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(typo.errors![0]!.message).not.toMatch(/Did you mean/);
    expect((await dev.gql(`{ connectionz { totalCount } }`)).errors![0]!.message).toMatch(/Did you mean .*"connections"/);

    const page = await fetch(`${prod.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).not.toMatch(/text\/html/);
    await page.arrayBuffer();
    for (const path of ['/graphql/ide.js', '/graphql/assets/graphiql.css']) {
      // Not served: the request falls through to the GraphQL endpoint, which refuses it.
      const asset = await fetch(`${prod.url}${path}`);
      expect(asset.status).toBeGreaterThanOrEqual(400);
      expect(asset.headers.get('content-type')).not.toMatch(/javascript|css/);
      await asset.arrayBuffer();
    }
  });

  test('GRAPHQL_INTROSPECTION and GRAPHQL_PLAYGROUND override the production defaults', () => {
    const config = loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true', GRAPHQL_PLAYGROUND: '1' });
    expect(config.graphqlIntrospection).toBe(true);
    expect(config.graphqlPlayground).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', GRAPHQL_INTROSPECTION: 'off' }).graphqlIntrospection).toBe(false);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string, path = '/graphql') =>
    fetch(`${url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  test('closed by default: no origin is ever allowed', async () => {
    const pre = await preflight(dev.url, DASHBOARDS);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    await pre.arrayBuffer();
    const post = await graphqlPost(dev.url, { query: '{ __typename }' }, { origin: DASHBOARDS });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    await post.arrayBuffer();
  });

  test('CORS_ORIGINS opens it to the listed origins only', async () => {
    const pre = await preflight(prod.url, DASHBOARDS);
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(DASHBOARDS);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('user-token');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();

    const post = await graphqlPost(prod.url, { query: '{ __typename }' }, { origin: DASHBOARDS });
    expect(post.headers.get('access-control-allow-origin')).toBe(DASHBOARDS);
    expect(post.headers.get('vary')).toMatch(/origin/i);
    await post.arrayBuffer();
    const rest = await fetch(`${prod.url}/ds-api/`, { headers: { origin: DASHBOARDS } });
    expect(rest.headers.get('access-control-allow-origin')).toBe(DASHBOARDS);
    await rest.arrayBuffer();

    const other = await preflight(prod.url, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await other.arrayBuffer();
  });

  test('CORS_ORIGINS is checked at start', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).corsOrigins).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(() => loadConfig({ CORS_ORIGINS: 'a.example' })).toThrow(/CORS_ORIGINS/);
  });
});

test('a GraphQL body over 1 MiB is refused with 413 and a JSON error', async () => {
  const response = await graphqlPost(dev.url, { query: '{ __typename }', variables: { padding: 'x'.repeat(1100 * 1024) } });
  expect(response.status).toBe(413);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await response.json()) as GraphQLResponse;
  expect(errorCode(body)).toBe('PAYLOAD_TOO_LARGE');
});

test('without TRUST_PROXY, X-Forwarded-For cannot dodge the per-address throttle', async () => {
  for (let i = 0; i < 10; i += 1) {
    const result = await dev.gql(`mutation { createToken(login: "mallory", password: "guess-${i}") { token } }`, undefined, null);
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
  }
  const response = await graphqlPost(
    dev.url,
    { query: `mutation { createToken(login: "mallory", password: "guess") { token } }` },
    { 'x-forwarded-for': '192.0.2.77' },
  );
  const body = (await response.json()) as GraphQLResponse;
  expect(errorCode(body)).toBe('RATE_LIMITED');
  expect(body.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(800);
});

describe('error masking', () => {
  test('an internal error (a resolver hitting an SQL error) shows no message, SQL or stack, and is logged', async () => {
    const token = await prod.token('datasentinel', ADMIN_PASSWORD);
    // Break the schema under the gateway: every connection query now fails inside PostgreSQL.
    await prod.gateway.dataSource.query(`ALTER TABLE connections RENAME COLUMN host TO host_moved_by_test`);
    try {
      const response = await graphqlPost(prod.url, { query: `{ connections { totalCount nodes { name host } } }` }, { authorization: `Bearer ${token}` });
      const text = await response.text();
      const body = JSON.parse(text) as GraphQLResponse;
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.message).toBe('Internal server error');
      expect(body.errors![0]!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
      expect(text).not.toMatch(/host_moved_by_test|does not exist|SELECT|FROM|QueryFailedError|stack|\.ts\b|node_modules|42703/i);

      const rest = await fetch(`${prod.url}/ds-api/pool/pg-instances/anything`, { headers: { 'user-token': token } });
      expect(rest.status).toBe(500);
      expect(await rest.json()).toEqual({ error: 'Internal server error' });

      // The details are in the log, for the operators.
      expect(prodLogs.text()).toMatch(/host_moved_by_test|c\.host|column/);
      expect(prodLogs.entries().some((e) => e.level === 50)).toBe(true);
    } finally {
      await prod.gateway.dataSource.query(`ALTER TABLE connections RENAME COLUMN host_moved_by_test TO host`);
    }
  });
});
