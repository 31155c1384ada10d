/**
 * Rotation of the key that seals monitored-connection passwords at rest: SecretBox as a keyring, the
 * `rotate-encryption-key` command (batches, progress, idempotence, unreadable rows), and the gateway opening
 * passwords sealed with a previous key.
 */
import type { DataSource } from 'typeorm';
import { runCommand, type CliIo } from '../../src/cli/commands';
import { loadConfig, type Config } from '../../src/config';
import { buildPrincipal } from '../../src/context/principal';
import { createRequestContext } from '../../src/context/request-context';
import { createDataSource } from '../../src/db/data-source';
import { createServices } from '../../src/services';
import { SecretBox } from '../../src/services/secret-box';
import { createTestDatabase, type TestDatabase } from '../support/database';

const KEY_A = 'key-A-0123456789-0123456789-0123456789';
const KEY_B = 'key-B-9876543210-9876543210-9876543210';
const KEY_C = 'key-C-an-older-one-still-in-rotation';
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
  const rows = Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${String(i).padStart(5, '0')}`, sealed: box.seal(`pw-${prefix}-${i}`) }));
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
  const sealedA = a.seal('s3cret');
  expect(SecretBox.keyIdOf(sealedA)).toBe(a.keyId);
  expect(b.open(sealedA)).toBe('s3cret');
  expect(b.needsResealing(sealedA)).toBe(true);
  const resealed = b.reseal(sealedA);
  expect(SecretBox.keyIdOf(resealed)).toBe(b.keyId);
  expect(b.needsResealing(resealed)).toBe(false);
  expect(b.open(resealed)).toBe('s3cret');
  expect(b.previousKeyIds).toEqual([a.keyId]);
  // Without the previous key, an old value does not open, and the message names the variables, not the key.
  expect(() => new SecretBox(KEY_B).open(sealedA)).toThrow(/ENCRYPTION_KEY_PREVIOUS/);
  expect(() => a.open(resealed)).toThrow(/neither ENCRYPTION_KEY/);
  // Tampering is detected (authenticated encryption).
  const parts = resealed.split('.');
  parts[4] = Buffer.from('tampered').toString('base64url');
  expect(() => b.open(parts.join('.'))).toThrow();
});

test('ENCRYPTION_KEY_PREVIOUS is a comma-separated list', () => {
  expect(loadConfig({ ENCRYPTION_KEY_PREVIOUS: `${KEY_A}, ${KEY_C}` }).encryptionKeyPrevious).toEqual([KEY_A, KEY_C]);
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
  const code = await runCommand('rotate-encryption-key', ['--batch-size', '200'], configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: `${KEY_A},${KEY_C}` }), io);
  expect(io.errors).toEqual([]);
  expect(code).toBe(0);
  expect(io.lines[0]).toBe(`sealing with key ${b.keyId} (ENCRYPTION_KEY); also opening ${a.keyId}, ${c.keyId}`);
  // Progress after every batch of 200, then a summary.
  expect(io.lines.filter((l) => l.startsWith('re-sealed '))).toEqual(
    Array.from({ length: Math.ceil((ROWS + 40) / 200) }, (_, i) => `re-sealed ${Math.min((i + 1) * 200, ROWS + 40)}/${ROWS + 40}`),
  );
  expect(io.lines[io.lines.length - 1]).toBe(`done: ${ROWS + 40} password(s) re-sealed with key ${b.keyId}`);

  const after = await sealedByName();
  expect(after.size).toBe(ROWS + 65);
  for (const [name, sealed] of after) {
    expect(SecretBox.keyIdOf(sealed)).toBe(b.keyId);
    expect(b.open(sealed)).toBe(plaintextOf(name));
    if (name.startsWith('b-')) expect(sealed).toBe(before.get(name));
    else expect(sealed).not.toBe(before.get(name));
  }

  // Idempotent: nothing left to do, nothing changes.
  const again = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: `${KEY_A},${KEY_C}` }), again)).toBe(0);
  expect(again.lines[again.lines.length - 1]).toBe(`nothing to re-seal: every connection password is sealed with key ${b.keyId}`);
  expect(await sealedByName()).toEqual(after);
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
  for (const [name, sealed] of await sealedByName()) expect(b.open(sealed)).toBe(plaintextOf(name));
  await ds.query(`DELETE FROM connections`);
});

test('from the generated key kept in the database to ENCRYPTION_KEY: the stored key opens by itself', async () => {
  // No ENCRYPTION_KEY: the gateway generates one and keeps it in settings.
  const generated = await createServices(ds, configWith({}));
  await generated.close();
  const [{ value: storedKey }] = await ds.query(`SELECT value FROM settings WHERE key = 'encryption_key'`);
  await seed('g', 10, new SecretBox(storedKey));
  const io = captureIo();
  expect(await runCommand('rotate-encryption-key', [], configWith({ ENCRYPTION_KEY: KEY_B }), io)).toBe(0);
  expect(io.lines[0]).toBe(`sealing with key ${new SecretBox(KEY_B).keyId} (ENCRYPTION_KEY); also opening ${new SecretBox(storedKey).keyId}`);
  for (const [name, sealed] of await sealedByName()) expect(new SecretBox(KEY_B).open(sealed)).toBe(plaintextOf(name));
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
    expect(new SecretBox(KEY_B).open(sealed)).toBe('new-password');
  } finally {
    await services.close();
  }
  // Without the previous key the same operation cannot open the old password: why ENCRYPTION_KEY_PREVIOUS exists.
  await ds.query(`UPDATE connections SET password_encrypted = $1 WHERE name = 'a-00000'`, [new SecretBox(KEY_A).seal('old')]);
  const strict = await createServices(ds, configWith({ ENCRYPTION_KEY: KEY_B, PROBE_TIMEOUT_MS: '0' }));
  try {
    const ctx = createRequestContext(strict, buildPrincipal({ userId: 1, login: 'datasentinel', email: 'x@y', profile: 'data admin', privilege: 'admin', live360: true }, []));
    await expect(strict.connections.enable(ctx, 'a-00000')).rejects.toThrow(/ENCRYPTION_KEY_PREVIOUS/);
  } finally {
    await strict.close();
  }
});
