/** PERSISTED_QUERIES and PERSISTED_QUERIES_MANIFEST: parsed at start, each bad value refused naming its variable. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { documentHash, normalizeHash } from '../../src/graphql/persisted-queries';
import { withoutSuggestions } from '../../src/graphql/format-error';

const MANIFEST = join(__dirname, '../../examples/generated/client/persisted-documents.json');
const dir = mkdtempSync(join(tmpdir(), 'pq-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('PERSISTED_QUERIES', () => {
  test('apq by default; off; trusted with the codegen manifest', () => {
    expect(loadConfig({}).persistedQueries).toEqual({ mode: 'apq', manifest: null });
    expect(loadConfig({ PERSISTED_QUERIES: 'OFF' }).persistedQueries).toEqual({ mode: 'off', manifest: null });
    const trusted = loadConfig({ PERSISTED_QUERIES: 'trusted', PERSISTED_QUERIES_MANIFEST: MANIFEST }).persistedQueries;
    const raw = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    expect(trusted.mode).toBe('trusted');
    expect([...trusted.manifest!.keys()]).toEqual(Object.keys(raw).map((k) => k.replace(/^sha256:/, '')));
  });

  test.each([
    [{ PERSISTED_QUERIES: 'automatic' }, /PERSISTED_QUERIES must be apq, trusted or off/],
    [{ PERSISTED_QUERIES: 'trusted' }, /PERSISTED_QUERIES_MANIFEST is required/],
    [{ PERSISTED_QUERIES: 'apq', PERSISTED_QUERIES_MANIFEST: MANIFEST }, /PERSISTED_QUERIES_MANIFEST is only read with PERSISTED_QUERIES=trusted/],
    [{ PERSISTED_QUERIES: 'trusted', PERSISTED_QUERIES_MANIFEST: join(dir, 'missing.json') }, /PERSISTED_QUERIES_MANIFEST: cannot read/],
    [{ PERSISTED_QUERIES: 'trusted', PERSISTED_QUERIES_MANIFEST: write('array.json', '[]') }, /PERSISTED_QUERIES_MANIFEST: .* must be a JSON object/],
    [{ PERSISTED_QUERIES: 'trusted', PERSISTED_QUERIES_MANIFEST: write('empty.json', '{}') }, /PERSISTED_QUERIES_MANIFEST: .* lists no document/],
    [
      { PERSISTED_QUERIES: 'trusted', PERSISTED_QUERIES_MANIFEST: write('bad-key.json', '{"me": "{ me { login } }"}') },
      /PERSISTED_QUERIES_MANIFEST: .*is not a SHA-256 hash/,
    ],
    [
      {
        PERSISTED_QUERIES: 'trusted',
        PERSISTED_QUERIES_MANIFEST: write('tampered.json', JSON.stringify({ [`sha256:${documentHash('{ me { login } }')}`]: '{ users { login } }' })),
      },
      /PERSISTED_QUERIES_MANIFEST: .*does not have that SHA-256/,
    ],
  ])('%j is refused at start', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('hashes: sha256:-prefixed or bare, lower-cased; anything else is no hash', () => {
    const hash = documentHash('{ __typename }');
    expect(normalizeHash(`sha256:${hash.toUpperCase()}`)).toBe(hash);
    expect(normalizeHash(hash)).toBe(hash);
    expect(normalizeHash('abc')).toBeNull();
    expect(normalizeHash(42)).toBeNull();
  });
});

test('suggestions are cut from every kind of graphql-js message', () => {
  expect(withoutSuggestions('Cannot query field "connectionz" on type "Query". Did you mean "connection" or "connections"?')).toBe(
    'Cannot query field "connectionz" on type "Query".',
  );
  expect(
    withoutSuggestions(
      'Variable "$o" got invalid value "NAMEE" at "o.field"; Value "NAMEE" does not exist in "ConnectionOrderField" enum. Did you mean the enum value "NAME"?',
    ),
  ).toBe('Variable "$o" got invalid value "NAMEE" at "o.field"; Value "NAMEE" does not exist in "ConnectionOrderField" enum.');
  expect(withoutSuggestions('Unknown operation.')).toBe('Unknown operation.');
});
