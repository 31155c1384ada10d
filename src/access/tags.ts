/**
 * Connection tags: `key=value` pairs attached to a monitored connection.
 *
 * User tags are entered by administrators (REST takes them as one string, `"k1=v1,k2=v2"`); automatic tags are
 * computed by the gateway from the connection itself and may be used in role filters like any other tag.
 */
import { AppError } from '../errors/app-error';

export interface TagPair {
  key: string;
  value: string;
}

/** Tags the gateway sets itself; users may not set them. */
export const AUTOMATIC_TAG_KEYS = ['pg_instance', 'server', 'pg_version'] as const;
export type AutomaticTagKey = (typeof AUTOMATIC_TAG_KEYS)[number];
/**
 * Automatic keys with (about) one value per connection, left out of tag signatures (migration TagSignatures): a
 * condition on any other key is decided by a connection's signature alone.
 */
export const PER_CONNECTION_TAG_KEYS: readonly string[] = ['pg_instance', 'server'];

export const TAG_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
export const MAX_TAG_VALUE_LENGTH = 256;
/** Upper bound on the number of user tags on one connection; keeps rows and GIN entries small. */
export const MAX_TAGS_PER_CONNECTION = 64;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * True when `text` is well-formed UTF-16: no lone surrogate (`"\ud800"` from a JSON escape). PostgreSQL refuses
 * one inside jsonb and silently turns one in text into U+FFFD, so every string the API stores is checked first.
 * (`String.prototype.isWellFormed` does the same, but is not in this project's ES2023 library types; with the `u`
 * flag a regular expression reads surrogate pairs as one code point, so `\p{Cs}` matches only a lone surrogate.)
 */
export function isWellFormedText(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

/** The message for text that is not well-formed, after the field name. */
export const LONE_SURROGATE_PROBLEM = 'is not well-formed Unicode (it contains a lone surrogate, such as "\\ud800")';

/**
 * The automatic tags of a connection, in {@link AUTOMATIC_TAG_KEYS} order (`pg_version` only once a probe read it).
 * The same derivation as the database's `ds_connection_tags()` (InitialSchema migration), which fills the indexed
 * `connections.tags` column the matching engine reads; reading them from these three columns spares every page the
 * whole tag object (test/integration/rule-parity.test.ts checks both agree case by case, matching.test.ts on every row).
 */
export function automaticTags(connection: { host: string; name: string; pgVersion: string | null }): TagPair[] {
  return appendAutomaticTags(connection, [] as TagPair[], (key, value) => ({ key, value }));
}

/**
 * {@link automaticTags}, each made by `make` and appended to `into` (returned): for a caller that builds objects of
 * its own (`Connection.tags` builds them for the 50 connections of a dashboard page on every request, without the
 * intermediate pairs).
 */
export function appendAutomaticTags<T>(
  connection: { host: string; name: string; pgVersion: string | null },
  into: T[],
  make: (key: AutomaticTagKey, value: string) => T,
): T[] {
  into.push(make('pg_instance', `${connection.host}@${connection.name}`), make('server', connection.host));
  if (connection.pgVersion !== null) into.push(make('pg_version', connection.pgVersion));
  return into;
}

/**
 * Orders strings by code point, as PostgreSQL's "C" collation orders UTF-8 (the order of a tag summary's values).
 * JavaScript's `<` compares UTF-16 code units, which puts a character above U+FFFF (a surrogate pair,
 * 0xD800-0xDFFF) before U+E000-U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

const codePointRank = (unit: number) => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

export function isAutomaticTagKey(key: string): key is AutomaticTagKey {
  return (AUTOMATIC_TAG_KEYS as readonly string[]).includes(key);
}

/** Why `key` is not a valid tag key, or `null` when it is. */
export function tagKeyProblem(key: string): string | null {
  if (key === '') return 'the key is empty';
  if (!TAG_KEY_PATTERN.test(key)) {
    return 'a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -';
  }
  return null;
}

/** Why `value` (already trimmed) is not a valid tag value, or `null` when it is. */
export function tagValueProblem(value: string): string | null {
  if (value === '') return 'the value is empty';
  if (value.length > MAX_TAG_VALUE_LENGTH) return `the value is longer than ${MAX_TAG_VALUE_LENGTH} characters`;
  if (value.includes(',')) return 'the value contains ","';
  if (CONTROL_CHARACTERS.test(value)) return 'the value contains a control character';
  if (!isWellFormedText(value)) return 'the value is not well-formed Unicode (it contains a lone surrogate)';
  return null;
}

function describePair(pair: TagPair): string {
  return JSON.stringify(`${pair.key}=${pair.value}`);
}

/**
 * Validates and normalizes user tags: trims keys and values, rejects bad syntax, duplicate keys and automatic keys.
 * Order is kept, so what a user wrote is what they read back.
 *
 * @throws AppError BAD_USER_INPUT naming the first bad pair.
 */
export function normalizeUserTags(pairs: readonly TagPair[], field = 'tags'): TagPair[] {
  if (pairs.length > MAX_TAGS_PER_CONNECTION) {
    throw new AppError('BAD_USER_INPUT', `At most ${MAX_TAGS_PER_CONNECTION} tags per connection`, { field });
  }
  const seen = new Set<string>();
  return pairs.map((raw) => {
    const pair = { key: raw.key.trim(), value: raw.value.trim() };
    const problem = tagKeyProblem(pair.key) ?? tagValueProblem(pair.value);
    if (problem) throw new AppError('BAD_USER_INPUT', `Invalid tag ${describePair(raw)}: ${problem}`, { field });
    if (isAutomaticTagKey(pair.key)) {
      throw new AppError('BAD_USER_INPUT', `Invalid tag ${describePair(raw)}: "${pair.key}" is set automatically by the gateway`, { field });
    }
    if (seen.has(pair.key)) {
      throw new AppError('BAD_USER_INPUT', `Invalid tag ${describePair(raw)}: key "${pair.key}" appears twice`, {
        field,
      });
    }
    seen.add(pair.key);
    return pair;
  });
}

/**
 * Parses the vendor's tag string, `"k1=v1,k2=v2"` (empty or blank means no tag). Each pair is split at its first `=`,
 * so a value may itself contain `=`. The result still has to go through {@link normalizeUserTags}.
 *
 * @example parseTagString('application=sales, environment=production')
 *   // [{ key: 'application', value: 'sales' }, { key: 'environment', value: 'production' }]
 */
export function parseTagString(input: string, field = 'tags'): TagPair[] {
  if (input.trim() === '') return [];
  return input.split(',').map((segment) => {
    const at = segment.indexOf('=');
    if (at < 0) {
      const shown = segment.trim() === '' ? 'an empty pair (two commas in a row, or a trailing comma)' : JSON.stringify(segment.trim());
      throw new AppError('BAD_USER_INPUT', `Invalid tag ${shown}: expected key=value`, { field });
    }
    return { key: segment.slice(0, at), value: segment.slice(at + 1) };
  });
}

export function formatTagString(pairs: readonly TagPair[]): string {
  return pairs.map((p) => `${p.key}=${p.value}`).join(',');
}
