/**
 * Sign-in throttling against password guessing, for every way of signing in (GraphQL `createToken`, REST
 * `/ds-api/user-token`): {@link AuthService} asks it before checking a password.
 *
 * Three counters of failed sign-ins, each with its own window and block (src/security-config.ts):
 * - login + client address (default 10 failures in 15 min → blocked 15 min): the classic guessing attack;
 * - client address (100 in 1 h → 1 h): one source trying many accounts;
 * - login, from anywhere (50 in 15 min → 5 min): a distributed attack on one account. Higher and shorter, because
 *   it also stops the account's owner: a block always expires, so nobody can lock the administrator out for good.
 * A successful sign-in clears its login + address counter and does not count against the others.
 *
 * An attempt is counted *before* the password is checked (an atomic upsert), so a burst of parallel guesses cannot
 * slip through between a read and a write, and a refused attempt costs a few indexed statements, never a password
 * hash. The counters live in PostgreSQL (table `login_throttle`, created by a migration), shared by every replica.
 */
import { queryPoolWithReconnect } from '../db/connection-retry';
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
// rate-limiter-flexible (maintained, widely used): atomic PostgreSQL counters with windows and blocks.
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { AppError } from '../errors/app-error';
import type { LoginThrottleConfig, ThrottleRule } from '../security-config';

export const THROTTLE_TABLE = 'login_throttle';

/** What a sign-in reports back once the password has been checked. */
export interface LoginAttempt {
  /** The credentials were right: clear the login + address counter, give back the other points. */
  succeeded(): Promise<void>;
  /**
   * The credentials could not be checked at all (the directory did not answer): the attempt is given back to every
   * counter, so an outage does not lock people out. Never used for a wrong or unknown credential.
   */
  unchecked(): Promise<void>;
}

interface Counter {
  name: 'login+address' | 'address' | 'login';
  limiter: RateLimiterPostgres;
  key: string;
}

/**
 * The address a counter is kept for: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64 network, since one
 * machine commonly holds a whole /64. `undefined` when the adapter could not tell.
 */
export function addressKey(address: string | undefined): string | undefined {
  if (!address) return undefined;
  let value = address.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped) value = mapped[1]!;
  if (isIPv4(value)) return value;
  const zoneless = value.replace(/%.*$/, '');
  if (!isIPv6(zoneless)) return value.slice(0, 100);
  const [head = '', tail = ''] = zoneless.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = zoneless.includes('::') ? (tail ? tail.split(':') : []) : [];
  const missing = 8 - headParts.length - tailParts.length;
  const groups = [...headParts, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailParts];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/** The login a counter is kept for: as typed, case-insensitive, bounded in size. */
export function loginKey(login: string): string {
  const normalized = login.trim().toLowerCase();
  return normalized.length <= 200 ? normalized : `sha256:${createHash('sha256').update(normalized).digest('hex')}`;
}

/**
 * The store's client: the data source's pg pool, with statement names dropped. rate-limiter-flexible names its
 * statements (`login_throttle:rlflx-upsert`, …), i.e. prepares each once per server session. Behind a pooler in
 * transaction mode (PgBouncer) server sessions are shared between client connections, so the second client to prepare
 * the name on one session fails with `prepared statement "login_throttle:rlflx-upsert" already exists` (and a client
 * whose statement was prepared on another session, with `does not exist`). Unnamed statements are parsed with each
 * execution, like every other statement the gateway sends, which costs nothing measurable for these one-row upserts.
 * The store has no option for this; with `storeType: 'client'` it calls exactly `query({ name, text, values })`.
 *
 * These statements bypass TypeORM's query runner and so its recovery from sessions the server ended: a statement that
 * met a dead pooled client is sent again here. Sending a counter's upsert twice can only count one failure twice,
 * which makes the throttle stricter, never laxer.
 */
export function unnamedStatementClient(dataSource: DataSource): { query(q: { text: string; values?: unknown[] }): Promise<unknown> } {
  const pool = () => (dataSource.driver as unknown as { master: Pool }).master;
  return {
    query: ({ text, values }) => queryPoolWithReconnect(() => pool().query(text, values), pool().options.max ?? 10),
  };
}

export class LoginThrottle {
  private readonly limiters: Partial<Record<Counter['name'], RateLimiterPostgres>> = {};

  constructor(dataSource: DataSource, config: LoginThrottleConfig | undefined) {
    const make = (keyPrefix: string, rule: ThrottleRule | null | undefined, clearExpired: boolean) =>
      rule
        ? new RateLimiterPostgres({
            storeClient: unnamedStatementClient(dataSource),
            storeType: 'client',
            tableName: THROTTLE_TABLE,
            tableCreated: true, // created by migrations/…-LoginThrottle.ts, never at run time
            clearExpiredByTimeout: clearExpired,
            keyPrefix,
            // Points are failures; the one that goes past `points` is refused and starts the block.
            points: rule.failures,
            duration: rule.windowSeconds,
            blockDuration: rule.blockSeconds,
          })
        : undefined;
    // One periodic clean-up of expired rows is enough for the shared table.
    this.limiters['login+address'] = make('la', config?.perLoginAndAddress, true);
    this.limiters.address = make('a', config?.perAddress, !this.limiters['login+address']);
    this.limiters.login = make('l', config?.perLogin, !this.limiters['login+address'] && !this.limiters.address);
  }

  /**
   * Counts one attempt that names no login, only a secret: an API key (src/services/api-key.service.ts) or a token
   * whose details are asked by possession (`GET /ds-api/user-token?token=`). Only the per-address counter, the one
   * password sign-ins from that address also use: guessing secrets and guessing passwords share one budget.
   * There is no login to count per (a key's prefix would let anyone lock a partner's key out from anywhere), and
   * the secret itself must never reach the table. Without a client address nothing is counted.
   */
  beginForAddress(clientAddress: string | undefined): Promise<LoginAttempt> {
    return this.consume(this.counters('', clientAddress).filter((c) => c.name === 'address'));
  }

  private counters(login: string, clientAddress: string | undefined): Counter[] {
    const user = loginKey(login);
    const address = addressKey(clientAddress);
    const candidates: [Counter['name'], string | undefined][] = [
      ['login+address', address === undefined ? undefined : `${user}|${address}`],
      ['address', address],
      ['login', user],
    ];
    return candidates.flatMap(([name, key]) => {
      const limiter = this.limiters[name];
      return limiter && key !== undefined ? [{ name, limiter, key }] : [];
    });
  }

  /**
   * Counts one sign-in attempt, or refuses it with `RATE_LIMITED` (and `retryAfterSeconds`) when a counter is
   * blocked. A refused attempt is not counted anywhere else, so hammering a blocked address cannot use up the
   * account's own budget. Without a client address only the per-login counter applies.
   */
  begin(login: string, clientAddress: string | undefined): Promise<LoginAttempt> {
    return this.consume(this.counters(login, clientAddress));
  }

  private async consume(counters: Counter[]): Promise<LoginAttempt> {
    const outcomes = await Promise.allSettled(counters.map((c) => c.limiter.consume(c.key)));
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' && o.reason instanceof RateLimiterRes ? [o.reason] : []));
    const faults = outcomes.flatMap((o) => (o.status === 'rejected' && !(o.reason instanceof RateLimiterRes) ? [o.reason as unknown] : []));
    if (refusals.length > 0 || faults.length > 0) {
      await Promise.all(counters.map((c, i) => (outcomes[i]!.status === 'fulfilled' ? c.limiter.reward(c.key).catch(() => undefined) : undefined)));
      if (faults.length > 0) throw faults[0];
      const waitMs = Math.max(...refusals.map((r) => r.msBeforeNext));
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new AppError('RATE_LIMITED', `Too many failed sign-in attempts: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    return {
      succeeded: async () => {
        await Promise.all(counters.map((c) => (c.name === 'login+address' ? c.limiter.delete(c.key) : c.limiter.reward(c.key))));
      },
      unchecked: async () => {
        await Promise.all(counters.map((c) => c.limiter.reward(c.key)));
      },
    };
  }
}
