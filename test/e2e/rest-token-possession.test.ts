/**
 * `GET /ds-api/user-token?token=T` answers by possession of `T` (issue 12, item 1): the vendor's Ansible role
 * (`create_user_token`) reads the details of the token it was just given without any credentials. Invalid, expired
 * and revoked tokens are 401 `{"error"}`, and each such failure counts against the client address like a failed
 * sign-in (src/services/login-throttle.ts), so that tokens cannot be guessed through this endpoint. The gateway trusts
 * the loopback proxy here, so `X-Forwarded-For` plays the part of distinct client addresses.
 */
import jwt from 'jsonwebtoken';
import type { ThrottleRule } from '../../src/security-config';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';
import { restClient, type RestClient } from './rest-client';

const JWT_SECRET = 'a-test-signing-key-of-at-least-32-characters';
const rule = (failures: number): ThrottleRule => ({ failures, windowSeconds: 600, blockSeconds: 600 });
const PASSWORD = 'holder-password-123';

let gw: TestGateway;
let api: RestClient;
let admin: string;

beforeAll(async () => {
  gw = await startTestGateway({
    jwtSecret: JWT_SECRET,
    probeTimeoutMs: 0,
    trustProxy: 'loopback',
    loginThrottle: { perLoginAndAddress: rule(50), perAddress: rule(3), perLogin: rule(50) },
  });
  api = restClient(gw.url);
  admin = await gw.token();
  await gw.gqlOk(`mutation { createUser(email: "holder@corp.test", input: { password: "${PASSWORD}", privilege: READ }) { login } }`, {}, admin);
});
afterAll(() => gw.stop());

const from = (address: string) => ({ 'x-forwarded-for': address });
const details = (token: string, address: string, basic?: { login: string; password: string }) =>
  api.get(`/ds-api/user-token?token=${encodeURIComponent(token)}`, { headers: from(address), basic });

test('a valid token: 200 with its details, with no credentials at all, and with the right Basic credentials', async () => {
  const issued = await api.post('/ds-api/user-token', { basic: { login: 'holder', password: PASSWORD }, headers: from('192.0.2.1') });
  expect(issued.status).toBe(201);
  const token = issued.body['user-token'] as string;
  const { exp } = jwt.decode(token) as { exp: number };
  const expected = {
    email: 'holder@corp.test',
    expire_time: new Date(exp * 1000).toISOString().slice(0, 19).replace('T', ' '),
    organization_name: 'ds-data',
    user: 'holder',
  };

  const anonymous = await details(token, '192.0.2.1');
  expect({ status: anonymous.status, body: anonymous.body }).toEqual({ status: 200, body: expected });
  expect(anonymous.headers['www-authenticate']).toBeUndefined();
  // Someone else's credentials do not matter: the token describes its own user.
  const withBasic = await details(token, '192.0.2.1', { login: 'datasentinel', password: ADMIN_PASSWORD });
  expect({ status: withBasic.status, body: withBasic.body }).toEqual({ status: 200, body: expected });
  // Credentials that are sent must be right.
  const wrong = await details(token, '192.0.2.1', { login: 'datasentinel', password: 'not-the-password' });
  expect({ status: wrong.status, body: wrong.body }).toEqual({ status: 401, body: { error: 'Invalid login or password' } });
});

test('invalid, tampered, expired and revoked tokens: 401 {"error"}, with nothing about any user', async () => {
  const token = await gw.token('holder', PASSWORD);
  const [head, payload] = token.split('.');
  const forged = jwt.sign({ user: 'holder', email: 'holder@corp.test', database: 'ds-data', tv: 0 }, 'another-key-of-at-least-32-characters!!', {
    algorithm: 'HS256',
    expiresIn: 3600,
    subject: '2',
  });
  const expired = jwt.sign({ user: 'holder', email: 'holder@corp.test', database: 'ds-data', tv: 0, exp: Math.floor(Date.now() / 1000) - 60 }, JWT_SECRET, {
    algorithm: 'HS256',
    subject: '2',
  });
  const cases: [string, string, string][] = [
    ['garbage', 'not-a-token', 'Invalid token'],
    ['tampered signature', `${head}.${payload}.AAAA`, 'Invalid token'],
    ['signed with another key', forged, 'Invalid token'],
    ['expired', expired, 'Token expired: create a new one'],
  ];
  // Each from its own address: this test is about the answers, the next one about counting them.
  for (const [i, [what, bad, message]] of cases.entries()) {
    const res = await details(bad, `192.0.2.${10 + i}`);
    expect({ what, status: res.status, body: res.body }).toEqual({ what, status: 401, body: { error: message } });
  }

  // A password change revokes every token of the user.
  expect((await details(token, '192.0.2.20')).status).toBe(200);
  await gw.gqlOk(`mutation { updateUser(email: "holder@corp.test", input: { password: "${PASSWORD}-2" }) { login } }`, {}, admin);
  const revoked = await details(token, '192.0.2.21');
  expect({ status: revoked.status, body: revoked.body }).toEqual({ status: 401, body: { error: 'Token revoked: create a new one' } });
  await gw.gqlOk(`mutation { updateUser(email: "holder@corp.test", input: { password: "${PASSWORD}" }) { login } }`, {}, admin);
});

test('failures count per address like failed sign-ins: the address is blocked (429), even for a valid token; others are not', async () => {
  const token = await gw.token('holder', PASSWORD);
  const attacker = '198.51.100.50';
  // Valid look-ups do not count.
  for (let i = 0; i < 5; i += 1) expect((await details(token, attacker)).status).toBe(200);

  // One failed sign-in and two bad tokens: the per-address budget (3) is spent.
  const signIn = await api.post('/ds-api/user-token', { basic: { login: 'holder', password: 'wrong-password' }, headers: from(attacker) });
  expect(signIn.status).toBe(401);
  expect((await details('guess-1', attacker)).status).toBe(401);
  expect((await details('guess-2', attacker)).status).toBe(401);

  const blocked = await details(token, attacker);
  expect(blocked.status).toBe(429);
  expect(Object.keys(blocked.body)).toEqual(['error']);
  expect(blocked.body.error).toMatch(/^Too many failed sign-in attempts: try again in \d+ s$/);
  expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  // Sign-ins from the blocked address are refused too: one budget for both ways of guessing.
  expect((await api.post('/ds-api/user-token', { basic: { login: 'holder', password: PASSWORD }, headers: from(attacker) })).status).toBe(429);

  // Another address is not affected.
  expect((await details(token, '198.51.100.51')).status).toBe(200);
});
