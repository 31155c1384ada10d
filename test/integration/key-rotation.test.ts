/**
 * Rotation of the key that seals monitored-connection passwords at rest: SecretBox as a keyring, the
 * `rotate-encryption-key` command (batches, progress, idempotence, unreadable rows), the gateway opening
 * passwords sealed with a previous key, values bound to their row, and the upgrade from the previous release's
 * form (a fixture sealed by its code: test/fixtures/v1-sealed-passwords.json).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { loadConfig, type Config } from '../../src/config';
import { buildPrincipal } from '../../src/context/principal';
import { createRequestContext } from '../../src/context/request-context';
import { createDataSource } from '../../src/db/data-source';
import { createServices } from '../../src/services';
import { openSecretBox } from '../../src/services/key-rotation';
import { connectionBinding, SecretBox, storedKey } from '../../src/services/secret-box';
import { createTestDatabase, type TestDatabase } from '../support/database';

/** Keys in the required format (32 bytes): hex and base64, as `openssl rand -hex 32` / `-base64 32` print them. */
const KEY_A = createHash('sha256').update('key A').digest('hex');
const KEY_B = createHash('sha256').update('key B').digest('base64');
const KEY_C = createHash('sha256').update('key C').digest('hex');
const ROWS = 1234;

let database: TestDatabase;
let ds: DataSource;

beforeAll(async () => {
  database = await createTestDatabase();
  ds = createDataSource({ url: database.url, poolSize: 2 });
  await ds.initialize();
});
afterAll(async () => {
  await ds?.destroy();
  await database?.drop();
});

function configWith(env: Record<string, string>): Config {
  return { ...loadConfig({ NODE_ENV: 'test', ...env }), databaseUrl: database.url };
}

function captureIo(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => void lines.push(line),
    err: (line) => void errors.push(line),
    readFile: () => '',
    writeFile: () => undefined,
    listFiles: () => [],
  };
}

/** Inserts connections whose passwords are `pw-<i>`, sealed by `box`. */
async function seed(prefix: string, count: number, box: SecretBox): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(5, '0')}`;
    return { name, sealed: box.seal(`pw-${prefix}-${i}`, connectionBinding(name)) };
  });
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted)
     SELECT r->>'name', 'db.example', 5432, 'monitor', r->>'sealed' FROM jsonb_array_elements($1::jsonb) AS r`,
    [JSON.stringify(rows)],
  );
}

async function sealedByName(): Promise<Map<string, string>> {
  const rows: { name: string; password_encrypted: string }[] = await ds.query(`SELECT name, password_encrypted FROM connections ORDER BY name`);
  return new Map(rows.map((r) => [r.name, r.password_encrypted]));
}

const plaintextOf = (name: string) => {
  const [prefix, index] = name.split('-');
  return `pw-${prefix}-${Number(index)}`;
};

test('SecretBox seals with the current key and opens with the current or a previous one', () => {
  const a = new SecretBox(KEY_A);
  const b = new SecretBox(KEY_B, [KEY_A]);
  const here = connectionBinding('here');
  const sealedA = a.seal('s3cret', here);
  expect(sealedA).toMatch(/^v2\./);
  expect(SecretBox.keyIdOf(sealedA)).toBe(a.keyId);
  expect(b.open(sealedA, here)).toBe('s3cret');
  expect(b.needsResealing(sealedA)).toBe(true);
  const resealed = b.reseal(sealedA, here);
  expect(SecretBox.keyIdOf(resealed)).toBe(b.keyId);
  expect(b.needsResealing(resealed)).toBe(false);
  expect(b.open(resealed, here)).toBe('s3cret');
  expect(b.previousKeyIds).toEqual([a.keyId, ...[KEY_A, KEY_B].map((k) => `v1:${v1KeyId(k)}`)]);
  // Without the previous key, an old value does not open, and the message names the variables, not the key.
  expect(() => new SecretBox(KEY_B).open(sealedA, here)).toThrow(/ENCRYPTION_KEY_PREVIOUS/);
  expect(() => a.open(resealed, here)).toThrow(/neither ENCRYPTION_KEY/);
  // Tampering is detected (authenticated encryption).
  const parts = resealed.split('.');
  parts[4] = Buffer.from('tampered').toString('base64url');
  expect(() => b.open(parts.join('.'), here)).toThrow(/altered/);
  // The key id is derived (HKDF), never the key nor its plain hash.
  for (const key of [KEY_A, KEY_B]) expect(new SecretBox(key).keyId).not.toBe(v1KeyId(key));
});

test('a sealed value is bound to its row: copied to another connection, it does not open', () => {
  const box = new SecretBox(KEY_A);
  const sealed = box.seal('s3cret', connectionBinding('sales'));
  expect(box.open(sealed, connectionBinding('sales'))).toBe('s3cret');
  expect(() => box.open(sealed, connectionBinding('crm'))).toThrow(/belongs to another row, or was altered/);
  expect(() => box.reseal(sealed, connectionBinding('crm'))).toThrow();
});

test('ENCRYPTION_KEY_PREVIOUS is a comma-separated list', () => {
  expect(loadConfig({ ENCRYPTION_KEY_PREVIOUS: `${KEY_A}, ${KEY_C}` }).encryptionKeyPrevious).toEqual([KEY_A, KEY_C]);
  expect(loadConfig({ ENCRYPTION_KEY_PREVIOUS: `${KEY_A},legacy:any old string` }).encryptionKeyPrevious).toEqual([KEY_A, 'legacy:any old string']);
  expect(loadConfig({}).encryptionKeyPrevious).toEqual([]);
});

test('rotate-encryption-key re-seals everything sealed with older keys, in batches; a second run changes nothing', async () => {
  const a = new SecretBox(KEY_A);
  const b = new SecretBox(KEY_B);
  const c = new SecretBox(KEY_C);
  await seed('a', ROWS, a);
  await seed('c', 40, c);
  await seed('b', 25, b); // already sealed with the new key: must not be touched
  const before = await sealedByName();

  const io = captureIo();
  const code = await runCommand(
    'rotate-encryption-key',
    ['--batch-size', '200'],
    configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: `${KEY_A},${KEY_C}` }),
    io,
  );
  expect(io.errors).toEqual([]);
  expect(code).toBe(0);
  expect(io.lines[0]).toBe(`sealing with key ${b.keyId} (ENCRYPTION_KEY); also opening ${new SecretBox(KEY_B, [KEY_A, KEY_C]).previousKeyIds.join(', ')}`);
  // Progress after every batch of 200, then a summary.
  expect(io.lines.filter((l) => l.startsWith('re-sealed '))).toEqual(
    Array.from({ length: Math.ceil((ROWS + 40) / 200) }, (_, i) => `re-sealed ${Math.min((i + 1) * 200, ROWS + 40)}/${ROWS + 40}`),
  );
  expect(io.lines[io.lines.length - 1]).toBe(`done: ${ROWS + 40} password(s) re-sealed with key ${b.keyId}`);

  const after = await sealedByName();
  expect(after.size).toBe(ROWS + 65);
  for (const [name, sealed] of after) {
    expect(SecretBox.keyIdOf(sealed)).toBe(b.keyId);
    expect(b.open(sealed, connectionBinding(name))).toBe(plaintextOf(name));
    if (name.startsWith('b-')) expect(sealed).toBe(before.get(name));
    else expect(sealed).not.toBe(before.get(name));
  }

  // Audited: one event per committed batch, by the CLI, naming counts and names, never a sealed value.
  const audited = async () =>
    (await ds.query(`SELECT actor, channel, action, target, after FROM audit_events WHERE action = 'system.rotate-encryption-key' ORDER BY id`)) as {
      actor: string;
      channel: string;
      target: string;
      after: { resealed: number; keyId: string };
    }[];
  const events = await audited();
  expect(events).toHaveLength(Math.ceil((ROWS + 40) / 200));
  expect(events.every((e) => e.actor === 'cli' && e.channel === 'cli' && e.target === b.keyId && e.after.keyId === b.keyId)).toBe(true);
  expect(events.reduce((sum, e) => sum + e.after.resealed, 0)).toBe(ROWS + 40);
  expect(JSON.stringify(events)).not.toMatch(/v[12]\.[A-Za-z0-9_-]+\./);

  // Idempotent: nothing left to do, nothing changes, nothing is recorded.
  const again = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: `${KEY_A},${KEY_C}` }), again)).toBe(0);
  expect(again.lines[again.lines.length - 1]).toBe(`nothing to re-seal: every connection password is sealed with key ${b.keyId}`);
  expect(await sealedByName()).toEqual(after);
  expect(await audited()).toHaveLength(events.length);
  await ds.query(`DELETE FROM connections`);
});

test('a password no configured key can open is named, left as it is, and the command exits 1', async () => {
  const b = new SecretBox(KEY_B);
  await seed('a', 3, new SecretBox(KEY_A));
  await seed('b', 2, b);
  const before = await sealedByName();
  const io = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B }), io)).toBe(1);
  expect(io.errors).toHaveLength(3);
  expect(io.errors[0]).toMatch(/^cannot re-seal the password of connection "a-00000" \(sealed with key .+\): add that key to ENCRYPTION_KEY_PREVIOUS$/);
  expect(io.errors.join('\n')).not.toContain(KEY_A);
  expect(await sealedByName()).toEqual(before);
  // With the old key given, the same command finishes the job.
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: KEY_A }), captureIo())).toBe(0);
  for (const [name, sealed] of await sealedByName()) expect(b.open(sealed, connectionBinding(name))).toBe(plaintextOf(name));
  await ds.query(`DELETE FROM connections`);
});

test('from the generated key kept in the database to ENCRYPTION_KEY: the stored key opens by itself', async () => {
  // No ENCRYPTION_KEY: the gateway generates one and keeps it in settings.
  const generated = await createServices(ds, configWith({}));
  await generated.close();
  const [{ value: stored }] = await ds.query(`SELECT value FROM settings WHERE key = 'encryption_key'`);
  await seed('g', 10, new SecretBox(storedKey(stored)));
  const io = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B }), io)).toBe(0);
  expect(io.lines[0]).toBe(
    `sealing with key ${new SecretBox(KEY_B).keyId} (ENCRYPTION_KEY); also opening ${new SecretBox(KEY_B, [storedKey(stored)]).previousKeyIds.join(', ')}`,
  );
  for (const [name, sealed] of await sealedByName()) expect(new SecretBox(KEY_B).open(sealed, connectionBinding(name))).toBe(plaintextOf(name));
  await ds.query(`DELETE FROM connections`);
});

test('the gateway configured with a new key and the old one as previous uses passwords sealed with either', async () => {
  await seed('a', 1, new SecretBox(KEY_A));
  const services = await createServices(ds, configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: KEY_A, PROBE_TIMEOUT_MS: '0' }));
  try {
    const [admin] = await ds.query(`SELECT id, login, email FROM users WHERE login = 'datasentinel'`).then((rows: any[]) => (rows.length ? rows : [null]));
    const principal = buildPrincipal(
      { userId: admin?.id ?? 1, login: 'datasentinel', email: 'datasentinel@datasentinel.local', profile: 'data admin', privilege: 'admin', live360: true },
      [],
    );
    const ctx = createRequestContext(services, principal);
    // Enabling re-probes with the stored password: it must be opened (sealed with KEY_A, a previous key).
    await expect(services.connections.enable(ctx, 'a-00000')).resolves.toBeDefined();
    // A new password is sealed with the current key.
    await services.connections.update(ctx, 'a-00000', { password: 'new-password' });
    const [{ password_encrypted: sealed }] = await ds.query(`SELECT password_encrypted FROM connections WHERE name = 'a-00000'`);
    expect(SecretBox.keyIdOf(sealed)).toBe(new SecretBox(KEY_B).keyId);
    expect(new SecretBox(KEY_B).open(sealed, connectionBinding('a-00000'))).toBe('new-password');
  } finally {
    await services.close();
  }
  // Without the previous key the same operation cannot open the old password: why ENCRYPTION_KEY_PREVIOUS exists.
  await ds.query(`UPDATE connections SET password_encrypted = $1 WHERE name = 'a-00000'`, [new SecretBox(KEY_A).seal('old', connectionBinding('a-00000'))]);
  const strict = await createServices(ds, configWith({ ENCRYPTION_KEY: KEY_B, PROBE_TIMEOUT_MS: '0' }));
  try {
    const ctx = createRequestContext(
      strict,
      buildPrincipal({ userId: 1, login: 'datasentinel', email: 'x@y', profile: 'data admin', privilege: 'admin', live360: true }, []),
    );
    await expect(strict.connections.enable(ctx, 'a-00000')).rejects.toThrow(/ENCRYPTION_KEY_PREVIOUS/);
  } finally {
    await strict.close();
  }
});

/** The previous release's key id of a configured key string (SHA-256 of SHA-256), as its fixture records it. */
function v1KeyId(material: string): string {
  const key = createHash('sha256').update(material, 'utf8').digest();
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

const ADMIN = { userId: 1, login: 'datasentinel', email: 'x@y', profile: 'data admin' as const, privilege: 'admin' as const, live360: true };

test('a sealed password moved to another row fails to open there, and rotation names it instead of re-sealing it', async () => {
  await ds.query(`DELETE FROM connections`);
  const box = new SecretBox(KEY_A);
  await seed('m', 2, box);
  // An attacker with write access to the table copies m-00000's sealed password into m-00001.
  await ds.query(`UPDATE connections SET password_encrypted = (SELECT password_encrypted FROM connections WHERE name = 'm-00000') WHERE name = 'm-00001'`);
  const services = await createServices(ds, configWith({ ENCRYPTION_KEY: KEY_A, PROBE_TIMEOUT_MS: '0' }));
  try {
    const ctx = createRequestContext(services, buildPrincipal(ADMIN, []));
    await expect(services.connections.enable(ctx, 'm-00000')).resolves.toBeDefined();
    await expect(services.connections.enable(ctx, 'm-00001')).rejects.toThrow(/belongs to another row/);
  } finally {
    await services.close();
  }
  const io = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: KEY_A }), io)).toBe(1);
  expect(io.errors).toEqual([
    `cannot re-seal the password of connection "m-00001" (sealed with key ${box.keyId}): it does not open for this connection (copied from another row, or altered); set the password again`,
  ]);
  await ds.query(`DELETE FROM connections`);
});

describe('upgrade from the previous release (v1 values, sealed by its code)', () => {
  interface Fixture {
    keys: { configured: string; passphrase: string; generated: string };
    rows: { name: string; key: 'configured' | 'passphrase' | 'generated'; password: string; sealed: string }[];
  }
  const fixture: Fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/v1-sealed-passwords.json'), 'utf8'));

  /** The database as the previous release left it: v1 values, and its generated key in settings. */
  async function restore(kinds: Fixture['rows'][number]['key'][]): Promise<void> {
    await ds.query(`DELETE FROM connections`);
    await ds.query(`DELETE FROM settings WHERE key = 'encryption_key'`);
    await ds.query(`INSERT INTO settings (key, value) VALUES ('encryption_key', $1)`, [fixture.keys.generated]);
    const rows = fixture.rows.filter((r) => kinds.includes(r.key));
    await ds.query(
      `INSERT INTO connections (name, host, port, username, password_encrypted)
       SELECT r->>'name', 'db.example', 5432, 'monitor', r->>'sealed' FROM jsonb_array_elements($1::jsonb) AS r`,
      [JSON.stringify(rows)],
    );
  }

  /** Each connection's password as the keyring of `config` opens it (the gateway's and the CLI's keyring). */
  async function passwordsSeen(config: Config): Promise<Record<string, string>> {
    const box = await openSecretBox(ds, config);
    const rows: { name: string; password_encrypted: string }[] = await ds.query(`SELECT name, password_encrypted FROM connections ORDER BY name`);
    return Object.fromEntries(rows.map((r) => [r.name, box.open(r.password_encrypted, connectionBinding(r.name))]));
  }
  const expected = (kinds: string[]) => Object.fromEntries(fixture.rows.filter((r) => kinds.includes(r.key)).map((r) => [r.name, r.password]));

  test('the fixture really is the previous form: v1 values under the previous key ids', () => {
    for (const row of fixture.rows) {
      expect(row.sealed).toMatch(/^v1\./);
      expect(SecretBox.keyIdOf(row.sealed)).toBe(`v1:${v1KeyId(fixture.keys[row.key])}`);
    }
  });

  test('with the same ENCRYPTION_KEY (and an old passphrase as legacy:), everything opens, then rotates to bound v2 values', async () => {
    await restore(['configured', 'passphrase', 'generated']);
    const env = { ENCRYPTION_KEY: fixture.keys.configured, ENCRYPTION_KEY_PREVIOUS: `legacy:${fixture.keys.passphrase}`, PROBE_TIMEOUT_MS: '0' };
    expect(await passwordsSeen(configWith(env))).toEqual(expected(['configured', 'passphrase', 'generated']));
    // The service path opens them too (enable re-probes with the stored password).
    const services = await createServices(ds, configWith(env));
    try {
      const ctx = createRequestContext(services, buildPrincipal(ADMIN, []));
      for (const row of fixture.rows) await expect(services.connections.enable(ctx, row.name)).resolves.toBeDefined();
    } finally {
      await services.close();
    }

    const io = captureIo();
    expect(await runCommand('rotate-encryption-key', [], configWith(env), io)).toBe(0);
    expect(io.lines[io.lines.length - 1]).toBe(`done: ${fixture.rows.length} password(s) re-sealed with key ${new SecretBox(fixture.keys.configured).keyId}`);
    const after = await sealedByName();
    for (const sealed of after.values()) {
      expect(sealed).toMatch(/^v2\./);
      expect(SecretBox.keyIdOf(sealed)).toBe(new SecretBox(fixture.keys.configured).keyId);
    }
    // Re-sealed values are bound to their row; the configured key alone now opens them all.
    expect(await passwordsSeen(configWith({ ENCRYPTION_KEY: fixture.keys.configured }))).toEqual(expected(['configured', 'passphrase', 'generated']));
    const [first, second] = [...after.keys()];
    expect(() => new SecretBox(fixture.keys.configured).open(after.get(first!)!, connectionBinding(second!))).toThrow(/another row/);
    // Idempotent.
    const again = captureIo();
    expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: fixture.keys.configured }), again)).toBe(0);
    expect(again.lines[again.lines.length - 1]).toMatch(/^nothing to re-seal/);
  });

  test('without ENCRYPTION_KEY, the key the previous release generated keeps working: opens v1, seals v2, rotates', async () => {
    await restore(['generated']);
    expect(await passwordsSeen(configWith({}))).toEqual(expected(['generated']));
    const generated = new SecretBox(storedKey(fixture.keys.generated));
    const services = await createServices(ds, configWith({ PROBE_TIMEOUT_MS: '0' }));
    try {
      const ctx = createRequestContext(services, buildPrincipal(ADMIN, []));
      await services.connections.update(ctx, 'generated-0', { password: 'a-new-one' });
    } finally {
      await services.close();
    }
    const [{ password_encrypted: sealed }] = await ds.query(`SELECT password_encrypted FROM connections WHERE name = 'generated-0'`);
    expect(SecretBox.keyIdOf(sealed)).toBe(generated.keyId);
    expect(generated.open(sealed, connectionBinding('generated-0'))).toBe('a-new-one');

    const io = captureIo();
    expect(await runCommand('rotate-encryption-key', [], configWith({}), io)).toBe(0);
    expect(io.lines[io.lines.length - 1]).toBe(`done: 2 password(s) re-sealed with key ${generated.keyId}`);
    for (const [, value] of await sealedByName()) expect(SecretBox.keyIdOf(value)).toBe(generated.keyId);
    expect(await passwordsSeen(configWith({}))).toEqual({ ...expected(['generated']), 'generated-0': 'a-new-one' });
    // The previous release's passphrase-sealed values do not open without it (legacy: is the only way in).
    await restore(['passphrase']);
    await expect(passwordsSeen(configWith({ ENCRYPTION_KEY: fixture.keys.configured }))).rejects.toThrow(/ENCRYPTION_KEY_PREVIOUS/);
  });
});
