/**
 * Directory sign-in against a real OpenLDAP (test/support/slapd.ts), over ldaps:// verified with a throw-away CA
 * (LDAP_CA_FILE), with a service account: the acceptance scenario (an `ldap` user created through REST like the
 * vendor's `ldap_user_api.sh`, then signing in through GraphQL and REST), and every safeguard of the classic LDAP
 * mistakes. "No directory traffic" is proved by slapd's own log (connections it accepted).
 */
import { Client } from 'pg';
import { LdapDirectory } from '../../src/directory/ldap-directory';
import { loadDirectoryConfig, type DirectoryConfig } from '../../src/security-config';
import { hashPassword } from '../../src/services/passwords';
import { ADMIN_PASSWORD, errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { person, personDn, SERVICE_DN, SERVICE_PASSWORD, startSilentListener, startSlapd, SUFFIX, type Slapd, SLAPD_TOOLS } from '../support/slapd';
import { restClient, type RestClient } from './rest-client';
import { describeWithTools } from '../support/tools';

describeWithTools('directory sign-in against a real slapd', SLAPD_TOOLS, () => {
  const BOB_PASSWORD = 'bob-directory-password';
  const ALICE_PASSWORD = 'alice-directory-password';
  const TWIN_PASSWORD = 'twin-directory-password';
  const LOCAL_PASSWORD = 'local-gateway-password';
  const LOCAL_DIRECTORY_PASSWORD = 'local-directory-password';

  let slapd: Slapd;
  let directory: DirectoryConfig;
  let gw: TestGateway;
  let api: RestClient;
  let admin: string;

  const SIGN_IN = `mutation($login: String!, $password: String!) { createToken(login: $login, password: $password) { token user { login ldap } } }`;
  const signIn = (login: string, password: string, address = '192.0.2.1') =>
    fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ query: SIGN_IN, variables: { login, password } }),
    }).then((r) => r.json() as Promise<GraphQLResponse<{ createToken: { token: string; user: { login: string; ldap: boolean } } }>>);
  const outcome = async (login: string, password: string, address?: string) => {
    const result = await signIn(login, password, address);
    return result.data?.createToken ? 'OK' : errorCode(result);
  };
  const visible = async (token: string) =>
    (await gw.gqlOk<{ connections: { nodes: { name: string }[] } }>(`{ connections { nodes { name } } }`, {}, token)).connections.nodes.map((n) => n.name);

  beforeAll(async () => {
    slapd = await startSlapd({ tls: true });
    await slapd.add(
      [
        person('bob', 'bob@corp.test', BOB_PASSWORD),
        person('alice', 'alice@corp.test', ALICE_PASSWORD),
        person('twin1', 'twin@corp.test', TWIN_PASSWORD),
        person('twin2', 'twin@corp.test', 'another-twin-password'),
        person('local.user', 'local.user@corp.test', LOCAL_DIRECTORY_PASSWORD),
      ].join('\n'),
    );
    directory = loadDirectoryConfig({
      LDAP_URL: slapd.ldapsUrl,
      LDAP_CA_FILE: slapd.caFile,
      LDAP_BIND_DN: SERVICE_DN,
      LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
      LDAP_USER_BASE: `ou=people,${SUFFIX}`,
    })!;
    gw = await startTestGateway({
      probeTimeoutMs: 0,
      directory,
      trustProxy: 'loopback',
      loginThrottle: { perLoginAndAddress: { failures: 3, windowSeconds: 600, blockSeconds: 600 }, perAddress: null, perLogin: null },
    });
    api = restClient(gw.url);
    admin = await gw.token('datasentinel', ADMIN_PASSWORD);
    for (const [name, env] of [
      ['sales-1', 'sales'],
      ['prod-1', 'prod'],
    ] as const) {
      await gw.gqlOk(
        `mutation($n: String!, $e: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "env", value: $e }] }) { name } }`,
        { n: name, e: env },
        admin,
      );
    }
    await gw.gqlOk(`mutation { createRole(name: "sales-only", access: [{ filters: [{ tag: "env", value: "sales" }] }]) { name } }`, {}, admin);
    for (const email of ['alice@corp.test', 'twin@corp.test']) {
      await gw.gqlOk(
        `mutation($e: String!) { createUser(email: $e, input: { ldap: true, privilege: READ, roles: ["sales-only"] }) { login } }`,
        { e: email },
        admin,
      );
    }
    await gw.gqlOk(`mutation { createUser(email: "local.user@corp.test", input: { password: "${LOCAL_PASSWORD}", privilege: READ }) { login } }`, {}, admin);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await slapd?.destroy();
  });

  test('acceptance: an ldap user created through REST like ldap_user_api.sh signs in with the directory password (GraphQL and REST) and sees what their role allows', async () => {
    // The toolkit's body: ldap true, no password (its single `role` string names the role).
    const created = await api.call('POST', '/ds-api/users/bob@corp.test', {
      token: admin,
      json: { ldap: true, privilege: 'read', profile: 'developer', live_360: 0, role: 'sales-only' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ status: 'User with login bob created successfully' });

    const graphql = await signIn('bob', BOB_PASSWORD);
    expect(graphql.errors).toBeUndefined();
    expect(graphql.data!.createToken.user).toEqual({ login: 'bob', ldap: true });
    const token = graphql.data!.createToken.token;
    expect(await visible(token)).toEqual(['sales-1']);
    const me = await gw.gqlOk<{ me: { restricted: boolean; permissions: { administer: boolean; dashboards: string[] } } }>(
      `{ me { restricted permissions { administer dashboards } } }`,
      {},
      token,
    );
    expect(me.me).toEqual({ restricted: true, permissions: { administer: false, dashboards: ['session-history', 'top-queries', 'top-tables', 'reporting'] } });

    // REST: Basic auth with the email and the directory password, then the token on the vendor's paths.
    const issued = await api.call('POST', '/ds-api/user-token', { basic: { login: 'bob@corp.test', password: BOB_PASSWORD } });
    expect(issued.status).toBe(201);
    const restToken = issued.body['user-token'] as string;
    expect((await api.call('GET', '/ds-api/pool/pg-instances/sales-1', { token: restToken })).status).toBe(200);
    expect((await api.call('GET', '/ds-api/pool/pg-instances/prod-1', { token: restToken })).status).toBe(404);
    expect((await api.call('POST', '/ds-api/roles/widen', { token: restToken, json: { access: [] } })).status).toBe(403);
    // Basic auth on the token details endpoint goes through the directory too.
    const details = await api.call('GET', `/ds-api/user-token?token=${encodeURIComponent(restToken)}`, { basic: { login: 'bob', password: BOB_PASSWORD } });
    expect(details.status).toBe(200);
    expect(details.body.user).toBe('bob');
  });

  test('a wrong password is refused like any other, through both adapters', async () => {
    expect(await outcome('alice', 'not-her-password', '192.0.2.10')).toBe('UNAUTHENTICATED');
    const rest = await api.call('POST', '/ds-api/user-token', {
      basic: { login: 'alice', password: 'not-her-password' },
      headers: { 'x-forwarded-for': '192.0.2.10' },
    });
    expect(rest.status).toBe(401);
    expect(rest.body).toEqual({ error: 'Invalid login or password' });
    expect(await outcome('alice', ALICE_PASSWORD, '192.0.2.10')).toBe('OK');
  });

  test('directory sign-ins are audited, success and failure, on the adapter’s channel, never with the password', async () => {
    expect(await outcome('alice', 'wrong-directory-guess', '192.0.2.11')).toBe('UNAUTHENTICATED');
    expect(await outcome('alice', ALICE_PASSWORD, '192.0.2.11')).toBe('OK');
    type Event = { action: string; actor: string; channel: string; target: string; after: Record<string, unknown> | null };
    const events = (
      await gw.gqlOk<{ auditEvents: { nodes: Event[] } }>(
        `{ auditEvents(filter: { target: "alice" }, first: 2) { nodes { action actor channel target after } } }`,
        {},
        admin,
      )
    ).auditEvents.nodes;
    // Newest first: the success, then the failure just before it.
    expect(events.map((e) => [e.action, e.channel, e.target])).toEqual([
      ['auth.sign-in', 'graphql', 'alice'],
      ['auth.sign-in-failure', 'graphql', 'alice'],
    ]);
    expect(events[0]!.actor).toBe('alice');
    expect(events[0]!.after).toMatchObject({ directory: true });
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain('wrong-directory-guess');
    expect(serialized).not.toContain(ALICE_PASSWORD);
  });

  test('an empty password is refused before any connection to the directory (this slapd, like many, accepts empty-password binds)', async () => {
    const before = slapd.connections();
    expect(await outcome('alice', '', '192.0.2.11')).toBe('UNAUTHENTICATED');
    expect((await api.call('POST', '/ds-api/user-token', { basic: { login: 'alice', password: '' } })).status).toBe(401);
    expect(slapd.connections()).toBe(before);
  });

  test('an unknown login never reaches the directory (no provisioning): the usual refusal', async () => {
    const before = slapd.connections();
    expect(await outcome('nobody@corp.test', 'whatever-password', '192.0.2.12')).toBe('UNAUTHENTICATED');
    expect(slapd.connections()).toBe(before);
  });

  test('a filter that matches two entries is refused, even with the right password of one of them', async () => {
    expect(await outcome('twin@corp.test', TWIN_PASSWORD, '192.0.2.13')).toBe('UNAUTHENTICATED');
    expect(slapd.log()).toContain('filter="(mail=twin@corp.test)"');
  });

  test('a local user never signs in with the directory password, and an ldap user never with a local password', async () => {
    const before = slapd.connections();
    expect(await outcome('local.user', LOCAL_DIRECTORY_PASSWORD, '192.0.2.14')).toBe('UNAUTHENTICATED');
    expect(slapd.connections()).toBe(before);
    expect(await outcome('local.user', LOCAL_PASSWORD, '192.0.2.14')).toBe('OK');

    // A stray hash on an ldap account (written behind the gateway's back) is never used.
    const client = new Client({ connectionString: gw.database.url });
    await client.connect();
    try {
      await client.query(`UPDATE users SET password_hash = $1 WHERE login = 'alice'`, [await hashPassword('stray-local-password')]);
    } finally {
      await client.end();
    }
    expect(await outcome('alice', 'stray-local-password', '192.0.2.15')).toBe('UNAUTHENTICATED');
    expect(await outcome('alice', ALICE_PASSWORD, '192.0.2.15')).toBe('OK');
  });

  test('throttling: directory failures count, and a blocked sign-in sends nothing to the directory', async () => {
    const address = '198.51.100.7';
    const before = slapd.connections();
    for (let i = 0; i < 3; i += 1) expect(await outcome('alice', 'guess-number-' + i, address)).toBe('UNAUTHENTICATED');
    // The three guesses were checked by the directory (service connection + bind connection each).
    expect(slapd.connections()).toBe(before + 6);
    const blocked = slapd.connections();
    expect(await outcome('alice', ALICE_PASSWORD, address)).toBe('RATE_LIMITED');
    const rest = await api.call('POST', '/ds-api/user-token', { basic: { login: 'alice', password: ALICE_PASSWORD }, headers: { 'x-forwarded-for': address } });
    expect(rest.status).toBe(429);
    expect(slapd.connections()).toBe(blocked);
  });

  test('the directory is verified: StartTLS with LDAP_CA_FILE works, and a server certificate from an unknown CA is refused', async () => {
    const startTls = new LdapDirectory(
      loadDirectoryConfig({
        LDAP_URL: slapd.url,
        LDAP_START_TLS: 'true',
        LDAP_CA_FILE: slapd.caFile,
        LDAP_USER_BASE: `ou=people,${SUFFIX}`,
      })!,
    );
    expect(await startTls.authenticate({ login: 'bob', email: 'bob@corp.test' }, BOB_PASSWORD)).toEqual({
      ok: true,
      entry: { dn: personDn('bob'), email: 'bob@corp.test', groups: [] },
    });
    expect(slapd.log()).toMatch(/STARTTLS/);
    const untrusted = new LdapDirectory(loadDirectoryConfig({ LDAP_URL: slapd.ldapsUrl, LDAP_USER_BASE: `ou=people,${SUFFIX}` })!);
    await expect(untrusted.authenticate({ login: 'bob', email: 'bob@corp.test' }, BOB_PASSWORD)).rejects.toMatchObject({ code: 'DIRECTORY_UNAVAILABLE' });
  });

  test('a directory that accepts connections and never answers: DIRECTORY_UNAVAILABLE (REST 503), and local users still sign in', async () => {
    const silent = await startSilentListener();
    const hung = await startTestGateway({ probeTimeoutMs: 0, directory: { ...directory, url: silent.url, ca: undefined, timeoutMs: 300 } });
    try {
      const adminToken = await hung.token('datasentinel', ADMIN_PASSWORD);
      await hung.gqlOk(`mutation { createUser(email: "bob@corp.test", input: { ldap: true }) { login } }`, {}, adminToken);
      const result = await hung.gql(SIGN_IN, { login: 'bob', password: BOB_PASSWORD });
      expect(errorCode(result)).toBe('DIRECTORY_UNAVAILABLE');
      expect(result.errors![0]!.message).not.toMatch(/password/i);
      const rest = await restClient(hung.url).call('POST', '/ds-api/user-token', { basic: { login: 'bob', password: BOB_PASSWORD } });
      expect(rest.status).toBe(503);
      expect(Object.keys(rest.body)).toEqual(['error']);
      expect(silent.accepted()).toBeGreaterThanOrEqual(2);
      expect(await hung.token('datasentinel', ADMIN_PASSWORD)).toEqual(expect.any(String));
    } finally {
      await hung.stop();
      await silent.close();
    }
  });

  test('directory stopped mid-suite: DIRECTORY_UNAVAILABLE, not counted as failures, local users unaffected; back once it restarts', async () => {
    await slapd.stop();
    try {
      const address = '198.51.100.9';
      // More attempts than the throttle allows failures: an outage must not lock anybody out.
      for (let i = 0; i < 4; i += 1) expect(await outcome('bob', BOB_PASSWORD, address)).toBe('DIRECTORY_UNAVAILABLE');
      const rest = await api.call('POST', '/ds-api/user-token', { basic: { login: 'bob', password: BOB_PASSWORD }, headers: { 'x-forwarded-for': address } });
      expect(rest.status).toBe(503);
      expect(Object.keys(rest.body)).toEqual(['error']);
      expect(await outcome('local.user', LOCAL_PASSWORD, address)).toBe('OK');
      expect(await outcome('datasentinel', ADMIN_PASSWORD, address)).toBe('OK');
    } finally {
      await slapd.start();
    }
    expect(await outcome('bob', BOB_PASSWORD, '198.51.100.9')).toBe('OK');
  });
});
