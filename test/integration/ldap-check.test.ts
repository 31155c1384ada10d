/**
 * `ldap-check` (src/cli/ldap-check-command.ts), in-process against a real slapd and a database of its own: it finds
 * the entry with the service account, reports groups and roles, checks a password read from stdin, and says plainly
 * what is wrong (unknown person, local account, wrong service password, directory down), without signing in.
 */
import { Client } from 'pg';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { loadConfig, type Config } from '../../src/config';
import { loadDirectoryConfig, type DirectoryConfig } from '../../src/security-config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { group, person, personDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd, SLAPD_TOOLS } from '../support/slapd';
import { describeWithTools } from '../support/tools';

describeWithTools('ldap-check against a real slapd', SLAPD_TOOLS, () => {
  let slapd: Slapd;
  let database: TestDatabase;
  let config: Config;

  async function check(args: string[], stdin?: string, directory?: Partial<DirectoryConfig>) {
    const run = { code: -1, out: [] as string[], err: [] as string[] };
    const io: CliIo = {
      out: (line) => run.out.push(line),
      err: (line) => run.err.push(line),
      readFile: () => {
        throw new Error('no file');
      },
      listFiles: () => [],
      writeFile: () => undefined,
      readStdin: stdin === undefined ? undefined : async () => stdin,
    };
    run.code = await runCommand('ldap-check', args, { ...config, directory: { ...config.directory!, ...directory } }, io);
    return run;
  }

  beforeAll(async () => {
    slapd = await startSlapd({ memberOf: true });
    await slapd.add(
      [person('alice', 'alice@corp.test', 'alice-directory-pw'), person('local', 'local@corp.test', 'x-directory-pw'), group('dba', [personDn('alice')])].join(
        '\n',
      ),
    );
    database = await createTestDatabase();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO users (login, email, password_hash, privilege, profile, live360, ldap, token_version)
                        VALUES ('alice', 'alice@corp.test', NULL, 'read', 'developer', true, true, 1),
                               ('local', 'local@corp.test', 'x', 'read', 'developer', true, false, 1)`);
    } finally {
      await client.end();
    }
    config = {
      ...loadConfig({ NODE_ENV: 'test' }),
      databaseUrl: database.url,
      directory: loadDirectoryConfig({
        LDAP_URL: slapd.url,
        LDAP_BIND_DN: SERVICE_DN,
        LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
        LDAP_USER_BASE: `ou=people,${SUFFIX}`,
        LDAP_GROUP_ROLES: JSON.stringify({ [`cn=dba,ou=groups,${SUFFIX}`]: ['production'] }),
      }),
    };
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
    await slapd?.destroy();
  });

  test('finds the account, binds the service account, finds the entry, its groups and roles, and checks a password from stdin', async () => {
    const before = await check(['--login', 'alice']);
    expect(before.code).toBe(0);
    expect(before.out).toEqual([
      `directory: ${slapd.url} (no TLS; CA: system; timeout 3000 ms)`,
      'gateway account: alice <alice@corp.test>, ldap',
      `search: base "ou=people,${SUFFIX}", filter (mail=alice@corp.test)`,
      `service account: bound as ${SERVICE_DN}`,
      `entry: ${personDn('alice')} (mail alice@corp.test)`,
      `groups: cn=dba,ou=groups,${SUFFIX}`,
      'roles: production',
    ]);
    const right = await check(['--login', 'alice@corp.test', '--password-stdin'], 'alice-directory-pw\n');
    expect(right.code).toBe(0);
    expect(right.out.at(-1)).toBe('password: accepted by the directory');
    const wrong = await check(['--login', 'alice', '--password-stdin'], 'not-the-password\n');
    expect(wrong.code).toBe(1);
    expect(wrong.out.at(-1)).toBe('password: refused (wrong-password)');
    const empty = await check(['--login', 'alice', '--password-stdin'], '\n');
    expect(empty.out.at(-1)).toBe('password: refused (empty-password)');
  });

  test('says what is wrong: unknown person, local account, refused service account, directory down, usage', async () => {
    const unknown = await check(['--login', 'nobody@corp.test']);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('gateway account: none, and LDAP_AUTO_PROVISION is off: sign-in is refused before the directory is asked');
    expect(unknown.out.at(-1)).toBe('entry: none found');

    const local = await check(['--login', 'local']);
    expect(local.code).toBe(1);
    expect(local.out[1]).toMatch(/local user: it signs in with its local password/);

    const badService = await check(['--login', 'alice'], undefined, { bindPassword: 'wrong-service-password' });
    expect(badService.code).toBe(1);
    expect(badService.out.at(-1)).toBe('directory: unavailable (see the reason above)');
    expect(badService.err.join('\n')).toMatch(/refused LDAP_BIND_DN cn=reader,dc=corp,dc=test: check LDAP_BIND_PASSWORD/);

    const down = await check(['--login', 'alice'], undefined, { url: 'ldap://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.err.join('\n')).toMatch(/ECONNREFUSED/);

    expect((await check([])).code).toBe(2);
    expect(
      await runCommand(
        'ldap-check',
        ['--login', 'alice'],
        { ...config, directory: null },
        { out: () => undefined, err: () => undefined, readFile: () => '', writeFile: () => undefined, listFiles: () => [] },
      ),
    ).toBe(1);
  });
});
