/**
 * Per-replica cache of membership counts: how many distinct connections a set of roles matches, the `totalCount` of
 * a restricted caller's unfiltered dashboard and each role's `connectionCount` in the administrators' overview.
 * These are asked on every page load and change rarely; counting is the one part of a dashboard that grows with
 * the fleet (an index-only scan of every matching entry).
 *
 * It is exact, on the same footing as the principal cache (src/services/principal-cache.ts), whose LISTEN connection
 * and barrier it shares:
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
import type { PrincipalCache } from './principal-cache';

/** What one batch of counts may read and write, valid for that batch only. */
export interface MembershipCountView {
  get(roleIds: readonly number[]): number | undefined;
  set(roleIds: readonly number[], count: number): void;
}

const keyOf = (roleIds: readonly number[]) => [...roleIds].sort((a, b) => a - b).join(',');

export class MembershipCountCache {
  private readonly entries: LRUCache<string, number> | null;
  private generation = 0;
  /** Counters, exposed for tests. */
  readonly stats = { hits: 0, misses: 0, clears: 0 };

  constructor(
    private readonly listener: PrincipalCache,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.entries = listener.enabled ? new LRUCache({ max: maxEntries, ttl: ttlMs }) : null;
    listener.onStale(() => this.clear());
  }

  clear(): void {
    this.generation += 1;
    this.stats.clears += 1;
    this.entries?.clear();
  }

  /**
   * A view for one batch of a request whose reads must reflect every change committed before `mark`
   * ({@link PrincipalCache.mark}); `null` when the cache cannot be trusted now.
   */
  async view(mark: number): Promise<MembershipCountView | null> {
    const entries = this.entries;
    if (!entries || !(await this.listener.catchUp(mark))) return null;
    const generation = this.generation;
    return {
      get: (roleIds) => {
        if (generation !== this.generation) return undefined;
        const count = entries.get(keyOf(roleIds));
        if (count === undefined) this.stats.misses += 1;
        else this.stats.hits += 1;
        return count;
      },
      set: (roleIds, count) => {
        // Counted from data read after the view was opened: stale if a change arrived since.
        if (generation === this.generation && this.listener.active) entries.set(keyOf(roleIds), count);
      },
    };
  }
}
