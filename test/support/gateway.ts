/**
 * Starts a real gateway (HTTP server, services, PostgreSQL database of its own) for end-to-end tests, and gives
 * small helpers to call it over HTTP.
 */
import type { Config } from '../../src/config';
import { loadConfig } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { createLogger, type Logger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from './database';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

/**
 * How a test reads a JSON body by default: tests assert exact shapes with `expect(...)`, and typing each body would
 * only be a cast. Helpers that use a body themselves pass a real type instead (e.g. `gqlAt<GraphQLResponse<{ ... }>>`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one loosely typed JSON body, see above
export type LooseJson = Record<string, any>;

export interface GraphQLResponse<T = LooseJson> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface TestGateway {
  url: string;
  gateway: RunningGateway;
  database: TestDatabase;
  /** SQL statements sent by the gateway since the last `resetStatements()`. */
  statements: string[];
  /** Their parameters, index for index. */
  statementParams: unknown[][];
  resetStatements(): void;
  /** POSTs a GraphQL operation; `token` goes in `Authorization: Bearer`. */
  gql<T = LooseJson>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  /** Like `gql`, but throws when the response has errors, and returns `data`. */
  gqlOk<T = LooseJson>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  /** A token for `login`/`password` (default: the administrator). */
  token(login?: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

/** `options.log`: the gateway's logger (default: one built from the config, silent under tests). */
export async function startTestGateway(overrides: Partial<Config> = {}, options: { log?: Logger } = {}): Promise<TestGateway> {
  const database = await createTestDatabase();
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test' }),
    databaseUrl: database.url,
    port: 0,
    host: '127.0.0.1',
    adminPassword: ADMIN_PASSWORD,
    probeTimeoutMs: 1000,
    databasePoolSize: 4,
    // Every read query runs compiled (graphql-jit) from its first use, so the whole suite checks the compiled path;
    // test/e2e/executor-parity.test.ts compares it with graphql-js.
    graphqlJitMinUses: 1,
    ...overrides,
  };
  const statements: string[] = [];
  const statementParams: unknown[][] = [];
  const gateway = await startGateway(config, options.log ?? createLogger(config), {
    onQuery: (sql, params) => {
      statements.push(sql);
      statementParams.push(params ?? []);
    },
  });

  const gql = async <T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as GraphQLResponse<T>;
  };
  const gqlOk = async <T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T> => {
    const result = await gql<T>(query, variables, token);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data as T;
  };
  const token = async (login = 'datasentinel', password = ADMIN_PASSWORD) => {
    const data = await gqlOk<{ createToken: { token: string } }>(
      `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }`,
      { login, password },
    );
    return data.createToken.token;
  };
  return {
    url: gateway.url,
    gateway,
    database,
    statements,
    statementParams,
    resetStatements: () => {
      statements.length = 0;
      statementParams.length = 0;
    },
    gql,
    gqlOk,
    token,
    stop: async () => {
      await gateway.stop();
      await database.drop();
    },
  };
}

/** The `extensions.code` of the first error, for terse assertions. */
export function errorCode(result: GraphQLResponse): string | undefined {
  return result.errors?.[0]?.extensions?.code;
}
