/**
 * The one adapter between live subscriptions and PostgreSQL's change notifications: everything else in
 * src/subscriptions/ sees {@link Change}s, not channels or payloads. When the LISTEN machinery moves (issue 15 puts
 * it in src/db), only this file follows it.
 *
 * Channels:
 * - `ds_access_changed` (migrations AccessChangeNotifications, ApiKeys): `user:<id>`, `apikey:<id>`, or `all`;
 * - `ds_connection_changed` (migration ConnectionChangeNotifications): connection ids, comma-separated, or `all`.
 *
 * It holds a session of its own (LISTEN_DATABASE_URL, else DATABASE_URL), opened by the first subscriber, so a
 * replica nobody subscribes to holds none. Delivery is proven once per session (src/db/notification-check.ts: a
 * transaction pooler would swallow notifications). While the session is lost nothing is heard, so on every
 * (re)connection the feed reports `resync`: the subscribers' visible sets and credentials are then recomputed from
 * scratch, which also covers whatever changed while it was deaf.
 */
import { Client } from 'pg';
import { checkNotificationDelivery } from '../db/notification-check';
import type { Logger } from '../logger';

export const ACCESS_CHANNEL = 'ds_access_changed';
export const CONNECTION_CHANNEL = 'ds_connection_changed';

export type Change =
  /** These connections' rows changed (created, edited, retagged, probed, deleted). */
  | { type: 'connections'; ids: number[] }
  /** This user's account, roles or tokens changed, or one of their API keys. */
  | { type: 'user'; userId: number }
  | { type: 'apiKey'; keyId: string }
  /** Anything may have changed (a role rule, a bulk statement, a reconnection after deafness). */
  | { type: 'resync' };

/** Parses one notification; `null` for a payload this module does not know (ignored). */
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

export class ChangeFeed {
  private client: Client | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly onChange: (change: Change) => void,
    private readonly log?: Pick<Logger, 'warn' | 'info'>,
  ) {}

  /** True while notifications are being received. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Resolves once listening (the first call connects; later calls share it). Rejects when it cannot LISTEN. */
  start(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.starting ??= this.connect().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: 'ds-access-gateway subscriptions' });
    const lost = (reason: string) => {
      if (this.client !== client) return;
      this.client = null;
      if (this.stopped) return;
      this.log?.warn({ reason }, 'subscriptions: lost the LISTEN connection; events wait until it is back');
      this.scheduleReconnect();
    };
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (message) => {
      const change = parseNotification(message.channel, message.payload ?? '');
      if (change) this.onChange(change);
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${ACCESS_CHANNEL}; LISTEN ${CONNECTION_CHANNEL}`);
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
    // Whatever happened before we were listening was not heard.
    this.onChange({ type: 'resync' });
  }

  private scheduleReconnect(delayMs = 500): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.start().catch(() => this.scheduleReconnect(Math.min(delayMs * 2, 10_000)));
    }, delayMs);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
