/**
 * The one adapter between live subscriptions and the replica's change feed (src/db/change-feed.ts, one LISTEN
 * connection per replica): everything else in src/subscriptions/ sees {@link Change}s, not channels or payloads.
 *
 * Channels:
 * - `ds_access_changed` (migrations AccessChangeNotifications, ApiKeys): `user:<id>`, `apikey:<id>`, or `all`;
 * - `ds_connection_changed` (migration ConnectionChangeNotifications): connection ids, comma-separated, or `all`.
 *
 * Whenever notifications may have been missed (the feed went deaf, including each (re)connection), it reports
 * `resync`: visible sets and credentials are then recomputed from scratch, which covers whatever changed meanwhile.
 * With PRINCIPAL_CACHE_TTL_MS=0 the replica's feed does not listen (nothing caches); subscriptions then open a feed of
 * their own, of the same class, when the first subscriber arrives.
 */
import { ACCESS_CHANNEL, ChangeFeed, CONNECTION_CHANNEL } from '../db/change-feed';
import type { Logger } from '../logger';

export type Change =
  /** These connections' rows changed (created, edited, retagged, probed, deleted). */
  | { type: 'connections'; ids: number[] }
  /** This user's account, roles or tokens changed, or one of their API keys. */
  | { type: 'user'; userId: number }
  | { type: 'apiKey'; keyId: string }
  /** Anything may have changed (a role rule, a bulk statement, notifications missed). */
  | { type: 'resync' };

/** Parses one notification; `null` for a channel this module does not use. */
export function parseNotification(channel: string, payload: string): Change | null {
  if (channel === CONNECTION_CHANNEL) {
    if (payload === 'all') return { type: 'resync' };
    const ids = payload.split(',').map(Number);
    return ids.every((id) => Number.isSafeInteger(id) && id > 0) ? { type: 'connections', ids } : { type: 'resync' };
  }
  if (channel === ACCESS_CHANNEL) {
    const user = /^user:(\d+)$/.exec(payload);
    if (user) return { type: 'user', userId: Number(user[1]) };
    const key = /^apikey:(\d+)$/.exec(payload);
    if (key) return { type: 'apiKey', keyId: key[1]! };
    return { type: 'resync' };
  }
  return null;
}

/** Feeds `onChange` from the replica's change feed (or, when that one is disabled, from one opened by {@link start}). */
export class SubscriptionChanges {
  private feed: ChangeFeed;
  private starting: Promise<void> | null = null;
  private readonly own: boolean;

  constructor(
    shared: ChangeFeed,
    listenUrl: string,
    private readonly onChange: (change: Change) => void,
    log?: Pick<Logger, 'warn' | 'info'>,
  ) {
    this.own = !shared.enabled;
    this.feed = this.own ? new ChangeFeed(listenUrl, true, log) : shared;
    for (const channel of [ACCESS_CHANNEL, CONNECTION_CHANNEL] as const) {
      this.feed.subscribe(channel, (payload) => {
        const change = parseNotification(channel, payload);
        if (change) this.onChange(change);
      });
    }
    this.feed.onDeaf(() => this.onChange({ type: 'resync' }));
  }

  /** Resolves once the feed has been started (the replica's is started with the services). */
  start(): Promise<void> {
    if (!this.own) return Promise.resolve();
    this.starting ??= this.feed.start();
    return this.starting;
  }

  async stop(): Promise<void> {
    if (this.own) await this.feed.stop();
  }
}
