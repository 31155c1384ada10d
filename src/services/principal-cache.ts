/**
 * Per-replica cache of resolved callers (user, roles, compiled visibility), so the hot path of a request costs no
 * database round trip to find out who is asking.
 *
 * Correctness rests on PostgreSQL, not on timing: triggers (migration AccessChangeNotifications) NOTIFY
 * `ds_access_changed` on every change to users, roles or assignments, whoever makes it, and every replica LISTENs.
 * - No listening connection (not yet started, dropped, reconnecting): the cache is bypassed and emptied.
 * - A load that raced with a notification is not stored (generation check), so a stale read cannot be cached.
 * - Before a cached entry is used, a *barrier* (`SELECT 1` on the LISTEN connection) makes sure every notification
 *   committed before the request arrived has been received: PostgreSQL delivers pending notifications to a
 *   listening session before it answers its next query. This makes "a change is seen by every replica on its
 *   next request" hold strictly, not just "within a few milliseconds". One barrier serves every request that
 *   arrived before it started, so under load it costs far less than one round trip per request.
 * - Entries also expire after a TTL, a last safety net.
 * The replica that makes a change also invalidates locally right after its commit, so its own next request never
 * waits for the notification's round trip.
 */
import { LRUCache } from 'lru-cache';
import { Client } from 'pg';
import { checkNotificationDelivery } from '../db/notification-check';
import type { Principal } from '../context/principal';
import type { Logger } from '../logger';

export const ACCESS_CHANNEL = 'ds_access_changed';
/** Sent by migration MembershipChangeNotifications when the materialized access relation changes. */
export const MEMBERSHIP_CHANNEL = 'ds_membership_changed';

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
  private client: Client | null = null;
  private listening = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** The barrier query in flight, and the one queued behind it for requests that arrived after it started. */
  private barrierInFlight: Promise<void> | null = null;
  private barrierQueued: Promise<void> | null = null;
  /** Barriers started so far, and the highest number of one that completed (see {@link mark}). */
  private barriersStarted = 0;
  private barriersCompleted = 0;
  /** Told when the access relation changed, and when notifications may have been missed (see {@link onStale}). */
  private readonly staleListeners: ((reason: 'membership' | 'deaf') => void)[] = [];
  /** Told every invalidation payload (see {@link onInvalidate}). */
  private readonly invalidationListeners: ((payload: string) => void)[] = [];
  /** Counters, exposed for tests and metrics. */
  readonly stats = { hits: 0, misses: 0, invalidations: 0, barriers: 0 };

  constructor(
    private readonly databaseUrl: string,
    private readonly ttlMs: number,
    private readonly log?: Pick<Logger, 'warn' | 'info'>,
    maxEntries = 10_000,
  ) {
    this.entries = new LRUCache<number, Entry>({ max: Math.max(1, maxEntries) });
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
    return this.enabled && this.listening;
  }

  async start(): Promise<void> {
    if (!this.enabled) return;
    await this.connect().catch((error) => {
      this.log?.warn({ reason: (error as Error).message }, 'principal cache: cannot LISTEN, running uncached');
      this.scheduleReconnect();
    });
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'ds-access-gateway listener' });
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.client = null;
      this.goDeaf();
      if (!this.stopped) {
        this.log?.warn({ reason }, 'principal cache: lost the LISTEN connection, running uncached until it is back');
        this.scheduleReconnect();
      }
    };
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (message) => {
      if (message.channel === MEMBERSHIP_CHANNEL) for (const listener of this.staleListeners) listener('membership');
      else if (message.channel === ACCESS_CHANNEL) this.invalidate(message.payload ?? 'all');
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${ACCESS_CHANNEL}; LISTEN ${MEMBERSHIP_CHANNEL}`);
      // A LISTEN through a transaction pooler "works" but hears nothing: refuse to trust such a connection.
      await checkNotificationDelivery(client, this.databaseUrl);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    // Anything cached before we were listening may have missed a notification.
    this.goDeaf();
    this.listening = true;
  }

  private scheduleReconnect(delayMs = 1000): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch(() => this.scheduleReconnect(Math.min(delayMs * 2, 30_000)));
    }, delayMs);
    this.reconnectTimer.unref();
  }

  private goDeaf(): void {
    this.listening = false;
    this.generation += 1;
    this.entries.clear();
    for (const listener of this.staleListeners) listener('deaf');
  }

  /**
   * Registers a cache that depends on the same notifications: told `membership` on every change to the access
   * relation, and `deaf` whenever notifications may have been missed (entries can no longer be trusted).
   */
  onStale(listener: (reason: 'membership' | 'deaf') => void): void {
    this.staleListeners.push(listener);
  }

  /**
   * Registers a cache keyed by something else than the user (the API key cache): told every invalidation payload,
   * local or by NOTIFY, before any later barrier completes. Pair it with {@link onStale} for `deaf`.
   */
  onInvalidate(listener: (payload: string) => void): void {
    this.invalidationListeners.push(listener);
  }

  /**
   * A point in time for {@link catchUp}: take it when a request arrives (or right after it committed a write).
   * Barriers numbered above it started later.
   */
  mark(): number {
    return this.barriersStarted;
  }

  /**
   * Resolves `true` once every notification committed before `mark` was taken has been processed (a barrier that
   * started after it has completed: often one already has, for the caller's own lookup), `false` when notifications
   * are not being received and caches must not be trusted.
   */
  async catchUp(mark: number): Promise<boolean> {
    if (!this.active) return false;
    if (this.barriersCompleted <= mark) {
      try {
        await this.barrier();
      } catch {
        this.goDeaf();
        return false;
      }
    }
    return this.active;
  }

  /**
   * Applies a notification payload: `user:<id>`, `apikey:<id>` (no resolved caller changes: only the API key cache
   * listens to it) or anything else (= everything).
   */
  invalidate(payload: string): void {
    this.stats.invalidations += 1;
    this.generation += 1;
    const match = /^user:(\d+)$/.exec(payload);
    if (match) this.entries.delete(Number(match[1]));
    else if (!/^apikey:\d+$/.test(payload)) this.entries.clear();
    for (const listener of this.invalidationListeners) listener(payload);
  }

  /**
   * The caller with this id and token version, from the cache when it can be trusted, else from `load` (which
   * returns `null` for a deleted user or a revoked token version). `tokenVersion` `null` (an API key: a password
   * change does not revoke it) accepts whatever version is current.
   */
  async resolve(userId: number, tokenVersion: number | null, load: () => Promise<Principal | null>): Promise<Principal | null> {
    if (this.active && this.entries.has(userId)) {
      await this.barrier().catch(() => this.goDeaf());
    }
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

  /**
   * Resolves once every notification committed before this call has been processed. Requests arriving while a
   * barrier is in flight share the next one (the in-flight one may have started before they arrived).
   *
   * Both slots are cleared when their barrier settles, so the state always returns to "nothing in flight": a slot
   * left holding a settled promise would answer every later call at once, without a round trip, and the
   * guarantee would silently stop holding for the life of the process.
   */
  private barrier(): Promise<void> {
    if (!this.barrierInFlight) return this.startBarrier();
    this.barrierQueued ??= this.barrierInFlight.then(
      () => this.takeQueued(),
      () => this.takeQueued(),
    );
    return this.barrierQueued;
  }

  private startBarrier(): Promise<void> {
    const run: Promise<void> = this.runBarrier().finally(() => {
      if (this.barrierInFlight === run) this.barrierInFlight = null;
    });
    this.barrierInFlight = run;
    return run;
  }

  /**
   * Runs when the barrier the queued requests waited behind has settled: they need one that started after they
   * arrived. A barrier started since then (by a request arriving in between) qualifies; otherwise start one.
   */
  private takeQueued(): Promise<void> {
    this.barrierQueued = null;
    return this.barrierInFlight ?? this.startBarrier();
  }

  private async runBarrier(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('not listening');
    this.stats.barriers += 1;
    const number = ++this.barriersStarted;
    await client.query('SELECT 1');
    this.barriersCompleted = Math.max(this.barriersCompleted, number);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    this.goDeaf();
    await client?.end().catch(() => undefined);
  }
}
