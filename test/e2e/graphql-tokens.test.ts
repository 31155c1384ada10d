/**
 * Token lifecycle (CONTRACT section 1 "Tokens"): both headers, 24 h validity, expiry, tampering, revocation by a
 * password change or a deletion, privilege/profile/role changes applied on the next request with the same token,
 * token details, and sign-in errors that do not reveal which accounts exist.
 */
import jwt from 'jsonwebtoken';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';

const PASSWORD = 'a-long-enough-password';
const DAY_MS = 24 * 60 * 60 * 1000;

let gw: TestGateway;
let admin: string;
let secret: string;

const errorsOf = (result: GraphQLResponse) => result.errors?.map((e) => ({ code: e.extensions?.code, message: e.message }));

/** POSTs an operation with the token in the vendor's `user-token` header instead of `Authorization`. */
async function withUserTokenHeader(query: string, token: string): Promise<GraphQLResponse> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-token': token },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphQLResponse;
}

/** POSTs an operation with a raw `Authorization` header value. */
async function withAuthorization(query: string, authorization: string): Promise<GraphQLResponse> {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphQLResponse;
}

async function createUser(email: string, input = `{ password: "${PASSWORD}", privilege: READ }`): Promise<string> {
  const data = await gw.gqlOk(`mutation { createUser(email: "${email}", input: ${input}) { login } }`, {}, admin);
  return data.createUser.login;
}

async function userRow(login: string): Promise<{ id: number; token_version: number; email: string }> {
  const [row] = await gw.gateway.dataSource.query(`SELECT id, token_version, email FROM users WHERE login = $1`, [login]);
  return row;
}

/** A token signed with the gateway's own key, with the claims the gateway puts in its tokens. */
async function forge(login: string, claims: Record<string, unknown> = {}): Promise<string> {
  const user = await userRow(login);
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { user: login, email: user.email, database: 'ds-data', tv: user.token_version, sub: String(user.id), iat: now, exp: now + 3600, ...claims },
    secret,
    { algorithm: 'HS256' },
  );
}

const ME = `{ me { login } }`;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  secret = await gw.gateway.services.settings.getOrCreate('jwt_secret');
});
afterAll(() => gw?.stop());

describe('createToken', () => {
  test('returns a token valid 24 hours and its user', async () => {
    await createUser('tok@corp.com');
    const started = Date.now();
    const data = await gw.gqlOk(`mutation { createToken(login: "tok", password: "${PASSWORD}") { token expiresAt user { login email } } }`);
    const { token, expiresAt, user } = data.createToken;
    expect(user).toEqual({ login: 'tok', email: 'tok@corp.com' });
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(Math.floor((started + DAY_MS) / 1000) * 1000 - 1000);
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.now() + DAY_MS);
    const claims = jwt.verify(token, secret) as { exp: number; iat: number; sub: string };
    expect(claims.exp - claims.iat).toBe(24 * 60 * 60);
    expect(new Date(claims.exp * 1000).toISOString()).toBe(expiresAt);
  });

  test('wrong password, unknown login, empty login and LDAP user all get the same UNAUTHENTICATED answer', async () => {
    await createUser('dir@corp.com', '{ ldap: true, privilege: READ }');
    const attempts = [
      ['tok', 'wrong-password'],
      ['tok@corp.com', 'wrong-password'],
      ['nobody', PASSWORD],
      ['nobody@corp.com', PASSWORD],
      ['', PASSWORD],
      ['dir', PASSWORD],
      ['tok', ''],
    ];
    for (const [login, password] of attempts) {
      const result = await gw.gql(`mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { token } }`, { l: login, p: password });
      expect([login, password, result]).toEqual([
        login,
        password,
        {
          data: null,
          errors: [
            { message: 'Invalid login or password', locations: [{ line: 1, column: 38 }], path: ['createToken'], extensions: { code: 'UNAUTHENTICATED' } },
          ],
        },
      ]);
    }
  });
});

describe('headers', () => {
  test('Authorization: Bearer and the vendor user-token header both authenticate', async () => {
    const token = await gw.token('tok', PASSWORD);
    expect(await gw.gql(ME, {}, token)).toEqual({ data: { me: { login: 'tok' } } });
    expect(await withUserTokenHeader(ME, token)).toEqual({ data: { me: { login: 'tok' } } });
    expect(await withAuthorization(ME, `bearer ${token}`)).toEqual({ data: { me: { login: 'tok' } } });
  });

  test('no token, an empty one or a malformed header is UNAUTHENTICATED', async () => {
    expect(errorsOf(await gw.gql(ME))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Authentication required' }]);
    expect(errorsOf(await withAuthorization(ME, 'Bearer'))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Authentication required' }]);
    expect(errorsOf(await withAuthorization(ME, 'Basic dG9rOnBhc3N3b3Jk'))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Authentication required' }]);
    expect(errorsOf(await withUserTokenHeader(ME, 'garbage'))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Invalid token' }]);
  });
});

describe('forged, expired and tampered tokens', () => {
  test('a token signed with the gateway key and the right claims works (so the cases below fail for their reason)', async () => {
    expect(await gw.gql(ME, {}, await forge('tok'))).toEqual({ data: { me: { login: 'tok' } } });
  });

  test('an expired token is UNAUTHENTICATED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await forge('tok', { iat: now - DAY_MS / 1000 - 60, exp: now - 60 });
    expect(errorsOf(await gw.gql(ME, {}, expired))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token expired: create a new one' }]);
    expect(errorsOf(await withUserTokenHeader(ME, expired))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token expired: create a new one' }]);
  });

  test('a token that was accepted (its signature check now cached) is refused once it expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const shortLived = await forge('tok', { iat: exp - 60, exp });
    expect(await gw.gql(ME, {}, shortLived)).toEqual({ data: { me: { login: 'tok' } } });
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    expect(errorsOf(await gw.gql(ME, {}, shortLived))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token expired: create a new one' }]);
  });

  test('a token whose payload was changed is UNAUTHENTICATED', async () => {
    const token = await gw.token('tok', PASSWORD);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const admins = await userRow('datasentinel');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const elevated = Buffer.from(JSON.stringify({ ...claims, sub: String(admins.id), user: 'datasentinel' })).toString('base64url');
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 365 * 86400 })).toString('base64url');
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${elevated}.`;
    for (const tampered of [`${header}.${elevated}.${signature}`, `${header}.${longer}.${signature}`, `${header}.${payload}.${flipped}`, unsigned]) {
      expect(errorsOf(await gw.gql(`{ me { login } users { login } }`, {}, tampered))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Invalid token' }]);
    }
  });

  test('a token signed with another key is UNAUTHENTICATED', async () => {
    const user = await userRow('datasentinel');
    const foreign = jwt.sign({ user: 'datasentinel', tv: user.token_version, sub: String(user.id) }, 'another-secret-of-at-least-32-characters', {
      expiresIn: 3600,
    });
    expect(errorsOf(await gw.gql(ME, {}, foreign))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Invalid token' }]);
  });

  test('mutations refuse a bad token too, and write nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await forge('datasentinel', { iat: now - 100_000, exp: now - 1 });
    const result = await gw.gql(`mutation { createRole(name: "sneaky", access: [{ filters: [{ tag: "a", value: "1" }] }]) { name } }`, {}, expired);
    expect(errorsOf(result)).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token expired: create a new one' }]);
    expect(await gw.gateway.dataSource.query(`SELECT name FROM roles`)).toEqual([]);
  });
});

describe('revocation', () => {
  test('a password change revokes every earlier token at once, and only them', async () => {
    await createUser('pw@corp.com');
    const first = await gw.token('pw', PASSWORD);
    const second = await gw.token('pw@corp.com', PASSWORD);
    const other = await gw.token('tok', PASSWORD);
    expect(await gw.gql(ME, {}, first)).toEqual({ data: { me: { login: 'pw' } } });
    await gw.gqlOk(`mutation { updateUser(email: "pw@corp.com", input: { password: "another-password" }) { login } }`, {}, admin);
    for (const token of [first, second]) {
      expect(errorsOf(await gw.gql(ME, {}, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token revoked: create a new one' }]);
      expect(errorsOf(await withUserTokenHeader(ME, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token revoked: create a new one' }]);
    }
    expect(await gw.gql(ME, {}, other)).toEqual({ data: { me: { login: 'tok' } } });
    const fresh = await gw.token('pw', 'another-password');
    expect(await gw.gql(ME, {}, fresh)).toEqual({ data: { me: { login: 'pw' } } });
  });

  test('changing a password revokes only that user: the administrator who did it keeps their token', async () => {
    await gw.gqlOk(`mutation { updateUser(email: "pw@corp.com", input: { password: "third-password" }) { login } }`, {}, admin);
    expect(await gw.gql(ME, {}, admin)).toEqual({ data: { me: { login: 'datasentinel' } } });
  });

  test('deleting a user revokes their tokens at once; a new user with the same email does not revive them', async () => {
    await createUser('gone@corp.com');
    const token = await gw.token('gone', PASSWORD);
    expect(await gw.gql(ME, {}, token)).toEqual({ data: { me: { login: 'gone' } } });
    expect(await gw.gqlOk(`mutation { deleteUser(email: "gone@corp.com") }`, {}, admin)).toEqual({ deleteUser: true });
    expect(errorsOf(await gw.gql(ME, {}, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token revoked: create a new one' }]);
    await createUser('gone@corp.com');
    expect(errorsOf(await gw.gql(ME, {}, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token revoked: create a new one' }]);
  });

  test('switching a user to LDAP revokes their tokens (they no longer have a local password)', async () => {
    await createUser('moving@corp.com');
    const token = await gw.token('moving', PASSWORD);
    await gw.gqlOk(`mutation { updateUser(email: "moving@corp.com", input: { ldap: true }) { ldap } }`, {}, admin);
    expect(errorsOf(await gw.gql(ME, {}, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Token revoked: create a new one' }]);
  });
});

describe('changes apply to the next request with the same token', () => {
  let token: string;
  const update = (input: string) => gw.gqlOk(`mutation { updateUser(email: "changing@corp.com", input: ${input}) { login } }`, {}, admin);
  const state = async () => {
    const result = await gw.gql(
      `{ me { privilege profile restricted permissions { administer killSessions live360 dashboards } roles { name } }
         connections { nodes { name } } }`,
      {},
      token,
    );
    const roles = await gw.gql(`{ roles { name } }`, {}, token);
    return {
      me: result.data?.me,
      visible: result.data?.connections.nodes.map((n: { name: string }) => n.name),
      administration: roles.errors ? roles.errors[0]!.extensions!.code : 'allowed',
    };
  };

  beforeAll(async () => {
    for (const [name, env] of [
      ['c-dev', 'dev'],
      ['c-prod', 'prod'],
    ]) {
      await gw.gqlOk(
        `mutation { createConnection(name: "${name}", input: { host: "127.0.0.2", port: 1, user: "m", password: "p", tags: [{ key: "env", value: "${env}" }] }) { name } }`,
        {},
        admin,
      );
    }
    await gw.gqlOk(`mutation { createRole(name: "devs", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, {}, admin);
    await createUser('changing@corp.com', `{ password: "${PASSWORD}" }`);
    token = await gw.token('changing', PASSWORD);
  });

  const ALL = ['reporting', 'session-history', 'top-queries', 'top-tables'];

  test('an unrestricted administrator to begin with', async () => {
    const s = await state();
    expect({ ...s, me: { ...s.me, permissions: { ...s.me.permissions, dashboards: s.me.permissions.dashboards.length } } }).toEqual({
      me: {
        privilege: 'ADMIN',
        profile: 'DATA_ADMIN',
        restricted: false,
        permissions: { administer: true, killSessions: true, live360: true, dashboards: 8 },
        roles: [],
      },
      visible: ['c-dev', 'c-prod'],
      administration: 'allowed',
    });
  });

  test('privilege READ: no administration, no session kill, on the very next request', async () => {
    await update('{ privilege: READ }');
    const s = await state();
    expect([s.me.privilege, s.me.permissions.administer, s.me.permissions.killSessions, s.administration]).toEqual(['READ', false, false, 'FORBIDDEN']);
  });

  test('privilege READ_WRITE: session kill comes back, administration does not', async () => {
    await update('{ privilege: READ_WRITE }');
    const s = await state();
    expect([s.me.privilege, s.me.permissions.administer, s.me.permissions.killSessions, s.administration]).toEqual(['READ_WRITE', false, true, 'FORBIDDEN']);
  });

  test('back to ADMIN: administration comes back with the same token', async () => {
    await update('{ privilege: ADMIN }');
    expect((await state()).administration).toBe('allowed');
  });

  test('profile DEVELOPER: fewer dashboards and no administration', async () => {
    await update('{ profile: DEVELOPER }');
    const s = await state();
    expect([s.me.profile, [...s.me.permissions.dashboards].sort(), s.administration]).toEqual(['DEVELOPER', ALL, 'FORBIDDEN']);
    await update('{ profile: DATA_ADMIN }');
    expect((await state()).administration).toBe('allowed');
  });

  test('a role: restricted visibility and no administration; removing it restores both', async () => {
    await update('{ roles: ["devs"] }');
    expect(await state()).toMatchObject({ me: { restricted: true, roles: [{ name: 'devs' }] }, visible: ['c-dev'], administration: 'FORBIDDEN' });
    await update('{ roles: [] }');
    expect(await state()).toMatchObject({ me: { restricted: false, roles: [] }, visible: ['c-dev', 'c-prod'], administration: 'allowed' });
  });

  test("a change of a held role's filters applies to the holder's next request", async () => {
    await update('{ roles: ["devs"], privilege: READ }');
    expect((await state()).visible).toEqual(['c-dev']);
    await gw.gqlOk(`mutation { updateRole(name: "devs", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin);
    expect((await state()).visible).toEqual(['c-prod']);
  });

  test('live360 follows too; none of these changes revoked the token', async () => {
    await update('{ live360: false }');
    expect((await state()).me.permissions.live360).toBe(false);
    expect(await gw.gql(ME, {}, token)).toEqual({ data: { me: { login: 'changing' } } });
  });
});

describe('tokenInfo', () => {
  const INFO = `query($t: String!) { tokenInfo(token: $t) { user email organizationName expireTime } }`;

  test('gives the login, email, organization and expiry of any valid token', async () => {
    await createUser('Info.Person@Corp.com');
    const issued = (await gw.gqlOk(`mutation { createToken(login: "info.person", password: "${PASSWORD}") { token expiresAt } }`)).createToken;
    const expected = { tokenInfo: { user: 'info.person', email: 'Info.Person@Corp.com', organizationName: 'ds-data', expireTime: issued.expiresAt } };
    expect(await gw.gqlOk(INFO, { t: issued.token }, issued.token)).toEqual(expected);
    expect(await gw.gqlOk(INFO, { t: issued.token }, admin)).toEqual(expected);
    expect(Math.abs(Date.parse(issued.expiresAt) - (Date.now() + DAY_MS))).toBeLessThan(60_000);
  });

  test('NOT_FOUND for a garbage, tampered, expired, revoked or foreign token', async () => {
    await createUser('short.lived@corp.com');
    const revoked = await gw.token('short.lived', PASSWORD);
    await gw.gqlOk(`mutation { updateUser(email: "short.lived@corp.com", input: { password: "changed-password" }) { login } }`, {}, admin);
    const now = Math.floor(Date.now() / 1000);
    const valid = await gw.token('tok', PASSWORD);
    const [h, p, s] = valid.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), user: 'x' })).toString('base64url')}.${s}`;
    const cases = {
      garbage: 'garbage',
      empty: '',
      tampered,
      expired: await forge('tok', { iat: now - 90_000, exp: now - 10 }),
      revoked,
      foreign: jwt.sign({ sub: '1', tv: 1 }, 'another-secret-of-at-least-32-characters'),
    };
    for (const [label, token] of Object.entries(cases)) {
      expect([label, errorsOf(await gw.gql(INFO, { t: token }, admin))]).toEqual([label, [{ code: 'NOT_FOUND', message: 'Token not found or expired' }]]);
    }
  });

  test('needs a signed-in caller', async () => {
    const token = await gw.token('tok', PASSWORD);
    expect(errorsOf(await gw.gql(INFO, { t: token }))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Authentication required' }]);
  });

  test('shows the configured organization name', async () => {
    const other = await startTestGateway({ probeTimeoutMs: 0, organizationName: 'acme-monitoring' });
    try {
      const token = await other.token();
      expect((await other.gqlOk(INFO, { t: token }, token)).tokenInfo).toMatchObject({ user: 'datasentinel', organizationName: 'acme-monitoring' });
      // Each gateway has its own signing key: a token of one is worthless on the other.
      expect(errorsOf(await gw.gql(ME, {}, token))).toEqual([{ code: 'UNAUTHENTICATED', message: 'Invalid token' }]);
    } finally {
      await other.stop();
    }
  });
});
