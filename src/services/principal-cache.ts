/**
 * Per-replica cache of resolved callers (user, roles, compiled visibility), so the hot path of a request costs no
 * database round trip to find out who is asking.
 *
 * Exact, not eventually consistent: it is fed by the change feed (src/db/change-feed.ts), which owns the LISTEN
 * connection, the barrier and the freshness marks.
 * - While the feed does not listen (not yet started, dropped, reconnecting), the cache is bypassed and emptied.
 * - A load that raced with a notification is not stored (generation check), so a stale read cannot be cached.
 * - Before a cached entry is used, a barrier makes sure every notification committed before the request arrived has
 *   been received.
 * - Entries also expire after a TTL, a last safety net.
 * The replica that makes a change also invalidates locally right after its commit ({@link ChangeFeed.publish}), so
 * its own next request never waits for the notification's round trip.
 */
import { LRUCache } from 'lru-cache';
import { ACCESS_CHANNEL, type ChangeFeed } from '../db/change-feed';
import type { Principal } from '../context/principal';

interface Entry {
  principal: Principal;
  /** The token version the entry was checked against; `null` when loaded for an API key (no version check). */
  tokenVersion: number | null;
  expiresAt: number;
}

export class PrincipalCache {
  /** Bounded: the least recently used caller goes first once `maxEntries` are held. */
  private readonly entries: LRUCache<number, Entry>;
  private generation = 0;
  /** Counters, exposed for tests and metrics. */
  readonly stats = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly feed: ChangeFeed,
    private readonly ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.entries = new LRUCache<number, Entry>({ max: Math.max(1, maxEntries) });
    feed.subscribe(ACCESS_CHANNEL, (payload) => this.invalidate(payload));
    feed.onDeaf(() => this.forgetAll());
  }

  /** Callers held now (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** True while notifications are being received, i.e. while cached entries can be trusted. */
  get active(): boolean {
    return this.enabled && this.feed.active;
  }

  /**
   * Applies a `ds_access_changed` payload: `user:<id>`, `apikey:<id>` (no resolved caller changes: only the API key
   * cache cares) or anything else (= everything).
   */
  private invalidate(payload: string): void {
    this.stats.invalidations += 1;
    this.generation += 1;
    const match = /^user:(\d+)$/.exec(payload);
    if (match) this.entries.delete(Number(match[1]));
    else if (!/^apikey:\d+$/.test(payload)) this.entries.clear();
  }

  private forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /**
   * The caller with this id and token version, from the cache when it can be trusted, else from `load` (which
   * returns `null` for a deleted user or a revoked token version). `tokenVersion` `null` (an API key: a password
   * change does not revoke it) accepts whatever version is current.
   */
  async resolve(userId: number, tokenVersion: number | null, load: () => Promise<Principal | null>): Promise<Principal | null> {
    if (this.active && this.entries.has(userId)) await this.feed.sync();
    if (this.active) {
      const entry = this.entries.get(userId);
      if (entry && entry.expiresAt > Date.now() && (tokenVersion === null || entry.tokenVersion === tokenVersion)) {
        this.stats.hits += 1;
        return entry.principal;
      }
    }
    this.stats.misses += 1;
    const generation = this.generation;
    const principal = await load();
    if (principal && this.active && generation === this.generation) {
      this.entries.set(userId, { principal, tokenVersion, expiresAt: Date.now() + this.ttlMs });
    }
    return principal;
  }
}
