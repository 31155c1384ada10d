/**
 * A per-replica cache that is exact, not merely fresh: what it holds is dropped on every replica as soon as a change
 * that could alter it commits, whoever makes it. The mechanism every such cache shares (src/db/change-feed.ts):
 * - the tables behind the cached values NOTIFY one of the feed's channels in the writing transaction, and every
 *   replica empties the cache when told (and when its listening connection may have missed something: deaf);
 * - a request reads the cache only after a barrier that started after the request arrived (or after the request's
 *   own last write committed) has completed, so every change committed before that point has been received;
 * - a value computed while a notification arrived is not stored (generation check);
 * - without the listening connection, or inside a transaction (whose own uncommitted writes the cache cannot know),
 *   nothing is read from or written to it;
 * - entries expire after `ttlMs`, and at most `maxEntries` (and `maxSize`, when values have sizes) are kept.
 *
 * Values are shared between requests: callers must not modify them.
 */
import { LRUCache } from 'lru-cache';
import type { EntityManager } from 'typeorm';
import type { ChangeChannel, ChangeFeed } from '../db/change-feed';

/** What one batch of reads may read and write, valid for that batch only. */
export interface ExactCacheView<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
}

export interface ExactCacheOptions<V> {
  ttlMs: number;
  maxEntries?: number;
  /** Room in units of `sizeOf`; an entry larger than a tenth of it is never kept. */
  maxSize?: number;
  sizeOf?: (value: V) => number;
}

export class ExactCache<V extends NonNullable<unknown>> {
  private readonly entries: LRUCache<string, V> | null;
  private generation = 0;
  /** Counters, exposed for tests. */
  readonly stats = { hits: 0, misses: 0, clears: 0 };

  constructor(
    private readonly feed: ChangeFeed,
    channels: readonly ChangeChannel[],
    options: ExactCacheOptions<V>,
  ) {
    const { ttlMs, maxEntries = 10_000, maxSize, sizeOf } = options;
    this.entries = feed.enabled
      ? new LRUCache<string, V>({
          max: maxEntries,
          ttl: ttlMs,
          ...(maxSize && sizeOf ? { maxSize, maxEntrySize: maxSize / 10, sizeCalculation: sizeOf } : {}),
        })
      : null;
    for (const channel of channels) feed.subscribe(channel, () => this.clear());
    feed.onDeaf(() => this.clear());
  }

  clear(): void {
    this.generation += 1;
    this.stats.clears += 1;
    this.entries?.clear();
  }

  /**
   * A view for one batch of a request whose reads must reflect every change committed before `mark`
   * ({@link ChangeFeed.mark}) and that reads through `manager`; `null` when the cache cannot be trusted now.
   */
  async view(mark: number, manager: EntityManager): Promise<ExactCacheView<V> | null> {
    const entries = this.entries;
    if (!entries || manager.queryRunner?.isTransactionActive || !(await this.feed.catchUp(mark))) return null;
    const generation = this.generation;
    return {
      get: (key) => {
        if (generation !== this.generation) return undefined;
        const value = entries.get(key);
        if (value === undefined) this.stats.misses += 1;
        else this.stats.hits += 1;
        return value;
      },
      set: (key, value) => {
        // Computed from data read after the view was opened: stale if a change arrived since.
        if (generation === this.generation && this.feed.active) entries.set(key, value);
      },
    };
  }
}
