/**
 * Replicas that start together (a rollout) on one database: migrations run under an advisory lock, so exactly one
 * process applies them while the others wait and verify; with MIGRATE_ON_START=false a gateway applies nothing, says
 * "not ready" on /readyz (while /healthz answers) until a pipeline step (`ds-gateway migrate`) has migrated, then
 * becomes ready by itself.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { migrations } from '../../migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { gqlAt, startGatewayProcess, type StartingGateway } from '../support/processes';
import { Client } from 'pg';

const CLI = join(__dirname, '../../dist/src/cli/index.js');
const ADMIN_PASSWORD = 'replica-start-admin';
const databases: TestDatabase[] = [];
const processes: StartingGateway[] = [];

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  for (const db of databases) await db.drop();
});

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ template: false });
  databases.push(db);
  return db;
}

function start(env: Record<string, string>): StartingGateway {
  const gateway = startGatewayProcess({ ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', ...env });
  processes.push(gateway);
  return gateway;
}

async function migrationRows(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT name FROM migrations ORDER BY id')).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

const probe = async (url: string, path: string) => {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

test('three gateways started at the same moment on an empty database all become ready; the schema is migrated once', async () => {
  const db = await emptyDatabase();
  const replicas = [0, 1, 2].map(() => start({ DATABASE_URL: db.url }));
  const urls = await Promise.all(replicas.map((r) => r.ready));

  expect(await migrationRows(db.url)).toEqual(migrations.map((m) => new m().name));
  const outputs = replicas.map((r) => r.output());
  const appliedLines = outputs.flatMap((o) => o.split('\n').filter((line) => line.includes('"msg":"migrations applied"')));
  expect(appliedLines).toHaveLength(1);
  expect(outputs.filter((o) => o.includes('"msg":"migrations verified: the database is up to date"'))).toHaveLength(2);

  for (const url of urls) {
    expect(await probe(url, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    const signIn = await gqlAt(url, `mutation { createToken(login: "datasentinel", password: "${ADMIN_PASSWORD}") { token } }`);
    expect(typeof signIn.data.createToken.token).toBe('string');
  }
  // One default administrator, whichever replica created it.
  const client = new Client({ connectionString: db.url });
  await client.connect();
  const admins = await client.query(`SELECT count(*)::int AS n FROM users WHERE login = 'datasentinel'`);
  await client.end();
  expect(admins.rows[0].n).toBe(1);
}, 240_000);

test('MIGRATE_ON_START=false: not ready (healthz still 200) until `ds-gateway migrate` has run, then ready without a restart', async () => {
  const db = await emptyDatabase();
  const gateway = start({ DATABASE_URL: db.url, MIGRATE_ON_START: 'false' });
  const url = await gateway.listening;
  // Wait until it has looked at the database and found the migrations pending.
  for (let i = 0; ; i += 1) {
    const ready = await probe(url, '/readyz');
    expect(ready.status).toBe(503);
    if (ready.body.reason === 'migrations pending') break;
    if (i > 200) throw new Error(`never reported pending migrations:\n${gateway.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(await probe(url, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
  const api = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { login } }"}' });
  expect(api.status).toBe(503);
  expect(api.headers.get('retry-after')).toBe('5');
  // Nothing was created by the gateway: no migrations table at all.
  await expect(migrationRows(db.url)).rejects.toThrow(/relation "migrations" does not exist/);

  const cli = spawn(process.execPath, [CLI, 'migrate'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] });
  let cliOutput = '';
  cli.stdout.on('data', (c) => (cliOutput += c));
  cli.stderr.on('data', (c) => (cliOutput += c));
  expect(await new Promise((resolve) => cli.once('exit', resolve))).toBe(0);
  expect(cliOutput).toMatch(/^applied: /);

  expect(await gateway.ready).toBe(url);
  expect(await probe(url, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
  expect(gateway.output()).not.toContain('"msg":"migrations applied"');
  expect(await migrationRows(db.url)).toEqual(migrations.map((m) => new m().name));
}, 240_000);
