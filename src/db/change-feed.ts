/**
 * The change feed: one LISTEN connection per replica that hears every committed change to the access model, and the
 * freshness guarantees built on it. The per-replica caches (src/services/principal-cache.ts,
 * src/services/membership-cache.ts, the API key cache) subscribe to it; none of them holds a connection of its own.
 *
 * Correctness rests on PostgreSQL, not on timing: triggers (migrations AccessChangeNotifications and
 * MembershipChangeNotifications) NOTIFY on every change, whoever makes it, and every replica LISTENs.
 * - No listening connection (not yet started, dropped, reconnecting): subscribers are told they went *deaf*, and
 *   must neither trust nor fill their caches until the feed listens again (then they are told once more).
 * - A *barrier* (`SELECT 1` on the LISTEN connection) makes sure every notification committed before it started has
 *   been delivered: PostgreSQL delivers pending notifications to a listening session before it answers its next
 *   query. So "a change is seen by every replica on its next request" holds strictly, not just "within a few
 *   milliseconds". One barrier serves every request that arrived before it started, so under load it costs far
 *   less than one round trip per request.
 * - A request takes a *mark* ({@link ChangeFeed.mark}) when it arrives and after each write it commits;
 *   {@link ChangeFeed.catchUp} then tells whether every change committed before that mark has been delivered.
 * The connection uses LISTEN_DATABASE_URL when DATABASE_URL is a transaction pooler: a LISTEN through such a pooler
 * hears nothing, and the connection is refused (src/db/notification-check.ts).
 */
import { Client } from 'pg';
import type { Logger } from '../logger';
import { checkNotificationDelivery } from './notification-check';

/** Sent by migration AccessChangeNotifications on every change to users, roles or assignments. */
export const ACCESS_CHANNEL = 'ds_access_changed';
/** Sent by migration MembershipChangeNotifications when the materialized access relation changes. */
export const MEMBERSHIP_CHANNEL = 'ds_membership_changed';
/** Sent by migration ConnectionChangeNotifications with the ids of changed connections (live subscriptions). */
export const CONNECTION_CHANNEL = 'ds_connection_changed';
export type ChangeChannel = typeof ACCESS_CHANNEL | typeof MEMBERSHIP_CHANNEL | typeof CONNECTION_CHANNEL;

export class ChangeFeed {
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
  private readonly subscribers = new Map<ChangeChannel, ((payload: string) => void)[]>();
  /** Told whenever notifications may have been missed (see {@link onDeaf}). */
  private readonly deafListeners: (() => void)[] = [];
  /** Counters, exposed for tests and metrics. */
  readonly stats = { barriers: 0 };

  /** `enabled` false (PRINCIPAL_CACHE_TTL_MS=0): no connection is opened and the feed never listens. */
  constructor(
    private readonly databaseUrl: string,
    readonly enabled: boolean,
    private readonly log?: Pick<Logger, 'warn' | 'info'>,
  ) {}

  /** True while notifications are being received, i.e. while caches fed by them can be trusted. */
  get active(): boolean {
    return this.enabled && this.listening;
  }

  /** Opens the LISTEN connection; on failure runs deaf (caches bypassed) and retries in the background. */
  async start(): Promise<void> {
    if (!this.enabled) return;
    await this.connect().catch((error) => {
      this.log?.warn({ reason: (error as Error).message }, 'principal cache: cannot LISTEN, running uncached');
      this.scheduleReconnect();
    });
  }

  /** `listener` is told the payload of every notification on `channel` (and of local ones, see {@link publish}). */
  subscribe(channel: ChangeChannel, listener: (payload: string) => void): void {
    this.subscribers.set(channel, [...(this.subscribers.get(channel) ?? []), listener]);
  }

  /** `listener` is told whenever notifications may have been missed: what it caches can no longer be trusted. */
  onDeaf(listener: () => void): void {
    this.deafListeners.push(listener);
  }

  /**
   * Hands a change to the subscribers at once, as if it had been notified: the replica that commits a change uses it
   * right after its commit, so its own next request never waits for the notification's round trip.
   */
  publish(channel: ChangeChannel, payload: string): void {
    for (const listener of this.subscribers.get(channel) ?? []) listener(payload);
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
      if (!(await this.sync())) return false;
    }
    return this.active;
  }

  /**
   * Resolves `true` once every notification committed before this call has been processed; `false` (and deaf) when
   * the barrier failed. Requests arriving while a barrier is in flight share the next one.
   */
  async sync(): Promise<boolean> {
    try {
      await this.barrier();
      return true;
    } catch {
      this.goDeaf();
      return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    this.goDeaf();
    await client?.end().catch(() => undefined);
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
      if (message.channel === ACCESS_CHANNEL || message.channel === MEMBERSHIP_CHANNEL || message.channel === CONNECTION_CHANNEL) {
        this.publish(message.channel, message.payload ?? 'all');
      }
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${ACCESS_CHANNEL}; LISTEN ${MEMBERSHIP_CHANNEL}; LISTEN ${CONNECTION_CHANNEL}`);
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
    for (const listener of this.deafListeners) listener();
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
}
