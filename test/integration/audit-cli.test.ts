/**
 * The audit log's CLI commands, run in-process through `runCommand` against a database of its own: `audit-export`
 * (JSON lines and CSV, since/until, to stdout or a file) and `audit-purge` (AUDIT_RETENTION_DAYS or
 * --older-than-days, refused without either, and itself audited), and the runtime grants of the audit table.
 */
import { Client } from 'pg';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { csvField } from '../../src/cli/audit-commands';
import { loadConfig, type Config } from '../../src/config';
import { runtimeGrantStatements } from '../../src/db/runtime-grants';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
let config: Config;

interface Run {
  code: number;
  out: string[];
  err: string[];
  written: Record<string, string>;
}

async function cli(args: string[], overrides: Partial<Config> = {}, files: Record<string, string> = {}): Promise<Run> {
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
    listFiles: () => [],
    isTTY: false,
  };
  const [command, ...rest] = args;
  run.code = await runCommand(command!, rest, { ...config, ...overrides }, io);
  return run;
}

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

beforeAll(async () => {
  database = await createTestDatabase();
  config = { ...loadConfig({ NODE_ENV: 'test' }), databaseUrl: database.url };
  // Events as the services write them (INSERT is what the application may do), some of them old.
  const insert = `INSERT INTO audit_events (at, actor, channel, request_id, action, target_type, target, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
  await sql(insert, [daysAgo(400), 'datasentinel', 'graphql', 'r-1', 'role.create', 'role', 'old-role', null, { name: 'old-role', access: [] }]);
  await sql(insert, [daysAgo(100), 'anonymous', 'rest', 'r-2', 'auth.sign-in-failure', 'auth', '=cmd|" /c calc', null, { reason: 'UNAUTHENTICATED' }]);
  await sql(insert, [daysAgo(10), 'datasentinel', 'rest', null, 'user.update', 'user', 'jean, "the" admin', { comment: null }, { comment: 'a\nb' }]);
});
afterAll(() => database.drop());

describe('audit-export', () => {
  test('JSON lines from since (inclusive) to until (exclusive), oldest first, on stdout', async () => {
    const all = await cli(['audit-export', '--since', daysAgo(1000).toISOString(), '--format', 'jsonl']);
    expect(all.code).toBe(0);
    const events = all.out.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.target)).toEqual(['old-role', '=cmd|" /c calc', 'jean, "the" admin']);
    expect(events[2]).toEqual({
      id: expect.any(String) as unknown,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      actor: 'datasentinel',
      channel: 'rest',
      requestId: null,
      action: 'user.update',
      targetType: 'user',
      target: 'jean, "the" admin',
      before: { comment: null },
      after: { comment: 'a\nb' },
    });
    const window = await cli(['audit-export', '--since', daysAgo(200).toISOString(), '--until', daysAgo(50).toISOString(), '--format', 'jsonl']);
    expect(window.out.map((line) => (JSON.parse(line) as { action: string }).action)).toEqual(['auth.sign-in-failure']);
  });

  test('CSV to a file: a header, RFC 4180 quoting, and no formula a spreadsheet would run', async () => {
    const run = await cli(['audit-export', '--since', daysAgo(1000).toISOString().slice(0, 10), '--format', 'csv', '--output', 'audit.csv']);
    expect(run.code).toBe(0);
    expect(run.err).toEqual(['exported 3 event(s) to audit.csv']);
    const lines = run.written['audit.csv']!.split('\n');
    expect(lines[0]).toBe('id,at,actor,channel,requestId,action,targetType,target,before,after');
    expect(lines[2]).toMatch(/,anonymous,rest,r-2,auth.sign-in-failure,auth,"'=cmd\|"" \/c calc",,"\{""reason"":""UNAUTHENTICATED""\}"$/);
    // The newline inside the JSON of `after` is escaped by JSON itself: one event, one line.
    expect(lines[3]).toMatch(/,"jean, ""the"" admin","\{""comment"":null\}","\{""comment"":""a\\nb""\}"$/);
    expect(lines).toHaveLength(5); // header, 3 events, final newline
  });

  test('csvField quotes separators and disarms formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(null)).toBe('');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
  });

  test('usage errors exit 2', async () => {
    expect((await cli(['audit-export', '--format', 'jsonl'])).err).toEqual(['audit-export: --since is required (the export starts there)']);
    expect((await cli(['audit-export', '--since', '2026-01-01', '--format', 'xml'])).code).toBe(2);
    expect((await cli(['audit-export', '--since', 'yesterday', '--format', 'csv'])).code).toBe(2);
    expect((await cli(['audit-export', '--since', '2026-01-01', '--format', 'csv', '--bogus'])).code).toBe(2);
  });
});

describe('audit-purge', () => {
  test('refused without AUDIT_RETENTION_DAYS or --older-than-days: events are kept forever by default', async () => {
    const run = await cli(['audit-purge']);
    expect(run.code).toBe(2);
    expect(run.err[0]).toMatch(/AUDIT_RETENTION_DAYS is unset/);
    expect((await cli(['audit-purge', '--older-than-days', '0'])).code).toBe(2);
    expect(await sql(`SELECT count(*)::int AS n FROM audit_events`)).toEqual([{ n: 3 }]);
  });

  test('AUDIT_RETENTION_DAYS is read from the environment', () => {
    expect(loadConfig({ NODE_ENV: 'test', AUDIT_RETENTION_DAYS: '365' }).auditRetentionDays).toBe(365);
    expect(loadConfig({ NODE_ENV: 'test' }).auditRetentionDays).toBeUndefined();
    expect(() => loadConfig({ NODE_ENV: 'test', AUDIT_RETENTION_DAYS: 'forever' })).toThrow(/AUDIT_RETENTION_DAYS/);
  });

  test('deletes what is older than the retention, and records the purge in the same transaction', async () => {
    const byConfig = await cli(['audit-purge'], { auditRetentionDays: 365 });
    expect(byConfig.code).toBe(0);
    expect(byConfig.out).toEqual(['deleted 1 audit event(s) older than 365 day(s); the purge itself is recorded (system.audit-purge)']);
    const byFlag = await cli(['audit-purge', '--older-than-days', '50'], { auditRetentionDays: 365 });
    expect(byFlag.out[0]).toMatch(/^deleted 1 audit event\(s\) older than 50 day\(s\)/);
    const rows = await sql<{ actor: string; channel: string; action: string; target: string; after: Record<string, unknown> }>(
      `SELECT actor, channel, action, target, after FROM audit_events ORDER BY id`,
    );
    expect(rows.map((r) => [r.action, r.target])).toEqual([
      ['user.update', 'jean, "the" admin'],
      ['system.audit-purge', 'audit_events'],
      ['system.audit-purge', 'audit_events'],
    ]);
    expect(rows[1]).toMatchObject({ actor: 'cli', channel: 'cli', after: { olderThanDays: 365, deleted: 1 } });
    expect(rows[2]).toMatchObject({ after: { olderThanDays: 50, deleted: 1 } });
  });

  test('outside the purge, even the owner cannot delete, update or truncate events', async () => {
    await expect(sql(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    await expect(sql(`UPDATE audit_events SET actor = 'x'`)).rejects.toThrow(/append-only/);
    await expect(sql(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    // The purge's setting is transaction-local: set outside a transaction, it is gone by the next statement.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query(`SELECT set_config('ds.audit_purge', 'on', true)`);
      await expect(client.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    } finally {
      await client.end();
    }
    expect(await sql(`SELECT count(*)::int AS n FROM audit_events`)).toEqual([{ n: 3 }]);
  });
});

// (The first command on this database also creates the default administrator: a `system` event, left out here.)
test('operator commands are audited as the --as account through the cli channel, one event per change', async () => {
  const roles = JSON.stringify([{ name: 'cli-role', access: [{ filters: [{ tag: 'environment', value: 'production' }] }] }]);
  const before = await sql<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_events`);
  const run = await cli(['import-roles', 'roles.json'], { adminPassword: 'cli-admin-password' }, { 'roles.json': roles });
  expect(run.err.filter((line) => !line.startsWith('importing roles: '))).toEqual([]);
  expect(run.code).toBe(0);
  const events = await sql(`SELECT actor, channel, action, target, after, request_id FROM audit_events WHERE id > $1 AND channel = 'cli' ORDER BY id`, [
    before[0]!.id,
  ]);
  expect(events).toEqual([
    {
      actor: 'datasentinel',
      channel: 'cli',
      action: 'role.create',
      target: 'cli-role',
      after: { name: 'cli-role', access: [{ filters: [{ tag: 'environment', value: 'production' }] }] },
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    },
  ]);
});

test('import-connections records one connection.import event through the cli channel, without the passwords', async () => {
  const csv =
    'name,host,port,user,password,tags\ncli-db-1,a.invalid,5432,monitor,cli-import-secret-1,env=prod\ncli-db-2,b.invalid,5432,monitor,cli-import-secret-2,\n';
  const before = await sql<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_events`);
  const run = await cli(['import-connections', 'c.csv', '--no-probe'], { adminPassword: 'cli-admin-password' }, { 'c.csv': csv });
  expect(run.code).toBe(0);
  const events = await sql(`SELECT actor, channel, action, target, after FROM audit_events WHERE id > $1 AND channel = 'cli' ORDER BY id`, [before[0]!.id]);
  expect(events).toEqual([
    { actor: 'datasentinel', channel: 'cli', action: 'connection.import', target: 'connections', after: { created: 2, names: ['cli-db-1', 'cli-db-2'] } },
  ]);
  expect(JSON.stringify(await sql(`SELECT * FROM audit_events`))).not.toMatch(/cli-import-secret/);
});

test('reset-admin-password records one user.password-reset event by the cli, never the password', async () => {
  const before = await sql<{ id: string }>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_events`);
  const run = await cli(['reset-admin-password', 'datasentinel'], { adminPassword: 'reset-password-secret-7' });
  expect(run.code).toBe(0);
  const events = await sql(`SELECT actor, channel, action, target, before, after FROM audit_events WHERE id > $1 AND channel = 'cli' ORDER BY id`, [
    before[0]!.id,
  ]);
  expect(events).toEqual([
    { actor: 'cli', channel: 'cli', action: 'user.password-reset', target: 'datasentinel', before: { password: '********' }, after: { password: '********' } },
  ]);
  expect(JSON.stringify(await sql(`SELECT * FROM audit_events`))).not.toMatch(/reset-password-secret-7/);
  expect((await cli(['reset-admin-password', 'nobody-here'], { adminPassword: 'reset-password-secret-8' })).code).toBe(1);
  expect(await sql(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'user.password-reset'`)).toEqual([{ n: 1 }]);
});

test('grant-runtime gives the runtime role INSERT and SELECT on the audit table, nothing more', () => {
  const statements = runtimeGrantStatements({ role: 'gw', database: 'db', schema: 'public', migrationsTable: true, auditTable: true });
  expect(statements).toContain('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE "public".audit_events FROM "gw"');
  expect(statements.indexOf('REVOKE UPDATE, DELETE, TRUNCATE ON TABLE "public".audit_events FROM "gw"')).toBeGreaterThan(
    statements.findIndex((s) => s.startsWith('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES')),
  );
});
