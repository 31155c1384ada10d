/**
 * Per-replica cache of what depends only on a set of roles' matches (the materialized access relation) and on
 * those connections' tags:
 * - `count`: how many distinct connections the roles match: the `totalCount` of a restricted caller's unfiltered
 *   dashboard, each role's `connectionCount` in the administrators' overview;
 * - `tags`: the tag summary of a restricted caller (keys, values, counts).
 * These are asked on every page load and change rarely; they are the parts of a dashboard that grow with the fleet
 * (every matching entry is read). A connection's tags change only with a recomputation of its entries in
 * `role_connections` (the maintenance triggers run on every change of `tags` or `name`), so the same notification
 * covers both.
 *
 * It is exact, on the same footing as the principal cache: both subscribe to the change feed (src/db/change-feed.ts),
 * which owns the LISTEN connection, the barrier and the freshness marks:
 * - every statement that changes `role_connections` NOTIFYs `ds_membership_changed` (migration
 *   MembershipChangeNotifications), and every replica empties this cache when told;
 * - a request reads a cached count only after a barrier that started after the request arrived (or after the
 *   request's own last write committed, see `inTransaction`) has completed, so every change committed before that
 *   point has been received;
 * - a count computed while a notification arrived is not stored (generation check);
 * - without the LISTEN connection, or inside a transaction, nothing is read from or written to it;
 * - entries expire after PRINCIPAL_CACHE_TTL_MS, and at most `maxEntries` are kept.
 */
import { LRUCache } from 'lru-cache';
import type { EntityManager } from 'typeorm';
import { MEMBERSHIP_CHANNEL, type ChangeFeed } from '../db/change-feed';

/**
 * Tag keys with their number of distinct values and their values (with how many connections carry each), sorted by
 * key then value. `page`: the values are only that page of each key's values; absent, they are all of them.
 */
export type TagSummary = readonly {
  key: string;
  valueCount: number;
  values: readonly { value: string; count: number }[];
  page?: { first: number; after: string | null };
}[];

export interface MembershipValues {
  count: number;
  tags: TagSummary;
}

/** What one batch of reads may read and write, valid for that batch only. */
export interface MembershipCacheView {
  /** `variant` tells apart values of one kind computed differently (a tag summary's key filter). */
  get<K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], variant?: string): MembershipValues[K] | undefined;
  set<K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], value: MembershipValues[K], variant?: string): void;
}

const keyOf = (kind: string, roleIds: readonly number[], variant = '') => `${kind}${variant}:${[...roleIds].sort((a, b) => a - b).join(',')}`;
/** Cache room, in counts plus tag-summary values; a summary larger than a tenth of it is never kept. */
const MAX_SIZE = 500_000;
const sizeOf = (value: MembershipValues[keyof MembershipValues]) =>
  typeof value === 'number'
    ? 1
    : Math.max(
        1,
        value.reduce((n, tag) => n + tag.values.length, 0),
      );

export class MembershipCache {
  private readonly entries: LRUCache<string, MembershipValues[keyof MembershipValues]> | null;
  private generation = 0;
  /** Counters, exposed for tests. */
  readonly stats = { hits: 0, misses: 0, clears: 0 };

  constructor(
    private readonly feed: ChangeFeed,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.entries = feed.enabled
      ? new LRUCache<string, MembershipValues[keyof MembershipValues]>({
          max: maxEntries,
          ttl: ttlMs,
          maxSize: MAX_SIZE,
          maxEntrySize: MAX_SIZE / 10,
          sizeCalculation: sizeOf,
        })
      : null;
    feed.subscribe(MEMBERSHIP_CHANNEL, () => this.clear());
    feed.onDeaf(() => this.clear());
  }

  clear(): void {
    this.generation += 1;
    this.stats.clears += 1;
    this.entries?.clear();
  }

  /**
   * A view for one batch of a request whose reads must reflect every change committed before `mark`
   * ({@link ChangeFeed.mark}) and that reads through `manager`; `null` when the cache cannot be trusted now,
   * or inside a transaction (its own uncommitted writes are not in the cache).
   */
  async view(mark: number, manager: EntityManager): Promise<MembershipCacheView | null> {
    const entries = this.entries;
    if (!entries || manager.queryRunner?.isTransactionActive || !(await this.feed.catchUp(mark))) return null;
    const generation = this.generation;
    return {
      get: <K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], variant?: string) => {
        if (generation !== this.generation) return undefined;
        const value = entries.get(keyOf(kind, roleIds, variant)) as MembershipValues[K] | undefined;
        if (value === undefined) this.stats.misses += 1;
        else this.stats.hits += 1;
        return value;
      },
      set: <K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], value: MembershipValues[K], variant?: string) => {
        // Computed from data read after the view was opened: stale if a change arrived since.
        if (generation === this.generation && this.feed.active) entries.set(keyOf(kind, roleIds, variant), value);
      },
    };
  }
}
