/**
 * LDAP_GROUP_ROLES and LDAP_AUTO_PROVISION against a real OpenLDAP with the memberof overlay: roles follow the
 * directory groups at each sign-in (groupOfNames `member`, and `memberOf` alone for groups the service account cannot
 * read), reach another replica's cache through NOTIFY, fail closed, and accounts are created at first sign-in.
 * The filter here is `(&(uid={login})(objectClass=inetOrgPerson))`, so injection attempts would find entries if
 * values were not escaped.
 */
import { Client } from 'pg';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { loadDirectoryConfig } from '../../src/security-config';
import { ADMIN_PASSWORD, errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { group, person, personDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd, SLAPD_TOOLS } from '../support/slapd';
import { describeWithTools } from '../support/tools';

describeWithTools('directory groups, roles and provisioning against a real slapd', SLAPD_TOOLS, () => {
  const PASSWORD = {
    alice: 'alice-directory-pw',
    carol: 'carol-directory-pw',
    dave: 'dave-directory-pw',
    erin: 'erin-directory-pw',
    gary: 'gary-directory-pw',
    hank: 'hank-directory-pw',
    ivy: 'ivy-directory-pw',
    root: 'root-directory-pw',
  };

  let slapd: Slapd;
  let gw: TestGateway;
  let replica: RunningGateway;
  let admin: string;

  type SignIn = GraphQLResponse<{
    createToken: { token: string; user: { login: string; email: string; ldap: boolean; privilege: string; profile: string; roles: { name: string }[] } };
  }>;
  const signIn = (url: string, login: string, password: string) =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { token user { login email ldap privilege profile roles { name } } } }`,
        variables: { l: login, p: password },
      }),
    }).then((r) => r.json() as Promise<SignIn>);
  const tokenOf = async (login: string, password: string) => {
    const result = await signIn(gw.url, login, password);
    if (!result.data?.createToken) throw new Error(JSON.stringify(result.errors));
    return result.data.createToken.token;
  };
  const visibleAt = async (url: string, token: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ connections { nodes { name } } }` }),
    });
    const body = (await response.json()) as GraphQLResponse<{ connections: { nodes: { name: string }[] } }>;
    return body.data ? body.data.connections.nodes.map((n) => n.name) : errorCode(body);
  };
  const users = async () => (await gw.gqlOk<{ users: { login: string }[] }>(`{ users { login } }`, {}, admin)).users.map((u) => u.login);

  beforeAll(async () => {
    slapd = await startSlapd({ memberOf: true });
    await slapd.add(
      [
        person('alice', 'alice@corp.test', PASSWORD.alice),
        person('carol', 'carol@corp.test', PASSWORD.carol),
        person('dave', 'dave@corp.test', PASSWORD.dave),
        person('erin', 'erin@corp.test', PASSWORD.erin),
        person('gary', 'gary@corp.test', PASSWORD.gary),
        person('hank', 'hank@corp.test', PASSWORD.hank),
        person('root', 'root@corp.test', PASSWORD.root),
        // Its mail is a local account's: the directory never signs a local user in.
        person('ivy.d', 'ivy@corp.test', PASSWORD.ivy),
        group('sales', [personDn('alice'), personDn('carol'), personDn('hank'), personDn('ivy.d'), personDn('root')]),
        group('prod', [SERVICE_DN]),
        group('ghost', [personDn('gary')]),
        // Unreadable by the service account: only the memberOf values of erin's entry say she belongs to it.
        group('ops', [personDn('erin')], 'hidden'),
      ].join('\n'),
    );
    const directory = loadDirectoryConfig({
      LDAP_URL: slapd.url,
      LDAP_BIND_DN: SERVICE_DN,
      LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
      LDAP_USER_BASE: `ou=people,${SUFFIX}`,
      LDAP_USER_FILTER: '(&(uid={login})(objectClass=inetOrgPerson))',
      LDAP_AUTO_PROVISION: 'true',
      LDAP_GROUP_ROLES: JSON.stringify({
        [`cn=sales,ou=groups,${SUFFIX}`]: ['sales-only'],
        [`cn=prod,ou=groups,${SUFFIX}`]: ['prod-only'],
        // Spelled as Active Directory answers memberOf: case and blanks do not matter.
        [`CN=Ops, OU=Hidden, DC=corp, DC=test`]: ['ops-only'],
        [`cn=ghost,ou=groups,${SUFFIX}`]: ['no-such-role'],
      }),
    })!;
    gw = await startTestGateway({ probeTimeoutMs: 0, directory, principalCacheTtlMs: 600_000 });
    admin = await gw.token('datasentinel', ADMIN_PASSWORD);
    for (const env of ['sales', 'prod', 'ops']) {
      await gw.gqlOk(
        `mutation($n: String!, $e: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "env", value: $e }] }) { name } }`,
        { n: `${env}-1`, e: env },
        admin,
      );
      await gw.gqlOk(
        `mutation($n: String!, $e: String!) { createRole(name: $n, access: [{ filters: [{ tag: "env", value: $e }] }]) { name } }`,
        { n: `${env}-only`, e: env },
        admin,
      );
    }
    await gw.gqlOk(`mutation { createUser(email: "ivy@corp.test", input: { password: "ivy-local-password", privilege: READ }) { login } }`, {}, admin);
    // A second replica on the same database, with its own long-lived cache of callers.
    replica = await startGateway({ ...gw.gateway.services.config, port: 0 }, createLogger(gw.gateway.services.config));
  }, 120_000);

  afterAll(async () => {
    await replica?.stop();
    await gw?.stop();
    await slapd?.destroy();
  });

  test('first sign-in creates the account (ldap, READ, DEVELOPER, login from the email) with the roles of its groups', async () => {
    expect(await users()).not.toContain('carol');
    const result = await signIn(gw.url, 'carol', PASSWORD.carol);
    expect(result.errors).toBeUndefined();
    expect(result.data!.createToken.user).toEqual({
      login: 'carol',
      email: 'carol@corp.test',
      ldap: true,
      privilege: 'READ',
      profile: 'DEVELOPER',
      roles: [{ name: 'sales-only' }],
    });
    expect(await visibleAt(gw.url, result.data!.createToken.token)).toEqual(['sales-1']);
    // Signing in with the email finds the same account.
    const again = await signIn(gw.url, 'carol@corp.test', PASSWORD.carol);
    expect(again.data!.createToken.user.login).toBe('carol');
    expect((await users()).filter((l) => l.startsWith('carol'))).toEqual(['carol']);
  });

  test('two first sign-ins of one person at once both succeed, with one account', async () => {
    const results = await Promise.all([signIn(gw.url, 'hank', PASSWORD.hank), signIn(replica.url, 'hank', PASSWORD.hank)]);
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined]);
    expect((await users()).filter((l) => l.startsWith('hank'))).toEqual(['hank']);
  });

  test("an entry whose mail is a local account's is refused, and creates nothing", async () => {
    expect(errorCode(await signIn(gw.url, 'ivy.d', PASSWORD.ivy))).toBe('UNAUTHENTICATED');
    expect((await users()).filter((l) => l.startsWith('ivy'))).toEqual(['ivy']);
  });

  test('moving a user between directory groups changes what they see at their next sign-in, on every replica', async () => {
    const token = await tokenOf('alice', PASSWORD.alice);
    expect(await visibleAt(gw.url, token)).toEqual(['sales-1']);
    // Warm the other replica's cache with this caller.
    for (let i = 0; i < 2; i += 1) expect(await visibleAt(replica.url, token)).toEqual(['sales-1']);

    await slapd.modify(`dn: cn=sales,ou=groups,${SUFFIX}
changetype: modify
delete: member
member: ${personDn('alice')}

dn: cn=prod,ou=groups,${SUFFIX}
changetype: modify
add: member
member: ${personDn('alice')}
`);
    // Roles follow the directory at sign-in, not in between.
    expect(await visibleAt(replica.url, token)).toEqual(['sales-1']);
    await tokenOf('alice', PASSWORD.alice);
    expect(await visibleAt(gw.url, token)).toEqual(['prod-1']);
    expect(await visibleAt(replica.url, token)).toEqual(['prod-1']);
  });

  test('memberOf alone (a group the service account cannot read) maps too', async () => {
    expect(await visibleAt(gw.url, await tokenOf('erin', PASSWORD.erin))).toEqual(['ops-1']);
  });

  test('fail closed: no mapped group, or only roles that do not exist, refuses sign-in (FORBIDDEN) and creates nothing', async () => {
    expect(errorCode(await signIn(gw.url, 'dave', PASSWORD.dave))).toBe('FORBIDDEN');
    expect(errorCode(await signIn(gw.url, 'gary', PASSWORD.gary))).toBe('FORBIDDEN');
    expect(await users()).not.toContain('dave');
    expect(await users()).not.toContain('gary');
    // A wrong password is still just a wrong password.
    expect(errorCode(await signIn(gw.url, 'dave', 'not-dave-password'))).toBe('UNAUTHENTICATED');
  });

  test('an existing ldap account that loses every mapped group keeps no unrestricted access: refused, tokens revoked, roles untouched', async () => {
    const token = await tokenOf('erin', PASSWORD.erin);
    await slapd.modify(`dn: cn=ops,ou=hidden,${SUFFIX}
changetype: modify
replace: member
member: ${SERVICE_DN}
`);
    expect(errorCode(await signIn(gw.url, 'erin', PASSWORD.erin))).toBe('FORBIDDEN');
    expect(await visibleAt(gw.url, token)).toBe('UNAUTHENTICATED');
    const db = new Client({ connectionString: gw.database.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN users u ON u.id = ur.user_id WHERE u.login = 'erin'`,
      );
      expect(rows).toEqual([{ name: 'ops-only' }]);
    } finally {
      await db.end();
    }
  });

  test("injection: `*`, `al*` and `alice)(cn=*` with alice's password match nothing", async () => {
    for (const login of ['*', 'al*', 'alice)(cn=*', 'alice)(|(uid=*']) {
      expect(errorCode(await signIn(gw.url, login, PASSWORD.alice))).toBe('UNAUTHENTICATED');
    }
    expect(slapd.log()).toContain('filter="(&(uid=al\\2A)(objectClass=inetOrgPerson))"');
  });

  // The break-glass rule (docs/security.md): only administrators with a local password count as "the last one", so a
  // directory outage can never lock every administrator out.
  test('an LDAP administrator never stands in for the last local one: the local one stays, mapping may restrict the LDAP one', async () => {
    await gw.gqlOk(`mutation { createUser(email: "root@corp.test", input: { ldap: true, privilege: ADMIN, profile: DATA_ADMIN }) { login } }`, {}, admin);
    const demote = await gw.gql(`mutation { updateUser(email: "datasentinel@datasentinel.local", input: { privilege: READ }) { login } }`, {}, admin);
    expect(errorCode(demote)).toBe('LAST_ADMIN');
    // root's groups map to a role: signing in restricts root, which is allowed since the local administrator remains.
    const signedIn = await signIn(gw.url, 'root', PASSWORD.root);
    expect(signedIn.errors).toBeUndefined();
    expect(signedIn.data!.createToken.user.roles).toEqual([{ name: 'sales-only' }]);
    const db = new Client({ connectionString: gw.database.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT r.name FROM user_roles ur JOIN users u ON u.id = ur.user_id JOIN roles r ON r.id = ur.role_id WHERE u.login = 'root' ORDER BY 1`,
      );
      expect(rows).toEqual([{ name: 'sales-only' }]);
      const admins = await db.query(`SELECT login FROM users WHERE privilege = 'admin' AND NOT ldap ORDER BY 1`);
      expect(admins.rows).toEqual([{ login: 'datasentinel' }]);
    } finally {
      await db.end();
    }
  });
});
