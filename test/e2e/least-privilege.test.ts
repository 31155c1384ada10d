/**
 * Least privilege: the schema's owner migrates (MIGRATIONS_DATABASE_URL) and grants a runtime role exactly what
 * `ds-gateway grant-runtime` gives; the gateway then runs as that role (NOSUPERUSER, no CREATE on the schema, owner of
 * nothing) and serves every API: first start (default administrator, generated JWT secret and encryption key),
 * GraphQL administration and a restricted reader, REST writes and tokens, a throttled sign-in failure, the CLI
 * import. The same role cannot change the schema.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { AuditEvents1732320000500 } from '../../migrations/1732320000500-AuditEvents';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { loadConfig, type Config } from '../../src/config';
import { startGateway, type RunningGateway } from '../../src/gateway';
import { createLogger } from '../../src/logger';
import { createTestDatabase, databaseUrl, withAdmin, type TestDatabase } from '../support/database';
import { gqlAt } from '../support/processes';
import { restClient } from './rest-client';

const ADMIN_PASSWORD = 'least-privilege-admin';
const suffix = randomBytes(4).toString('hex');
const OWNER = `ds_owner_${suffix}`;
const RUNTIME = `ds_runtime_${suffix}`;
const PASSWORDS = { [OWNER]: `owner-${suffix}`, [RUNTIME]: `runtime-${suffix}` };

let db: TestDatabase;
let ownerUrl: string;
let runtimeUrl: string;
let config: Config;
let gateway: RunningGateway;

function urlFor(role: string): string {
  const u = new URL(databaseUrl(db.name));
  u.username = role;
  u.password = PASSWORDS[role]!;
  return u.toString();
}

async function cli(args: string[], files: Record<string, string> = {}): Promise<{ code: number; out: string[]; err: string[] }> {
  const run = { code: -1, out: [] as string[], err: [] as string[] };
  const io: CliIo = {
    out: (l) => run.out.push(l),
    err: (l) => run.err.push(l),
    readFile: (p) => files[p]!,
    writeFile: () => undefined,
    listFiles: () => [],
    isTTY: false,
  };
  const [command, ...rest] = args;
  run.code = await runCommand(command!, rest, config, io);
  return run;
}

async function asRuntime<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: runtimeUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase({ template: false });
  await withAdmin(async (admin) => {
    await admin.query(`CREATE ROLE ${OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${PASSWORDS[OWNER]}'`);
    await admin.query(`CREATE ROLE ${RUNTIME} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '${PASSWORDS[RUNTIME]}'`);
    await admin.query(`ALTER DATABASE ${db.name} OWNER TO ${OWNER}`);
  });
  // PostgreSQL before 15 lets PUBLIC create in schema public; the documented setup revokes it (docs/operating.md).
  const superuser = new Client({ connectionString: db.url });
  await superuser.connect();
  await superuser.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  await superuser.query(`ALTER SCHEMA public OWNER TO ${OWNER}`);
  await superuser.end();
  ownerUrl = urlFor(OWNER);
  runtimeUrl = urlFor(RUNTIME);
  config = {
    ...loadConfig({ NODE_ENV: 'test', DATABASE_URL: runtimeUrl, MIGRATIONS_DATABASE_URL: ownerUrl }),
    port: 0,
    host: '127.0.0.1',
    adminPassword: ADMIN_PASSWORD,
    probeTimeoutMs: 0,
    trustProxy: 'loopback',
    loginThrottle: { perLoginAndAddress: { failures: 2, windowSeconds: 60, blockSeconds: 60 }, perAddress: null, perLogin: null },
  };
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
  await withAdmin(async (admin) => {
    await admin.query(`DROP ROLE IF EXISTS ${RUNTIME}`);
    await admin.query(`DROP ROLE IF EXISTS ${OWNER}`);
  });
});

test('the owner migrates and grants; the runtime role may not write the migrations table', async () => {
  expect(await cli(['migrate'])).toMatchObject({ code: 0, out: [expect.stringMatching(/^applied: /)] });
  const granted = await cli(['grant-runtime', '--role', RUNTIME]);
  expect(granted).toMatchObject({ code: 0, err: [] });
  const printed = await cli(['grant-runtime', '--role', RUNTIME, '--print']);
  expect(printed.out).toContain(`GRANT USAGE ON SCHEMA "public" TO "${RUNTIME}";`);
  expect(printed.out.join('\n')).not.toMatch(/\bCREATE\b|\bALL PRIVILEGES\b|\bTRUNCATE ON ALL\b/);
  expect(await cli(['grant-runtime', '--role', 'no such role'])).toMatchObject({ code: 2 });

  const tables = await asRuntime((c) => c.query(`SELECT tableowner FROM pg_tables WHERE schemaname = 'public'`));
  expect(new Set(tables.rows.map((r) => r.tableowner))).toEqual(new Set([OWNER]));
  await asRuntime(async (c) => {
    await expect(c.query(`INSERT INTO migrations (timestamp, name) VALUES (1, 'x')`)).rejects.toThrow(/permission denied for table migrations/);
    expect((await c.query(`SELECT count(*)::int AS n FROM migrations`)).rows[0].n).toBeGreaterThan(0);
  });
});

test('the gateway runs as the runtime role and serves every API', async () => {
  gateway = await startGateway(config, createLogger(config));
  const url = gateway.url;
  const rest = restClient(url);
  expect(await fetch(`${url}/readyz`).then((r) => r.json())).toEqual({ status: 'ready' });
  expect((await gateway.dataSource.query(`SELECT current_user AS u`))[0].u).toBe(RUNTIME);

  // GraphQL administration.
  const ok = (result: any) => {
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data;
  };
  const admin = ok(await gqlAt(url, `mutation { createToken(login: "datasentinel", password: "${ADMIN_PASSWORD}") { token } }`)).createToken.token;
  for (const [name, env] of [
    ['prod-1', 'prod'],
    ['dev-1', 'dev'],
  ]) {
    ok(
      await gqlAt(
        url,
        `mutation($n: String!, $e: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "secret", tags: [{ key: "env", value: $e }] }) { name } }`,
        { n: name, e: env },
        admin,
      ),
    );
  }
  ok(
    await gqlAt(
      url,
      `mutation { updateConnection(name: "dev-1", input: { tags: [{ key: "env", value: "dev" }, { key: "team", value: "a" }] }) { name } }`,
      {},
      admin,
    ),
  );
  ok(await gqlAt(url, `mutation { createRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin));
  ok(
    await gqlAt(
      url,
      `mutation { createUser(email: "rita@corp.test", input: { password: "rita-password-1", privilege: READ, roles: ["prod-only"] }) { login } }`,
      {},
      admin,
    ),
  );
  expect(ok(await gqlAt(url, `{ role(name: "prod-only") { connectionCount } }`, {}, admin)).role.connectionCount).toBe(1);

  // A restricted reader.
  const reader = ok(await gqlAt(url, `mutation { createToken(login: "rita", password: "rita-password-1") { token } }`)).createToken.token;
  expect(ok(await gqlAt(url, `{ connections { nodes { name } } tags { key } }`, {}, reader))).toEqual({
    connections: { nodes: [{ name: 'prod-1' }] },
    tags: expect.arrayContaining([{ key: 'env' }]),
  });
  expect((await gqlAt(url, `{ users { login } }`, {}, reader)).errors[0].extensions.code).toBe('FORBIDDEN');

  // REST: token, then writes.
  const token = await rest.post('/ds-api/user-token', { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } });
  expect(token.status).toBe(201);
  const t = token.body['user-token'] as string;
  expect((await rest.get(`/ds-api/user-token?token=${t}`, { basic: { login: 'datasentinel', password: ADMIN_PASSWORD } })).status).toBe(200);
  expect(
    (await rest.post('/ds-api/pool/pg-instances/rest-1', { token: t, json: { host: 'h', port: 5432, user: 'u', password: 'p', tags: 'env=prod' } })).status,
  ).toBe(201);
  expect((await rest.put('/ds-api/pool/pg-instances/rest-1', { token: t, json: { tags: 'env=dev' } })).status).toBe(200);
  expect((await rest.patch('/ds-api/pool/pg-instances/rest-1/disable', { token: t })).status).toBe(200);
  expect((await rest.post('/ds-api/roles/dev-only', { token: t, json: { access: [{ filters: [{ tag: 'env', value: 'dev' }] }] } })).status).toBe(201);
  expect((await rest.put('/ds-api/users/rita@corp.test', { token: t, json: { roles: ['dev-only'] } })).status).toBe(200);
  expect(ok(await gqlAt(url, `{ connections { nodes { name } } }`, {}, reader)).connections.nodes).toEqual([{ name: 'dev-1' }, { name: 'rest-1' }]);
  expect((await rest.delete('/ds-api/pool/pg-instances/rest-1', { token: t })).status).toBe(200);
  expect((await rest.delete('/ds-api/users/rita@corp.test', { token: t })).status).toBe(200);
  expect((await rest.delete('/ds-api/roles/dev-only', { token: t })).status).toBe(200);

  // Sign-in failures are counted by the throttle (its own table) and then refused.
  const wrong = () => gqlAt(url, `mutation { createToken(login: "datasentinel", password: "wrong-password") { token } }`);
  expect((await wrong()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect((await wrong()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  expect((await wrong()).errors[0].extensions.code).toBe('RATE_LIMITED');

  // The CLI's import, as the runtime role (DATABASE_URL).
  const imported = await cli(['import-connections', 'c.csv', '--no-probe'], { 'c.csv': 'name,host,port,user,password,tags\nimp-1,h,5432,u,p,env=prod\n' });
  expect(imported).toMatchObject({ code: 0, err: [] });
  expect(ok(await gqlAt(url, `{ connection(name: "imp-1") { name } }`, {}, admin)).connection).toEqual({ name: 'imp-1' });
}, 120_000);

test('the runtime role cannot change the schema', async () => {
  await asRuntime(async (c) => {
    await expect(c.query(`CREATE TABLE intruder (id int)`)).rejects.toThrow(/permission denied for schema public/);
    await expect(c.query(`ALTER TABLE users ADD COLUMN intruder int`)).rejects.toThrow(/must be owner of table users/);
    await expect(c.query(`DROP TABLE connections`)).rejects.toThrow(/must be owner of table connections/);
    await expect(c.query(`CREATE INDEX intruder ON users (comment)`)).rejects.toThrow(/must be owner of table users/);
    await expect(c.query(`TRUNCATE login_throttle`)).rejects.toThrow(/permission denied for table login_throttle/);
    await expect(c.query(`CREATE OR REPLACE FUNCTION ds_group_selector(grp jsonb) RETURNS jsonb LANGUAGE sql AS 'SELECT grp'`)).rejects.toThrow(
      /must be owner of function|permission denied/,
    );
  });
});

test('the runtime role writes and reads audit events, and may not update, delete or truncate them', async () => {
  const privileges = async () =>
    (
      await asRuntime((c) =>
        c.query(
          `SELECT p, has_table_privilege(current_user, 'audit_events', p) AS granted
             FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p`,
        ),
      )
    ).rows as { p: string; granted: boolean }[];
  const expected = [
    { p: 'SELECT', granted: true },
    { p: 'INSERT', granted: true },
    { p: 'UPDATE', granted: false },
    { p: 'DELETE', granted: false },
    { p: 'TRUNCATE', granted: false },
  ];
  expect(await privileges()).toEqual(expected);
  await asRuntime(async (c) => {
    // The gateway above (running as this role) recorded its changes and sign-ins.
    expect((await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'auth.sign-in-failure'`)).rows[0].n).toBeGreaterThan(0);
    await c.query(`SELECT set_config('ds.audit_purge', 'on', false)`); // the trigger's key does not open the grant
    await expect(c.query(`DELETE FROM audit_events`)).rejects.toThrow(/permission denied for table audit_events/);
    await expect(c.query(`UPDATE audit_events SET actor = 'x'`)).rejects.toThrow(/permission denied for table audit_events/);
  });

  // The table created after `grant-runtime` (an upgrade): the default privileges would give UPDATE and DELETE, and
  // the migration takes them back.
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const migration = new AuditEvents1732320000500();
    const runner = { query: (text: string) => owner.query(text) } as unknown as QueryRunner;
    await migration.down(runner);
    await migration.up(runner);
  } finally {
    await owner.end();
  }
  expect(await privileges()).toEqual(expected);
});
