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
import type { EntityManager } from 'typeorm';
import { MEMBERSHIP_CHANNEL, type ChangeFeed } from '../db/change-feed';
import { ExactCache } from './exact-cache';

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

/** An {@link ExactCache} on `ds_membership_changed`, keyed by kind, role set and variant. */
export class MembershipCache {
  private readonly cache: ExactCache<MembershipValues[keyof MembershipValues]>;

  constructor(feed: ChangeFeed, ttlMs: number, maxEntries = 10_000) {
    this.cache = new ExactCache(feed, [MEMBERSHIP_CHANNEL], { ttlMs, maxEntries, maxSize: MAX_SIZE, sizeOf });
  }

  /** Counters, exposed for tests. */
  get stats(): ExactCache<MembershipValues[keyof MembershipValues]>['stats'] {
    return this.cache.stats;
  }

  clear(): void {
    this.cache.clear();
  }

  /** See {@link ExactCache.view}. */
  async view(mark: number, manager: EntityManager): Promise<MembershipCacheView | null> {
    const view = await this.cache.view(mark, manager);
    if (!view) return null;
    return {
      get: <K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], variant?: string) =>
        view.get(keyOf(kind, roleIds, variant)) as MembershipValues[K] | undefined,
      set: <K extends keyof MembershipValues>(kind: K, roleIds: readonly number[], value: MembershipValues[K], variant?: string) =>
        view.set(keyOf(kind, roleIds, variant), value),
    };
  }
}
