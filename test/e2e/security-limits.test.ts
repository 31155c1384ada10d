/**
 * GraphQL request limits (src/graphql/limits.ts): each limit is hit with its own code, a refused request does no
 * database work at all (not even the token check), and every example operation passes the defaults.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse } from 'graphql';
import { DEFAULT_GRAPHQL_LIMITS } from '../../src/security-config';
import { ADMIN_PASSWORD, errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { testServer } from '../support/database';

let gw: TestGateway;
let token: string;
beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  token = await gw.token();
});
afterAll(() => gw.stop());

async function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; body: GraphQLResponse }> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as GraphQLResponse };
}

/** Sends `query` and expects a refusal with `code` and no SQL statement at all. */
async function expectRefused(query: string, code: string, variables?: Record<string, unknown>): Promise<GraphQLResponse> {
  gw.resetStatements();
  const { status, type, body } = await post({ query, variables });
  expect(type).toMatch(/application\/json/);
  expect(status).toBe(400);
  expect(body.data).toBeUndefined();
  expect(body.errors).toHaveLength(1);
  expect(errorCode(body)).toBe(code);
  expect(gw.statements).toEqual([]);
  return body;
}

/** `{ me { roles { users { … login } } } }` with `pairs` roles/users pairs: depth 2 × pairs + 2. */
const nest = (pairs: number): string => `{ me { ${'roles { users { '.repeat(pairs)}login${' } }'.repeat(pairs)} } }`;

describe('depth', () => {
  test('a query nested deeper than the limit is refused with QUERY_TOO_DEEP, before any SQL', async () => {
    const body = await expectRefused(nest(5), 'QUERY_TOO_DEEP');
    expect(body.errors![0]!.extensions).toMatchObject({ limit: DEFAULT_GRAPHQL_LIMITS.maxDepth, found: 12 });
    expect(body.errors![0]!.message).toMatch(/too deep.*12.*limit is 10/);
  });

  test('fragments do not hide depth', async () => {
    const query = `query { me { ...A } }
      fragment A on User { roles { users { ...B } } }
      fragment B on User { roles { users { ...C } } }
      fragment C on User { roles { users { roles { users { roles { name } } } } } }`;
    await expectRefused(query, 'QUERY_TOO_DEEP');
  });

  test('a deep but legitimate query runs', async () => {
    // me roles users roles connections edges node tags key: 9 levels
    const data = await gw.gqlOk(`{ me { roles { users { roles { connections(first: 1) { edges { node { tags { key } } } } } } } } }`, {}, token);
    expect(data.me).toBeDefined();
  });

  test('GET requests are checked too', async () => {
    gw.resetStatements();
    const response = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(nest(5))}`, {
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true', accept: 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(errorCode((await response.json()) as GraphQLResponse)).toBe('QUERY_TOO_DEEP');
    expect(gw.statements).toEqual([]);
  });
});

describe('aliases and directives', () => {
  test('more aliases than the limit: TOO_MANY_ALIASES', async () => {
    const fields = Array.from({ length: DEFAULT_GRAPHQL_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: me { login }`).join(' ');
    const body = await expectRefused(`{ ${fields} }`, 'TOO_MANY_ALIASES');
    expect(body.errors![0]!.extensions).toMatchObject({ limit: 20, found: 21 });
  });

  test('aliases at the limit run', async () => {
    const fields = Array.from({ length: DEFAULT_GRAPHQL_LIMITS.maxAliases }, (_, i) => `a${i}: me { login }`).join(' ');
    const data = await gw.gqlOk(`{ ${fields} }`, {}, token);
    expect(Object.keys(data)).toHaveLength(20);
  });

  test('more directives than the limit: TOO_MANY_DIRECTIVES', async () => {
    const fields = Array.from({ length: DEFAULT_GRAPHQL_LIMITS.maxDirectives + 1 }, () => 'login @include(if: true)').join(' ');
    await expectRefused(`{ me { ${fields} } }`, 'TOO_MANY_DIRECTIVES');
  });
});

describe('cost', () => {
  test('connections nested in roles, weighted by first, is refused with QUERY_TOO_COSTLY', async () => {
    const body = await expectRefused(`{ roles { name connections(first: 500) { nodes { name tags { key value } } } } }`, 'QUERY_TOO_COSTLY');
    const { limit, found } = body.errors![0]!.extensions as { limit: number; found: number };
    expect(limit).toBe(DEFAULT_GRAPHQL_LIMITS.maxCost);
    expect(found).toBeGreaterThan(limit);
    expect(body.errors![0]!.message).toMatch(/estimated cost \d+, the limit is 50000/);
  });

  test('the weight of first comes from variables too, and the default page size applies when it is absent', async () => {
    const query = `query($n: Int) { roles { users { connections(first: $n) { nodes { name host port user tags { key value automatic } } } } } }`;
    await expectRefused(query, 'QUERY_TOO_COSTLY', { n: 400 });
    await expectRefused(query, 'QUERY_TOO_COSTLY'); // first defaults to 50: 10 × 10 × 50 × …
    const data = await gw.gqlOk(query, { n: 2 }, token);
    expect(Array.isArray(data.roles)).toBe(true);
  });

  test('a fragment bomb (each fragment spreading the previous one twice) is refused quickly', async () => {
    const fragments = Array.from({ length: 24 }, (_, i) =>
      i === 0 ? 'fragment F0 on Connection { name tags { key value } }' : `fragment F${i} on Connection { ...F${i - 1} ...F${i - 1} }`,
    ).join('\n');
    const started = Date.now();
    const body = await expectRefused(`{ connections(first: 1) { nodes { ...F23 } } }\n${fragments}`, 'QUERY_TOO_COSTLY');
    expect(body.errors![0]!.message).toMatch(/selects 33554434 fields once its fragments are expanded/);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('only the operation that runs is costed', async () => {
    const query = `query Cheap { me { login } } query Dear { roles { connections(first: 500) { nodes { name tags { key } } } } }`;
    const { body } = await post({ query, operationName: 'Cheap' });
    expect(body.errors).toBeUndefined();
    expect(body.data?.me).toEqual({ login: 'datasentinel' });
    // Verdicts are cached per document text: the same text must still be judged per operation, in either order.
    const dear = await post({ query, operationName: 'Dear' });
    expect(dear.status).toBe(400);
    expect(errorCode(dear.body)).toBe('QUERY_TOO_COSTLY');
    expect((await post({ query, operationName: 'Cheap' })).body.data?.me).toEqual({ login: 'datasentinel' });
  });

  test("a cached document is still costed with each request's own variables", async () => {
    const query = `query($n: Int) { roles { connections(first: $n) { nodes { name tags { key value } } } } }`;
    for (const n of [1, 500, 1, 500]) {
      const { status, body } = await post({ query, variables: { n } });
      if (n === 500) {
        expect(status).toBe(400);
        expect(errorCode(body)).toBe('QUERY_TOO_COSTLY');
      } else {
        expect(body.errors).toBeUndefined();
      }
    }
  });
});

describe('document size', () => {
  test('more tokens than the limit: DOCUMENT_TOO_LARGE', async () => {
    const fields = Array.from({ length: DEFAULT_GRAPHQL_LIMITS.maxTokens }, () => 'login').join(' ');
    const body = await expectRefused(`{ me { ${fields} } }`, 'DOCUMENT_TOO_LARGE');
    expect(body.errors![0]!.message).toMatch(/more than 5000 tokens/);
  });

  test('more bytes than the limit: DOCUMENT_TOO_LARGE, whatever the document holds', async () => {
    const body = await expectRefused(`# ${'x'.repeat(DEFAULT_GRAPHQL_LIMITS.maxDocumentBytes)}\n{ me { login } }`, 'DOCUMENT_TOO_LARGE');
    expect(body.errors![0]!.extensions).toMatchObject({ limit: 65536 });
    expect(body.errors![0]!.message).toMatch(/bytes/);
  });
});

describe('batching', () => {
  test('a JSON array of operations is refused with BATCHING_DISABLED, in JSON, before any SQL', async () => {
    gw.resetStatements();
    const { status, type, body } = await post([{ query: '{ me { login } }' }, { query: '{ me { email } }' }]);
    expect(status).toBe(400);
    expect(type).toMatch(/application\/json/);
    expect(errorCode(body)).toBe('BATCHING_DISABLED');
    expect(body.errors![0]!.message).toMatch(/one operation per request/);
    expect(gw.statements).toEqual([]);
  });
});

describe('defaults are generous enough for real clients', () => {
  const server = testServer();
  const variables: Record<string, Record<string, unknown>> = {
    SignIn: { login: 'datasentinel', password: ADMIN_PASSWORD },
    CreateConnection: {
      name: 'sales-production',
      input: { host: server.host, port: server.port, user: 'nobody', password: 'wrong-password', tags: [{ key: 'application', value: 'sales' }] },
    },
    PreviewAccess: { access: [{ filters: [{ tag: 'application', value: 'sales' }] }], first: 500 },
    CreateRole: { name: 'sales-role', access: [{ filters: [{ tag: 'application', value: 'sales' }] }] },
    CreateUser: { email: 'jean.lapioffe@corp.com', input: { password: 'myPassword', roles: ['sales-role'], privilege: 'READ' } },
    VisibleConnections: { first: 500 },
    ConnectionByName: { name: 'sales-production' },
    CreateApiKey: { name: 'grafana-dashboards', readOnly: true },
    ExplainAccess: { login: 'jean.lapioffe', connection: 'sales-production' },
    ConnectionAudience: { name: 'sales-production', first: 500 },
    RoleChangeImpact: { name: 'sales-role', access: [{ filters: [{ tag: 'server', value: server.host }] }], first: 500 },
    UserRolesImpact: { email: 'jean.lapioffe@corp.com', roles: [], first: 500 },
    OrderedConnections: { last: 500, orderBy: { field: 'UPDATED_AT', direction: 'DESC' }, filter: { tags: [{ key: 'application', op: 'EXISTS' }] } },
    NodesById: { ids: Array.from({ length: 500 }, (_, i) => String(i + 1)) },
  };
  const dir = join(__dirname, '../../examples/operations');
  // administration.graphql first: it creates what the dashboard operations read.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  const operations = files.flatMap((file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    return parse(source)
      .definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION && d.name ? [d.name.value] : []))
      .map((name) => ({ file, name, source }));
  });

  test.each(operations)('$file $name runs within the default limits', async ({ name, source }) => {
    const result = await post({ query: source, operationName: name, variables: variables[name] ?? {} });
    expect(result.body.errors).toBeUndefined();
    expect(result.status).toBe(200);
  });
});

test('limits are configurable', async () => {
  const strict = await startTestGateway({
    probeTimeoutMs: 0,
    graphqlLimits: { maxDepth: 2, maxCost: 100, maxAliases: 1, maxDirectives: 1, maxTokens: 50, maxDocumentBytes: 300 },
  });
  try {
    const t = await strict.token();
    expect(errorCode(await strict.gql(`{ me { roles { name } } }`, {}, t))).toBe('QUERY_TOO_DEEP');
    expect(errorCode(await strict.gql(`{ a: me { login } b: me { login } }`, {}, t))).toBe('TOO_MANY_ALIASES');
    expect(errorCode(await strict.gql(`{ me { login @include(if: true) email @skip(if: false) } }`, {}, t))).toBe('TOO_MANY_DIRECTIVES');
    expect(errorCode(await strict.gql(`{ connections(first: 200) { totalCount } }`, {}, t))).toBe('QUERY_TOO_COSTLY');
    expect(errorCode(await strict.gql(`{ me { ${'login '.repeat(50)} } }`, {}, t))).toBe('DOCUMENT_TOO_LARGE');
    expect(errorCode(await strict.gql(`{ me { login } } # ${'x'.repeat(300)}`, {}, t))).toBe('DOCUMENT_TOO_LARGE');
    expect((await strict.gqlOk<{ me: { login: string } }>(`{ me { login } }`, {}, t)).me.login).toBe('datasentinel');
  } finally {
    await strict.stop();
  }
});
