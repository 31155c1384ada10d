/**
 * The compiled executor (graphql-jit, src/graphql/executor.ts) must answer exactly as graphql-js does: same data,
 * same errors (message, path, locations, code), for every kind of caller. Each operation below runs through both
 * executors with a fresh request context each time, and the answers are compared whole.
 *
 * The rest of the suite runs every read query compiled from its first use (test/support/gateway.ts); this file is
 * where the two paths meet.
 */
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { getOperationAST, parse, validate, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { authenticate } from '../../src/context/authenticate';
import { AppError } from '../../src/errors/app-error';
import { createExecutor } from '../../src/graphql/executor';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { seedConnections, seedRoles, seedUsers } from '../support/seed';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let schema: GraphQLSchema;
const tokens: Record<string, string | null> = { anonymous: null };

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  schema = await buildGatewaySchema();
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, [
    { name: 'prod-db1', tags: { env: 'prod', team: 'core' } },
    { name: 'prod-db2', tags: { env: 'prod', team: 'web' } },
    { name: 'dev-db1', tags: { env: 'dev', team: 'core' } },
    { name: 'qa-db1', tags: { env: 'qa' } },
  ]);
  await seedRoles(ds, [
    { name: 'prod', access: [{ filters: [{ tag: 'env', value: 'prod' }] }] },
    {
      name: 'core-dev',
      access: [
        {
          filters: [
            { tag: 'team', value: 'core' },
            { tag: 'env', value: 'dev' },
          ],
        },
      ],
    },
  ]);
  await seedUsers(ds, [{ email: 'restricted@corp.test', roles: ['prod', 'core-dev'] }]);
  const password = 'a-long-enough-password';
  const admin = await gw.token();
  tokens.admin = admin;
  await gw.gqlOk(`mutation { updateUser(email: "restricted@corp.test", input: { password: "${password}" }) { login } }`, {}, admin);
  await gw.gqlOk(`mutation { createUser(email: "reader@corp.test", input: { password: "${password}", privilege: READ }) { login } }`, {}, admin);
  tokens.restricted = await gw.token('restricted', password);
  tokens.reader = await gw.token('reader', password);
});
afterAll(() => gw.stop());

const CONNECTION_FIELDS = `name host port user enabled connected pgVersion tagString collectionRate samples lockMonitoring
  lockMonitoringDelay tableMonitoring queryMonitoring queryMonitoringOptimize queryMonitoringMinCalls queryMonitoringMinTime
  tags { key value automatic }`;

const OPERATIONS: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  {
    name: 'me',
    query: `{ me { login email profile privilege restricted live360 ldap permissions { administer killSessions live360 dashboards } roles { name } } }`,
  },
  { name: 'dashboard page', query: `{ connections(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { ${CONNECTION_FIELDS} } } }` },
  {
    name: 'small pages, edges and cursors',
    query: `query($n: Int) { connections(first: $n) { totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
    variables: { n: 1 },
  },
  { name: 'variable defaults', query: `query($n: Int = 2) { connections(first: $n) { nodes { name } } }` },
  {
    name: 'filters',
    query: `query($f: ConnectionFilter) { connections(filter: $f) { totalCount nodes { name } } }`,
    variables: { f: { access: [{ filters: [{ tag: 'team', value: 'core' }] }], enabled: true } },
  },
  { name: 'search', query: `{ connections(filter: { search: "db1" }) { totalCount nodes { name } } }` },
  {
    name: 'one connection, visible or not',
    query: `{ a: connection(name: "prod-db1") { name tags { key value } } b: connection(name: "qa-db1") { name } c: connection(name: "nope") { name } }`,
  },
  { name: 'administrator-only fields (partial errors, nulls)', query: `{ connections { nodes { name lastProbeAt lastProbeError } } }` },
  { name: 'tag summary', query: `{ tags { key automatic values { value count } } }` },
  {
    name: 'roles overview',
    query: `{ roles { name connectionCount access { filters { tag value } } users { login roles { name } } connections(first: 2) { totalCount nodes { name } } } }`,
  },
  { name: 'one role', query: `{ role(name: "prod") { name connectionCount } missing: role(name: "nope") { name } }` },
  { name: 'users and their connections', query: `{ users { login restricted connections(first: 10) { totalCount nodes { name } } } }` },
  {
    name: 'preview',
    query: `query($a: [AccessGroupInput!]!) { previewAccess(access: $a, first: 10) { totalCount nodes { name } } }`,
    variables: { a: [{ filters: [{ tag: 'env', value: 'prod' }] }, { filters: [{ tag: 'env', value: 'qa' }] }] },
  },
  { name: 'service refusals (bad cursor, bad first)', query: `{ connections(first: -1) { totalCount } }` },
  { name: 'bad cursor', query: `{ connections(after: "not-a-cursor") { totalCount } }` },
  { name: 'bad rule in preview', query: `{ previewAccess(access: [{ filters: [] }]) { totalCount } }` },
  { name: 'variable of the wrong type', query: `query($n: Int) { connections(first: $n) { totalCount } }`, variables: { n: 'ten' } },
  { name: 'missing required variable', query: `query($a: [AccessGroupInput!]!) { previewAccess(access: $a) { totalCount } }`, variables: {} },
  {
    name: 'fragments, aliases, @skip and @include',
    query: `query($yes: Boolean!) { list: connections(first: 3) { ...Page } again: connections(first: 1) @include(if: $yes) { totalCount } never: me @skip(if: $yes) { login } } fragment Page on ConnectionPage { totalCount nodes { ... on Connection { id: name tags { key } } } }`,
    variables: { yes: true },
  },
  { name: '__typename', query: `{ __typename me { __typename login } connections(first: 1) { __typename nodes { __typename name } } }` },
];

interface Comparable {
  data: unknown;
  errors?: { message: string; path?: readonly (string | number)[]; locations?: unknown; code: unknown }[];
}

async function run(jit: boolean, token: string | null, query: string, variables: Record<string, unknown> = {}): Promise<Comparable> {
  const document = parse(query);
  expect(validate(schema, document)).toEqual([]);
  const operation = getOperationAST(document)!;
  const context = {
    ...(await authenticate(gw.gateway.services, token ? { authorization: `Bearer ${token}` } : {}, undefined, undefined, 'graphql')),
    services: gw.gateway.services,
  };
  const execute = createExecutor(schema, { jit, minUses: 1 });
  const request = { document, operation, operationName: null, context, request: { query, variables } } as unknown as GatewayGraphQLRequestContext;
  const result: ExecutionResult = await execute(request);
  // Through JSON, as clients see it: DateTime values, nulls and undefined fields all compare as sent.
  return JSON.parse(
    JSON.stringify({
      data: result.data,
      errors: result.errors?.map((e) => ({
        message: e.message,
        path: e.path,
        locations: e.locations,
        code: e.originalError instanceof AppError ? e.originalError.code : (e.extensions?.code ?? null),
      })),
    }),
  );
}

describe.each(['admin', 'restricted', 'reader', 'anonymous'])('as %s', (caller) => {
  test.each(OPERATIONS.map((o) => [o.name, o] as const))('%s: compiled and graphql-js answers are identical', async (_name, { query, variables }) => {
    const token = tokens[caller] ?? null;
    const viaGraphqlJs = await run(false, token, query, variables);
    const compiled = await run(true, token, query, variables);
    expect(compiled).toEqual(viaGraphqlJs);
  });
});

test('the comparison is not vacuous: answers carry data for callers who may see it and errors for those who may not', async () => {
  const page = await run(true, tokens.restricted!, `{ connections { totalCount nodes { name } } }`);
  expect(page.data).toEqual({ connections: { totalCount: 3, nodes: [{ name: 'dev-db1' }, { name: 'prod-db1' }, { name: 'prod-db2' }] } });
  const refused = await run(true, tokens.reader!, `{ roles { name } }`);
  expect(refused.errors?.map((e) => e.code)).toEqual(['FORBIDDEN']);
  const badVariable = await run(true, tokens.admin!, `query($n: Int) { connections(first: $n) { totalCount } }`, { n: 'ten' });
  expect(badVariable.data).toBeUndefined();
  expect(badVariable.errors?.[0]?.message).toMatch(/^Variable "\$n" got invalid value "ten"/);
});

test('a document runs on graphql-js until its minUses-th run, then compiled', async () => {
  const compiledRuns: string[] = [];
  const execute = createExecutor(schema, { jit: true, minUses: 3, onCompile: (name) => compiledRuns.push(name ?? '(anonymous)') });
  const query = `query Twice { me { login } }`;
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const results: unknown[] = [];
  for (let i = 0; i < 4; i += 1) {
    const context = {
      ...(await authenticate(gw.gateway.services, { authorization: `Bearer ${tokens.admin}` }, undefined, undefined, 'graphql')),
      services: gw.gateway.services,
    };
    results.push(await execute({ document, operation, operationName: 'Twice', context, request: { query } } as unknown as GatewayGraphQLRequestContext));
    expect(compiledRuns).toEqual(i < 2 ? [] : ['Twice']);
  }
  expect(new Set(results.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ data: { me: { login: 'datasentinel' } } })]));
  // Mutations and introspection are never compiled.
  const mutation = parse(`mutation { deleteConnection(name: "nope") }`);
  const introspection = parse(`{ __schema { queryType { name } } }`);
  for (const doc of [mutation, introspection]) {
    for (let i = 0; i < 4; i += 1) {
      const context = {
        ...(await authenticate(gw.gateway.services, { authorization: `Bearer ${tokens.admin}` }, undefined, undefined, 'graphql')),
        services: gw.gateway.services,
      };
      await execute({ document: doc, operation: getOperationAST(doc)!, operationName: null, context, request: {} } as unknown as GatewayGraphQLRequestContext);
    }
  }
  expect(compiledRuns).toEqual(['Twice']);
});

test('an operationName naming no operation: both executors answer BAD_USER_INPUT on their own (no crash), even without the request gate', async () => {
  const query = '{ me { login } }';
  for (const jit of [false, true]) {
    const execute = createExecutor(schema, { jit, minUses: 1 });
    const context = { ...(await authenticate(gw.gateway.services, {}, undefined, undefined, 'graphql')), services: gw.gateway.services };
    for (let i = 0; i < 2; i += 1) {
      // What Apollo hands the executor when `operationName` names no operation of the document.
      const request = {
        document: parse(query),
        operation: undefined,
        operationName: null,
        context,
        request: { query, operationName: 'Nope' },
      } as unknown as GatewayGraphQLRequestContext;
      const result: ExecutionResult = await execute(request);
      expect(result.data).toBeUndefined();
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
  }
});
