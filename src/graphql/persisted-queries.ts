/**
 * Persisted queries (`PERSISTED_QUERIES`), in one of three modes:
 *
 * | mode | what runs | for |
 * | --- | --- | --- |
 * | `apq` (default) | any document; a client may send only its SHA-256 once the gateway has seen its text | dashboards sending big documents often |
 * | `trusted` | only documents of the manifest (`PERSISTED_QUERIES_MANIFEST`), by hash or by text | a locked-down production dashboard |
 * | `off` | any document, always as text; hash-only requests are refused | the smallest surface without a manifest |
 *
 * Whatever the mode, a document is resolved to its text *before* the request limits run (src/graphql/request-gate.ts),
 * and Apollo is handed exactly that text: a document sent by hash passes the same checks, with the variables of the
 * request, as one sent in full. In `apq` mode Apollo keeps the registered documents in {@link PersistedDocumentCache},
 * a bounded LRU shared with the gate; Apollo stores a document only after it passed parsing, validation and every
 * plugin, and the gate refuses one over a limit before Apollo sees it, so a refused document is never stored.
 *
 * The manifest is the client preset's `persisted-documents.json` (codegen.ts), a JSON object mapping hashes
 * (`sha256:<hex>` or `<hex>`) to documents; each hash is checked against its document when the manifest is loaded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
// @apollo/utils.keyvaluecache: the cache interface Apollo Server takes, and its switch to store keys unprefixed.
import { PrefixingKeyValueCache, type KeyValueCache } from '@apollo/utils.keyvaluecache';
import { LRUCache } from 'lru-cache';

export const PERSISTED_QUERY_MODES = ['apq', 'trusted', 'off'] as const;
export type PersistedQueryMode = (typeof PERSISTED_QUERY_MODES)[number];

export interface PersistedQueryConfig {
  mode: PersistedQueryMode;
  /** Hash (lower-case hex SHA-256) → document; set exactly in `trusted` mode. */
  manifest: ReadonlyMap<string, string> | null;
}

/** The SHA-256 of a document's text, in lower-case hex: the hash APQ clients send. */
export function documentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `sha256:ABC…` or `abc…` → `abc…`; `null` when it is not a SHA-256 in hex. */
export function normalizeHash(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const hex = raw.replace(/^sha256:/, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** Reads and checks a manifest; throws an Error saying what is wrong with it. */
export function loadManifest(path: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read "${path}" as JSON (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`"${path}" must be a JSON object mapping hashes to documents`);
  const manifest = new Map<string, string>();
  for (const [key, document] of Object.entries(parsed)) {
    const hash = normalizeHash(key);
    if (!hash || typeof document !== 'string') throw new Error(`"${path}": "${key.slice(0, 80)}" is not a SHA-256 hash mapped to a document`);
    if (documentHash(document) !== hash)
      throw new Error(`"${path}": the document of ${key.slice(0, 80)} does not have that SHA-256 (regenerate it with npm run codegen)`);
    manifest.set(hash, document);
  }
  if (manifest.size === 0) throw new Error(`"${path}" lists no document`);
  return manifest;
}

/**
 * The APQ documents of one replica: an LRU bounded by the total length of the texts (each document is at most
 * GRAPHQL_MAX_DOCUMENT_BYTES), handed to Apollo as its `persistedQueries.cache` and read by the request gate.
 */
export class PersistedDocumentCache implements KeyValueCache<string> {
  private readonly lru: LRUCache<string, string>;
  /** What Apollo is given: this store, keyed by the bare hash (Apollo would otherwise prefix its keys with `apq:`). */
  readonly apolloCache: KeyValueCache<string>;

  constructor(maxChars: number) {
    this.lru = new LRUCache<string, string>({ maxSize: maxChars, sizeCalculation: (text) => Math.max(1, text.length) });
    this.apolloCache = PrefixingKeyValueCache.cacheDangerouslyDoesNotNeedPrefixesForIsolation(this);
  }

  async get(hash: string): Promise<string | undefined> {
    return this.lru.get(hash);
  }

  async set(hash: string, text: string): Promise<void> {
    this.lru.set(hash, text); // Apollo's optional ttl is not used: the size bound is what matters here
  }

  async delete(hash: string): Promise<boolean> {
    return this.lru.delete(hash);
  }

  /** Documents held now (for tests and metrics). */
  get size(): number {
    return this.lru.size;
  }

  /** Total length of the documents held, as counted against the bound. */
  get chars(): number {
    return this.lru.calculatedSize;
  }
}
