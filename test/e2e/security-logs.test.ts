/**
 * Secrets never reach the log: a gateway with a real logger (every level, JSON into a buffer) serves sign-ins, token
 * use, connections and users created and updated with passwords, failed sign-ins and internal faults through both
 * GraphQL and REST; then the captured log is searched for every password and token.
 */
import { createLogger } from '../../src/logger';
import { testServer } from '../support/database';
import { ADMIN_PASSWORD, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { captureLogs, type CapturedLogs } from '../support/log-capture';

let gw: TestGateway;
let logs: CapturedLogs;
beforeAll(async () => {
  logs = captureLogs();
  gw = await startTestGateway(
    { probeTimeoutMs: 1000, logLevel: 'trace', environment: 'development' },
    { log: createLogger({ logLevel: 'trace', environment: 'development' }, logs.stream) },
  );
});
afterAll(() => gw.stop());

const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

async function graphql<T = any>(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResponse<T>;
}

async function rest(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gw.url}/ds-api${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

test('no password, token or Basic credential appears in the logs', async () => {
  const secrets: string[] = [ADMIN_PASSWORD, basic('datasentinel', ADMIN_PASSWORD).slice(6)];
  const server = testServer();
  const SIGN_IN = `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }`;

  // Sign in through GraphQL and REST, and use the tokens both ways.
  const t1 = (await graphql(SIGN_IN, { login: 'datasentinel', password: ADMIN_PASSWORD })).data!.createToken.token as string;
  const t2 = (await rest('POST', '/user-token', { authorization: basic('datasentinel', ADMIN_PASSWORD) })).body['user-token'] as string;
  secrets.push(t1, t2, t1.split('.')[2]!, t2.split('.')[2]!);
  expect(
    (
      await graphql(
        `
          {
            me {
              login
            }
          }
        `,
        {},
        { authorization: `Bearer ${t1}` },
      )
    ).data!.me.login,
  ).toBe('datasentinel');
  expect(
    (
      await graphql(
        `
          {
            me {
              login
            }
          }
        `,
        {},
        { 'user-token': t2 },
      )
    ).data!.me.login,
  ).toBe('datasentinel');
  expect((await rest('GET', '/users', { 'user-token': t2 })).status).toBe(200);
  expect((await rest('GET', `/user-token?token=${encodeURIComponent(t1)}`, { authorization: basic('datasentinel', ADMIN_PASSWORD) })).status).toBe(200);
  const admin = { authorization: `Bearer ${t1}` };

  // Connections with passwords; the probe really tries them against the test server (and is refused).
  const connPasswords = ['conn-secret-gql-7Qx1', 'conn-secret-rest-9Zk2', 'conn-secret-update-4Wm8'];
  secrets.push(...connPasswords);
  const created = await graphql(
    `
      mutation ($input: CreateConnectionInput!) {
        createConnection(name: "logged-gql", input: $input) {
          name
          connected
        }
      }
    `,
    { input: { host: server.host, port: server.port, user: 'probe_user_for_log_test', password: connPasswords[0] } },
    admin,
  );
  expect(created.errors).toBeUndefined();
  expect(
    (
      await rest(
        'POST',
        '/pool/pg-instances/logged-rest',
        { 'user-token': t2 },
        { host: server.host, port: server.port, user: 'probe_user_for_log_test', password: connPasswords[1], tags: 'env=test' },
      )
    ).status,
  ).toBe(201);
  const updated = await graphql(
    `
      mutation ($input: UpdateConnectionInput!) {
        updateConnection(name: "logged-gql", input: $input) {
          name
        }
      }
    `,
    { input: { password: connPasswords[2] } },
    admin,
  );
  expect(updated.errors).toBeUndefined();

  // Users with passwords, created and updated both ways, then signing in.
  const userPasswords = ['user-secret-gql-3Hn5', 'user-secret-rest-8Jp6', 'user-secret-update-2Rt7'];
  secrets.push(...userPasswords);
  const user = await graphql(
    `
      mutation ($input: CreateUserInput!) {
        createUser(email: "logged.gql@corp.test", input: $input) {
          login
        }
      }
    `,
    { input: { password: userPasswords[0], privilege: 'READ' } },
    admin,
  );
  expect(user.errors).toBeUndefined();
  expect((await rest('POST', '/users/logged.rest@corp.test', { 'user-token': t2 }, { password: userPasswords[1], privilege: 'read' })).status).toBe(201);
  const changed = await graphql(
    `
      mutation ($input: UpdateUserInput!) {
        updateUser(email: "logged.gql@corp.test", input: $input) {
          login
        }
      }
    `,
    { input: { password: userPasswords[2] } },
    admin,
  );
  expect(changed.errors).toBeUndefined();
  const t3 = (await graphql(SIGN_IN, { login: 'logged.gql', password: userPasswords[2] })).data!.createToken.token as string;
  secrets.push(t3);
  expect(
    (
      await graphql(
        `
          {
            me {
              login
            }
          }
        `,
        {},
        { authorization: `Bearer ${t3}` },
      )
    ).data!.me.login,
  ).toBe('logged.gql');

  // Failed sign-ins and a rejected password.
  const wrong = 'wrong-secret-guess-5Kd3';
  secrets.push(wrong, basic('logged.rest', wrong).slice(6));
  expect((await graphql(SIGN_IN, { login: 'logged.rest', password: wrong })).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  expect((await rest('POST', '/user-token', { authorization: basic('logged.rest', wrong) })).status).toBe(401);
  const tooShort = 'short-7';
  secrets.push(tooShort);
  expect((await rest('PUT', '/users/logged.rest@corp.test', { 'user-token': t2 }, { password: tooShort })).status).toBe(400);

  // Internal faults while writing passwords: the error is logged, its SQL parameters are not.
  const faultPasswords = ['fault-secret-user-6Vb4', 'fault-secret-conn-1Cy9'];
  secrets.push(...faultPasswords);
  await gw.gateway.dataSource.query(`ALTER TABLE users RENAME COLUMN comment TO comment_moved_by_test`);
  await gw.gateway.dataSource.query(`ALTER TABLE connections RENAME COLUMN port TO port_moved_by_test`);
  try {
    const fault = await graphql(
      `
        mutation ($input: CreateUserInput!) {
          createUser(email: "fault@corp.test", input: $input) {
            login
          }
        }
      `,
      { input: { password: faultPasswords[0] } },
      admin,
    );
    expect(fault.errors![0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    const faultRest = await rest(
      'POST',
      '/pool/pg-instances/fault-conn',
      { 'user-token': t2 },
      { host: 'db.invalid', port: 5432, user: 'u', password: faultPasswords[1], tags: '' },
    );
    expect(faultRest.status).toBe(500);
  } finally {
    await gw.gateway.dataSource.query(`ALTER TABLE users RENAME COLUMN comment_moved_by_test TO comment`);
    await gw.gateway.dataSource.query(`ALTER TABLE connections RENAME COLUMN port_moved_by_test TO port`);
  }

  const text = logs.text();
  // The capture works: one line per request, and the faults are there with their reason.
  const requests = logs.entries().filter((e) => e.msg === 'request');
  expect(requests.length).toBeGreaterThanOrEqual(15);
  expect(text).toMatch(/comment_moved_by_test|port_moved_by_test|does not exist/);
  // The failed INSERT's bound values (the sealed connection password among them) are redacted.
  expect(text).toMatch(/"parameters":"\[redacted\]"/);
  expect(text).not.toMatch(/"parameters":\[/);
  for (const secret of secrets) expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
});

test('no API key secret appears in the logs', async () => {
  const SIGN_IN = `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }`;
  const token = (await graphql(SIGN_IN, { login: 'datasentinel', password: ADMIN_PASSWORD })).data!.createToken.token as string;
  const created = await graphql(
    `
      mutation {
        createApiKey(name: "logged-key") {
          secret
          apiKey {
            id
          }
        }
      }
    `,
    {},
    { authorization: `Bearer ${token}` },
  );
  const { secret, apiKey } = created.data!.createApiKey as { secret: string; apiKey: { id: string } };
  const secrets = [secret, secret.slice(-64)];
  expect(
    (
      await graphql(
        `
          {
            me {
              login
            }
          }
        `,
        {},
        { authorization: `Bearer ${secret}` },
      )
    ).data!.me.login,
  ).toBe('datasentinel');
  expect((await rest('GET', '/users', { 'user-token': secret })).status).toBe(200);
  // A key sent as a variable, a mistyped key, and a revoked one.
  await graphql(
    `
      query ($t: String!) {
        tokenInfo(token: $t) {
          user
        }
      }
    `,
    { t: secret },
    { authorization: `Bearer ${token}` },
  );
  const mistyped = `${secret.slice(0, -4)}abcd`;
  secrets.push(mistyped);
  expect((await rest('GET', '/users', { 'user-token': mistyped })).status).toBe(401);
  await graphql(
    `
      mutation ($id: ID!) {
        revokeApiKey(id: $id)
      }
    `,
    { id: apiKey.id },
    { authorization: `Bearer ${token}` },
  );
  expect(
    (
      await graphql(
        `
          {
            me {
              login
            }
          }
        `,
        {},
        { authorization: `Bearer ${secret}` },
      )
    ).errors![0]!.extensions!.code,
  ).toBe('UNAUTHENTICATED');

  const text = logs.text();
  expect(text).toContain(`"login":"datasentinel"`);
  for (const value of secrets) expect({ value, found: text.includes(value) }).toEqual({ value, found: false });
});
