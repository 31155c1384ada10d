import { LRUCache } from 'lru-cache';

/**
 * JSON text parsed once into a deeply frozen value that every row with the same text shares.
 *
 * Why: a dashboard page reads 50 connections, and parsing each one's `user_tags` (jsonb, which pg hands over as text
 * for `JSON.parse`) was about 40% of what reading the page cost the gateway (150 of 370 µs in a lab measurement with
 * 51 rows). Fleets repeat their tags (an environment, an application, a team...), and a dashboard repeats its pages,
 * so the same texts come back over and over. The value is a pure function of its text, so sharing it is exact and
 * needs no invalidation; freezing it keeps one reader from changing what another reads (an attempt throws in strict
 * mode). Bounded by the total length of the texts kept (least recently used first out).
 */
export class SharedJsonValues {
  private readonly values: LRUCache<string, object>;
  /**
   * The text and value last seen per owner (a row's primary key). Why: looking a text up by itself hashes all of
   * it, a fresh string from every row of every statement (2% of a dashboard request's CPU, BENCHMARKS.md); a page
   * read again finds each row's value by a number and one comparison of texts, which stops at the first difference.
   */
  private readonly latest: LRUCache<number | string, { text: string; value: object }>;

  /**
   * @param maxChars the total length of the JSON texts kept (2M characters: a few MB with their values).
   * @param maxOwners owners whose last text is remembered (each keeps its text alive: 200 bytes for a typical row).
   */
  constructor(maxChars = 2_000_000, maxOwners = 20_000) {
    this.values = new LRUCache<string, object>({ maxSize: maxChars, sizeCalculation: (_value, text) => Math.max(1, text.length) });
    this.latest = new LRUCache<number | string, { text: string; value: object }>({ max: Math.max(1, maxOwners) });
  }

  /**
   * The value of `text`. `owner`: the key of the row it was read from, when there is one (see {@link latest}); the
   * answer is the same with or without it.
   */
  parse(text: string, owner?: number | string): unknown {
    if (owner !== undefined) {
      const seen = this.latest.get(owner);
      if (seen !== undefined && seen.text === text) return seen.value;
    }
    let value: unknown = this.values.get(text);
    if (value === undefined) {
      value = deepFreeze(JSON.parse(text) as unknown);
      // Only objects and arrays are kept: a scalar costs nothing to parse again (and `null` is no cache value).
      if (typeof value !== 'object' || value === null) return value;
      this.values.set(text, value);
    }
    if (owner !== undefined) this.latest.set(owner, { text, value: value as object });
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
