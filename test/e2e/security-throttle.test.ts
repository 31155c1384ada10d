/**
 * Sign-in throttling (src/services/login-throttle.ts) through both adapters: GraphQL `createToken` and the REST
 * token endpoints. Windows and blocks are shortened (2 s blocks) so expiry is observed, not assumed. The gateway
 * trusts the loopback proxy here, so `X-Forwarded-For` plays the part of distinct client addresses.
 */
import { loadConfig, type Config } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import type { ThrottleRule } from '../../src/security-config';
import { ADMIN_PASSWORD, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

const BLOCK_SECONDS = 2;
const rule = (failures: number): ThrottleRule => ({ failures, windowSeconds: 60, blockSeconds: BLOCK_SECONDS });
const THROTTLED: Partial<Config> = {
  probeTimeoutMs: 0,
  trustProxy: 'loopback',
  loginThrottle: { perLoginAndAddress: rule(3), perAddress: rule(8), perLogin: rule(10) },
};
const PASSWORD = 'user-password-123';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway(THROTTLED);
  const admin = await gw.token('datasentinel', ADMIN_PASSWORD);
  for (const login of ['alice', 'bob', 'carol', 'dave', 'erin']) {
    await gw.gqlOk(
      `mutation($email: String!, $input: CreateUserInput!) { createUser(email: $email, input: $input) { login } }`,
      {
        email: `${login}@corp.test`,
        input: { password: PASSWORD },
      },
      admin,
    );
  }
});
afterAll(() => gw.stop());

interface Outcome {
  code: string;
  retryAfterSeconds?: number;
}

async function signIn(login: string, password: string, address: string, url = gw.url): Promise<Outcome> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({
      query: `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token } }`,
      variables: { login, password },
    }),
  });
  const body = (await response.json()) as GraphQLResponse<{ createToken: { token: string } }>;
  if (body.data?.createToken?.token) return { code: 'OK' };
  const extensions = body.errors?.[0]?.extensions ?? {};
  return { code: String(extensions.code), retryAfterSeconds: extensions.retryAfterSeconds as number | undefined };
}

async function rest(method: string, path: string, login: string, password: string, address: string) {
  const response = await fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`, 'x-forwarded-for': address },
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
}

test('login + address: after 3 failures even the right password is refused with RATE_LIMITED, cheaply, until the block expires', async () => {
  const address = '198.51.100.1';
  for (let i = 0; i < 3; i += 1) expect(await signIn('alice', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });

  gw.resetStatements();
  const refused = await signIn('alice', PASSWORD, address);
  expect(refused.code).toBe('RATE_LIMITED');
  expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  expect(refused.retryAfterSeconds).toBeLessThanOrEqual(BLOCK_SECONDS);
  // No user lookup, so no password hash: only the throttle's own counters were touched (outside the ORM).
  expect(gw.statements).toEqual([]);

  // The REST token endpoints share the throttle: 429, `{"error"}` only, and Retry-After.
  const post = await rest('POST', '/ds-api/user-token', 'alice', PASSWORD, address);
  expect(post.status).toBe(429);
  expect(Object.keys(post.body)).toEqual(['error']);
  expect(post.body.error).toMatch(/Too many failed sign-in attempts/);
  expect(Number(post.retryAfter)).toBeGreaterThanOrEqual(1);
  expect((await rest('GET', '/ds-api/user-token?token=x', 'alice', PASSWORD, address)).status).toBe(429);

  // Another address is not blocked (the per-login limit is higher).
  expect(await signIn('alice', PASSWORD, '198.51.100.2')).toEqual({ code: 'OK' });

  await sleep(BLOCK_SECONDS * 1000 + 300);
  expect(await signIn('alice', PASSWORD, address)).toEqual({ code: 'OK' });
  expect((await rest('POST', '/ds-api/user-token', 'alice', PASSWORD, address)).status).toBe(201);
});

test('a successful sign-in resets the login + address counter', async () => {
  const address = '198.51.100.3';
  for (let round = 0; round < 2; round += 1) {
    expect(await signIn('bob', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await signIn('BOB', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await signIn('bob', PASSWORD, address)).toEqual({ code: 'OK' });
  }
  // 4 failures in all, but never 3 in a row: never blocked. Case and spaces do not make a new login: 3 in a row are.
  expect(await signIn('bob', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
  expect(await signIn('Bob', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
  expect(await signIn(' bob ', 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
  expect((await signIn('bob', PASSWORD, address)).code).toBe('RATE_LIMITED');
});

test('per address: one source trying many logins is blocked, for every login, and only that source', async () => {
  const address = '198.51.100.4';
  for (let i = 0; i < 8; i += 1) expect(await signIn(`guess-${i}`, 'wrong-password', address)).toEqual({ code: 'UNAUTHENTICATED' });
  const refused = await signIn('carol', PASSWORD, address);
  expect(refused.code).toBe('RATE_LIMITED');
  expect((await rest('POST', '/ds-api/user-token', 'carol', PASSWORD, address)).status).toBe(429);
  expect(await signIn('carol', PASSWORD, '198.51.100.5')).toEqual({ code: 'OK' });

  await sleep(BLOCK_SECONDS * 1000 + 300);
  expect(await signIn('carol', PASSWORD, address)).toEqual({ code: 'OK' });
});

test('per login: a distributed attack on one account blocks it briefly, then the owner signs in again', async () => {
  for (let i = 0; i < 10; i += 1) expect(await signIn('dave@corp.test', 'wrong-password', `203.0.113.${10 + i}`)).toEqual({ code: 'UNAUTHENTICATED' });
  expect((await signIn('dave@corp.test', PASSWORD, '203.0.113.99')).code).toBe('RATE_LIMITED');
  // Refused attempts are not counted on the other counters: the owner's own address has a clean slate afterwards.
  await sleep(BLOCK_SECONDS * 1000 + 300);
  expect(await signIn('dave@corp.test', PASSWORD, '203.0.113.99')).toEqual({ code: 'OK' });
});

test('replicas share the counters (they live in PostgreSQL)', async () => {
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test' }),
    ...THROTTLED,
    databaseUrl: gw.database.url,
    port: 0,
    host: '127.0.0.1',
    adminPassword: ADMIN_PASSWORD,
    databasePoolSize: 2,
  };
  const replica: RunningGateway = await startGateway(config, createLogger(config));
  try {
    const address = '198.51.100.6';
    for (let i = 0; i < 3; i += 1) expect(await signIn('erin', 'wrong-password', address, gw.url)).toEqual({ code: 'UNAUTHENTICATED' });
    expect((await signIn('erin', PASSWORD, address, replica.url)).code).toBe('RATE_LIMITED');
    expect(await signIn('erin', PASSWORD, '198.51.100.7', replica.url)).toEqual({ code: 'OK' });
  } finally {
    await replica.stop();
  }
});
