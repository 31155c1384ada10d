/**
 * The operators' CLI, run in-process through `runCommand` against a database of its own: import of connections from
 * CSV and JSON (all or nothing, every bad row reported), export of roles and users, import of roles, re-probing.
 */
import { Client } from 'pg';
import { CLI_ACTING } from '../../src/audit/acting';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { loadConfig, type Config } from '../../src/config';
import { createRequestContext } from '../../src/context/request-context';
import { createDataSource } from '../../src/db/data-source';
import { createServices } from '../../src/services';
import { verifyPassword } from '../../src/services/passwords';
import { createTestDatabase, testServer, type TestDatabase } from '../support/database';

const ADMIN_PASSWORD = 'cli-admin-password';

let database: TestDatabase;
let config: Config;

interface Run {
  code: number;
  out: string[];
  err: string[];
  written: Record<string, string>;
}

async function cli(args: string[], files: Record<string, string> = {}, overrides: Partial<Config> = {}): Promise<Run> {
  const run: Run = { code: -1, out: [], err: [], written: {} };
  const io: CliIo = {
    out: (line) => run.out.push(line),
    err: (line) => run.err.push(line),
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return files[path]!;
    },
    writeFile: (path, text) => {
      run.written[path] = text;
    },
    listFiles: (folder) =>
      Object.keys(files)
        .filter((path) => path.startsWith(`${folder}/`))
        .map((path) => path.slice(folder.length + 1)),
    isTTY: false,
  };
  const [command, ...rest] = args;
  run.code = await runCommand(command!, rest, { ...config, ...overrides }, io);
  return run;
}

async function sql<T = Record<string, any>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const connectionNames = async () => (await sql<{ name: string }>(`SELECT name FROM connections ORDER BY name`)).map((r) => r.name);

beforeAll(async () => {
  database = await createTestDatabase();
  config = {
    ...loadConfig({ NODE_ENV: 'test' }),
    databaseUrl: database.url,
    adminPassword: ADMIN_PASSWORD,
    probeTimeoutMs: 1500,
  };
  const migrate = await cli(['migrate']);
  expect(migrate.code).toBe(0);
});
afterAll(() => database.drop());

describe('import-connections', () => {
  const pg = testServer();

  test('imports a CSV file in one transaction, then probes the enabled connections', async () => {
    const csv = [
      'name,host,port,user,password,tags,enabled,collection-rate,lockMonitoringDelay',
      `reachable,${pg.host},${pg.port},${pg.user},${pg.password},"environment=production,application=sales",true,medium,45`,
      `unreachable,127.0.0.1,1,monitor,secret,environment=staging,,,`,
      `parked,db.example,5432,monitor,secret,,false,,`,
    ].join('\n');
    const run = await cli(['import-connections', 'fleet.csv'], { 'fleet.csv': csv });
    expect(run.err.filter((l) => !l.startsWith('probing: '))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.out).toEqual([
      'imported 3 connections from fleet.csv',
      'probed: 1 connected, 1 not connected (unreachable)',
      'their lastProbeError says why (GraphQL, administrators); `reprobe` tries again',
    ]);
    // Plain progress lines when stderr is not a terminal.
    expect(run.err).toEqual(['probing: 1/2', 'probing: 2/2']);

    const rows = await sql(
      `SELECT name, host, port, username, user_tags, enabled, connected, collection_rate, lock_monitoring_delay, pg_version
         FROM connections ORDER BY name`,
    );
    expect(rows).toEqual([
      expect.objectContaining({ name: 'parked', enabled: false, connected: false, collection_rate: 'low', user_tags: [] }),
      expect.objectContaining({
        name: 'reachable',
        host: pg.host,
        port: pg.port,
        username: pg.user,
        enabled: true,
        connected: true,
        collection_rate: 'medium',
        lock_monitoring_delay: 45,
        user_tags: [
          { key: 'environment', value: 'production' },
          { key: 'application', value: 'sales' },
        ],
      }),
      expect.objectContaining({ name: 'unreachable', enabled: true, connected: false, lock_monitoring_delay: 30 }),
    ]);
    expect(rows[1]!.pg_version).toMatch(/^\d+/);
    // The password is sealed at rest, never stored as given.
    const sealed = await sql(`SELECT password_encrypted FROM connections WHERE name = 'parked'`);
    expect(sealed[0]!.password_encrypted).not.toContain('secret');
  });

  test('reports every bad row together and writes nothing', async () => {
    const before = await connectionNames();
    const csv = [
      'name,host,port,user,password,tags',
      'fine-one,db1.example,5432,monitor,secret,environment=dev',
      'bad-port,db2.example,abc,monitor,secret,',
      'bad-tag,db3.example,5432,monitor,secret,environment',
      'reachable,db4.example,5432,monitor,secret,',
      'bad name!,db5.example,5432,monitor,secret,',
      'no-password,db6.example,5432,monitor,,',
      'fine-two,db7.example,5432,monitor,secret,',
      'fine-two,db8.example,5432,monitor,secret,',
    ].join('\n');
    const run = await cli(['import-connections', 'bad.csv'], { 'bad.csv': csv });
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    const report = run.err;
    expect(report[0]).toBe('bad.csv: 6 problems; nothing was written');
    expect(report.slice(1)).toEqual([
      '  line 3 (bad-port): port: must be an integer, got "abc"',
      expect.stringMatching(/^ {2}line 4 \(bad-tag\): .*"environment".*key=value/),
      '  line 5 (reachable): Connection "reachable" already exists',
      expect.stringMatching(/^ {2}line 6 \(bad name!\): name: .*1-64 characters/),
      expect.stringMatching(/^ {2}line 7 \(no-password\): password: is required/),
      '  line 9 (fine-two): name: also used by line 8',
    ]);
    expect(await connectionNames()).toEqual(before);
  });

  test('refuses a CSV file with unknown or missing columns before touching the database', async () => {
    const run = await cli(['import-connections', 'odd.csv'], { 'odd.csv': 'name,hostname,port,user\nx,db,5432,u\n' });
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      'odd.csv: 2 problems; nothing was written',
      expect.stringMatching(/^ {2}header: unknown column "hostname"/),
      '  header: missing columns host, password',
    ]);
  });

  test('imports a JSON array with the GraphQL input field names', async () => {
    const json = JSON.stringify([
      {
        name: 'json-one',
        host: 'db10.example',
        port: 5433,
        user: 'monitor',
        password: 'secret',
        tags: [{ key: 'environment', value: 'production' }],
        collectionRate: 'HIGH',
        samples: true,
        queryMonitoringMinTime: 2.5,
      },
      { name: 'json-two', host: 'db11.example', port: 5432, user: 'monitor', password: 'secret', tags: 'environment=qa,team=data', enabled: true },
    ]);
    const run = await cli(['import-connections', 'fleet.json', '--no-probe'], { 'fleet.json': json });
    expect(run.code).toBe(0);
    expect(run.out).toEqual(['imported 2 connections from fleet.json', 'not probed: run `reprobe` to check them']);
    const rows = await sql(
      `SELECT name, port, collection_rate, samples, query_monitoring_min_time, user_tags, connected FROM connections WHERE name LIKE 'json-%' ORDER BY name`,
    );
    expect(rows).toEqual([
      {
        name: 'json-one',
        port: 5433,
        collection_rate: 'high',
        samples: true,
        query_monitoring_min_time: 2.5,
        user_tags: [{ key: 'environment', value: 'production' }],
        connected: false,
      },
      {
        name: 'json-two',
        port: 5432,
        collection_rate: 'low',
        samples: false,
        query_monitoring_min_time: 1,
        user_tags: [
          { key: 'environment', value: 'qa' },
          { key: 'team', value: 'data' },
        ],
        connected: false,
      },
    ]);
  });

  test('a JSON entry with a wrong type or an unknown field is reported with its position', async () => {
    const json = JSON.stringify([
      { name: 'json-ok', host: 'db12.example', port: 5432, user: 'monitor', password: 'secret' },
      { name: 'json-port', host: 'db13.example', port: '5432', user: 'monitor', password: 'secret' },
      { name: 'json-extra', host: 'db14.example', port: 5432, user: 'monitor', password: 'secret', colour: 'blue' },
      { name: 'json-auto', host: 'db15.example', port: 5432, user: 'monitor', password: 'secret', tags: [{ key: 'server', value: 'x' }] },
    ]);
    const run = await cli(['import-connections', 'bad.json'], { 'bad.json': json });
    expect(run.code).toBe(1);
    expect(run.err).toEqual([
      'bad.json: 3 problems; nothing was written',
      expect.stringMatching(/^ {2}entry 2 \(json-port\): port: .*expected number/),
      expect.stringMatching(/^ {2}entry 3 \(json-extra\): unknown field "colour"/),
      expect.stringMatching(/^ {2}entry 4 \(json-auto\): .*server/),
    ]);
    expect(await connectionNames()).not.toContain('json-ok');
  });

  test('keys naming object internals are unknown fields and columns, and ordinary tag keys', async () => {
    // Written by hand: JSON.stringify of an object literal cannot produce an own "__proto__" key.
    const row = `"host": "db16.example", "port": 5432, "user": "monitor", "password": "secret"`;
    const json = `[
      {"name": "json-proto", ${row}, "__proto__": {"enabled": false}},
      {"name": "json-ctor", ${row}, "constructor": "x"},
      {"name": "json-tostring", ${row}, "toString": "x"},
      {"name": "json-proto-tag", ${row}, "tags": [{"key": "__proto__", "value": "lyon"}, {"key": "constructor", "value": "paris"}]}
    ]`;
    const run = await cli(['import-connections', 'proto.json'], { 'proto.json': json });
    expect(run.err).toEqual([
      'proto.json: 3 problems; nothing was written',
      expect.stringMatching(/^ {2}entry 1 \(json-proto\): unknown field "__proto__"/),
      expect.stringMatching(/^ {2}entry 2 \(json-ctor\): unknown field "constructor"/),
      expect.stringMatching(/^ {2}entry 3 \(json-tostring\): unknown field "toString"/),
    ]);
    expect(run.code).toBe(1);
    const csv = await cli(['import-connections', 'proto.csv'], { 'proto.csv': 'name,host,port,user,password,__proto__\nx,db,5432,u,p,y\n' });
    expect(csv.err).toEqual(['proto.csv: 1 problem; nothing was written', expect.stringMatching(/^ {2}header: unknown column "__proto__"/)]);
    // As tags, they are ordinary keys.
    const tags = await cli(['import-connections', 'tags.json', '--no-probe'], { 'tags.json': `[${json.split('\n')[4]!.trim()}]` });
    expect(tags.code).toBe(0);
    expect(await sql(`SELECT user_tags FROM connections WHERE name = 'json-proto-tag'`)).toEqual([
      {
        user_tags: [
          { key: '__proto__', value: 'lyon' },
          { key: 'constructor', value: 'paris' },
        ],
      },
    ]);
  });

  test('usage and file errors', async () => {
    expect((await cli(['import-connections'])).code).toBe(2);
    const missing = await cli(['import-connections', 'nowhere.csv']);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/^cannot read nowhere\.csv: ENOENT/);
    const unknownOption = await cli(['import-connections', 'x.csv', '--dry']);
    expect(unknownOption.code).toBe(2);
    const nobody = await cli(['import-connections', 'x.csv', '--as', 'nobody'], { 'x.csv': 'name,host,port,user,password\nx,db,5432,u,p\n' });
    expect(nobody.code).toBe(1);
    expect(nobody.err).toEqual(['no account with login "nobody" (use --as <login>)']);
  });
});

describe('export and import-roles', () => {
  const roles = [
    { name: 'sales-role', access: [{ filters: [{ tag: 'application', value: 'sales' }] }] },
    {
      name: 'prod-or-qa',
      access: [{ filters: [{ tag: 'environment', value: 'production' }] }, { filters: [{ tag: 'environment', value: 'qa' }] }],
    },
  ];

  test('import-roles creates roles, all or nothing', async () => {
    const bad = await cli(['import-roles', 'roles.json'], { 'roles.json': JSON.stringify([...roles, { name: 'empty', access: [] }]) });
    expect(bad.code).toBe(1);
    expect(bad.err.filter((l) => !l.startsWith('importing roles: '))).toEqual([
      'roles.json: 1 problem; nothing was written',
      expect.stringMatching(/^ {2}role "empty": /),
    ]);
    expect(await sql(`SELECT name FROM roles`)).toEqual([]);

    const run = await cli(['import-roles', 'roles.json'], { 'roles.json': JSON.stringify(roles) });
    expect(run.code).toBe(0);
    expect(run.out).toEqual(['roles: 2 created, 0 updated, 0 unchanged']);
  });

  test('export writes roles and users as JSON, without any password or hash; import-roles reads it back', async () => {
    // A restricted user holding a role, created through the service layer.
    const dataSource = createDataSource({ url: database.url, poolSize: 1 });
    await dataSource.initialize();
    try {
      const services = await createServices(dataSource, config);
      try {
        const admin = await services.auth.principalFromCredentials('datasentinel', ADMIN_PASSWORD, undefined, CLI_ACTING);
        await services.users.create(createRequestContext(services, admin), 'jean.lapioffe@corp.com', {
          password: 'jeans-password',
          privilege: 'read',
          roles: ['sales-role'],
          comment: 'sales team',
        });
      } finally {
        await services.close?.();
      }
    } finally {
      await dataSource.destroy();
    }

    const run = await cli(['export', 'backup.json']);
    expect(run.code).toBe(0);
    expect(run.out).toEqual(['exported 2 roles and 2 users to backup.json']);
    const text = run.written['backup.json']!;
    expect(text).not.toMatch(/password|hash|argon/i);
    expect(text).not.toContain('jeans-password');
    const backup = JSON.parse(text);
    expect(backup).toMatchObject({ format: 'ds-access-gateway/access-export', version: 1 });
    expect(backup.roles).toEqual([roles[1], roles[0]]);
    expect(backup.users).toEqual([
      {
        email: 'datasentinel@datasentinel.local',
        login: 'datasentinel',
        profile: 'data admin',
        privilege: 'admin',
        roles: [],
        live360: true,
        comment: 'Default administrator',
        ldap: false,
      },
      {
        email: 'jean.lapioffe@corp.com',
        login: 'jean.lapioffe',
        profile: 'data admin',
        privilege: 'read',
        roles: ['sales-role'],
        live360: true,
        comment: 'sales team',
        ldap: false,
      },
    ]);

    // To stdout when no file is given.
    const toStdout = await cli(['export']);
    expect(JSON.parse(toStdout.out.join('\n')).roles).toHaveLength(2);

    // Round trip: one role changed in the file is updated, the other is left alone.
    backup.roles[1].access = [{ filters: [{ tag: 'application', value: 'billing' }] }];
    const again = await cli(['import-roles', 'backup.json'], { 'backup.json': JSON.stringify(backup) });
    expect(again.code).toBe(0);
    expect(again.out).toEqual(['roles: 0 created, 1 updated, 1 unchanged']);
    expect((await sql(`SELECT access FROM roles WHERE name = 'sales-role'`))[0]!.access).toEqual([{ filters: [{ tag: 'application', value: 'billing' }] }]);
  });

  test('only an unrestricted administrator may run them', async () => {
    const run = await cli(['export', '--as', 'jean.lapioffe']);
    expect(run.code).toBe(1);
    expect(run.err[0]).toMatch(/"jean\.lapioffe" is not an unrestricted administrator/);
  });
});

describe('reprobe', () => {
  test('probes every enabled connection again and reports the outcome', async () => {
    const enabled = await sql(`SELECT count(*)::int AS n FROM connections WHERE enabled`);
    const run = await cli(['reprobe']);
    expect(run.code).toBe(0);
    expect(run.out).toEqual([`probed ${enabled[0]!.n} connections: 1 connected, ${enabled[0]!.n - 1} not connected`]);
    expect(run.err).toContain(`probing: ${enabled[0]!.n}/${enabled[0]!.n}`);
    const connected = await sql(`SELECT name FROM connections WHERE connected`);
    expect(connected).toEqual([{ name: 'reachable' }]);
  });

  test('refuses to run when probing is disabled', async () => {
    const run = await cli(['reprobe'], {}, { probeTimeoutMs: 0 });
    expect(run.code).toBe(1);
    expect(run.err).toEqual(['probing is disabled (PROBE_TIMEOUT_MS=0)']);
  });
});

describe('a fresh database', () => {
  test('the first CLI task applies the migrations and creates the administrator, like the first start of the gateway', async () => {
    const fresh = await createTestDatabase({ template: false });
    try {
      const overrides = { databaseUrl: fresh.url, adminPassword: undefined };
      const run = await cli(['export'], {}, overrides);
      expect(run.code).toBe(0);
      // Notes go to stderr: stdout is the export alone, valid JSON (`npm run --silent cli -- export > backup.json`).
      expect(run.err[0]).toMatch(/^applied migrations: /);
      expect(run.err[1]).toMatch(/^Default administrator created: login "datasentinel", password "\S{20,}"$/);
      expect((JSON.parse(run.out.join('\n')) as { users: unknown[] }).users).toEqual([expect.objectContaining({ login: 'datasentinel', privilege: 'admin' })]);
      const again = await cli(['export'], {}, overrides);
      expect({ code: again.code, err: again.err }).toEqual({ code: 0, err: [] });
    } finally {
      await fresh.drop();
    }
  });

  test('reset-admin-password as the first command creates the administrator with that password', async () => {
    const fresh = await createTestDatabase({ template: false });
    try {
      const run = await cli(['reset-admin-password'], {}, { databaseUrl: fresh.url, adminPassword: 'first-password-1' });
      expect(run.code).toBe(0);
      expect(run.err[0]).toMatch(/^applied migrations: /);
      expect(run.out).toEqual(['default administrator datasentinel created, password from ADMIN_PASSWORD']);
      const client = new Client({ connectionString: fresh.url });
      await client.connect();
      try {
        const users = await client.query<{ login: string; privilege: string }>(`SELECT login, privilege FROM users`);
        expect(users.rows).toEqual([{ login: 'datasentinel', privilege: 'admin' }]);
      } finally {
        await client.end();
      }
      const again = await cli(['reset-admin-password'], {}, { databaseUrl: fresh.url, adminPassword: 'second-password-2' });
      expect(again.out).toEqual(['password of datasentinel set from ADMIN_PASSWORD', 'every earlier token of this account is revoked']);
    } finally {
      await fresh.drop();
    }
  });

  test('with MIGRATE_ON_START=false a task refuses, as the gateway waits, until `migrate` has run', async () => {
    const fresh = await createTestDatabase({ template: false });
    try {
      const overrides = { databaseUrl: fresh.url, adminPassword: undefined, migrateOnStart: false };
      const early = await cli(['reprobe'], {}, overrides);
      expect(early.code).toBe(1);
      expect(early.err).toEqual(['the database has pending migrations and MIGRATE_ON_START is false: run `npm run cli -- migrate` first']);
      expect((await cli(['migrate'], {}, overrides)).code).toBe(0);
      const run = await cli(['export'], {}, overrides);
      expect(run.code).toBe(0);
      expect((JSON.parse(run.out.join('\n')) as { users: unknown[] }).users).toEqual([expect.objectContaining({ login: 'datasentinel' })]);
    } finally {
      await fresh.drop();
    }
  });
});

describe('reset-admin-password', () => {
  test('goes through the user service: a local password again, every earlier token revoked', async () => {
    await sql(
      `INSERT INTO users (email, login, password_hash, privilege, profile, ldap, token_version)
       VALUES ('reset.me@corp.test', 'reset.me', NULL, 'admin', 'data admin', true, 3)`,
    );
    const run = await cli(['reset-admin-password', 'Reset.Me'], {}, { adminPassword: 'a-new-password-1' });
    expect(run).toMatchObject({ code: 0, err: [] });
    expect(run.out).toEqual(['password of Reset.Me set from ADMIN_PASSWORD', 'every earlier token of this account is revoked']);
    const [row] = await sql(`SELECT ldap, token_version, password_hash FROM users WHERE login = 'reset.me'`);
    expect(row).toMatchObject({ ldap: false, token_version: 4 });
    expect(await verifyPassword(row!.password_hash, 'a-new-password-1')).toBe(true);

    const generated = await cli(['reset-admin-password', 'reset.me'], {}, { adminPassword: undefined });
    expect(generated.code).toBe(0);
    const password = /^new password for reset\.me: (\S{20,})$/.exec(generated.out[0]!)![1]!;
    const [after] = await sql(`SELECT token_version, password_hash FROM users WHERE login = 'reset.me'`);
    expect(after!.token_version).toBe(5);
    expect(await verifyPassword(after!.password_hash, password)).toBe(true);
  });

  test('an unknown login changes nothing', async () => {
    const before = await sql(`SELECT login, token_version, password_hash FROM users ORDER BY login`);
    const run = await cli(['reset-admin-password', 'nobody-here'], {}, { adminPassword: 'a-new-password-1' });
    expect(run).toMatchObject({ code: 1, out: [], err: ['no account with login "nobody-here"'] });
    expect(await sql(`SELECT login, token_version, password_hash FROM users ORDER BY login`)).toEqual(before);
  });
});
