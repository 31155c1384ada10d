/**
 * What each live subscriber can see, kept current from PostgreSQL's change notifications, and the events that
 * follow from it (`connectionEvents`, CONTRACT section 5).
 *
 * Exactness: every recomputation runs in one REPEATABLE READ snapshot that reads, together, the subscribers'
 * accounts (user, roles, token version, API key state) and the connections they may see through the materialized
 * access relation (`role_connections`, the relation `visibility()` renders every connection query with). A
 * subscriber's visibility is therefore the one of their roles *in that snapshot*, never a cached role set against
 * newer rows: an event can only name a connection the subscriber could see at the snapshot (ADDED, CHANGED) or could
 * see at the previous one (REMOVED, which carries only the name they already knew). An account gone, a token
 * version bumped, a key revoked or expired in the snapshot revokes the subscriber instead.
 *
 * Order: a batch takes the notified ids, then its snapshot, which may already hold later commits whose
 * notifications have not arrived. Their rows' versions are then already in the snapshot: for a changed id the event
 * comes with the batch that takes the id, so across connections events follow snapshots, not commit order (none is
 * lost, and one connection's events keep its order; test/integration/live-visibility-batches.test.ts pins this).
 *
 * Cost: subscribers are grouped by their effective role set (every unrestricted caller shares one group); each group
 * keeps the ids it sees with a row version (`xmin`). A batch of notifications, coalesced for a few milliseconds,
 * costs a constant number of statements whatever the number of subscribers: one for the accounts, one for the
 * changed connections (or, after a role change or a reconnection, the full relation of the roles in use), one for
 * the rows the events carry. Event lists are computed once per group (or per pair of groups for subscribers whose
 * roles changed) and shared by every subscriber in it.
 */
import type { DataSource } from 'typeorm';
import { isRoleMembership } from '../access/predicate';
import { buildPrincipal, visibility, type Principal } from '../context/principal';
import type { EntityRowMapper } from '../db/row-mapper';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { Privilege, Profile } from '../entities/user.entity';
import type { Logger } from '../logger';
import type { Change } from './change-feed';

export type ConnectionEventKind = 'ADDED' | 'CHANGED' | 'REMOVED';

export interface VisibilityEvent {
  kind: ConnectionEventKind;
  name: string;
  /** The row as of the snapshot that decided the event; `null` for REMOVED. */
  connection: ConnectionEntity | null;
}

/** What a subscriber proved in `connection_init`, re-checked against every snapshot. */
export type Credential =
  { kind: 'token'; userId: number; tokenVersion: number; /** epoch ms */ expiresAt: number } | { kind: 'apiKey'; userId: number; keyId: string };

export interface Subscriber {
  readonly credential: Credential;
  /** Refreshed by every batch (privilege, profile and roles as of the snapshot). */
  principal: Principal;
  /** Events of one batch, in order; called synchronously. */
  deliver(events: readonly VisibilityEvent[]): void;
  /** The credential no longer holds: close the socket (called once). */
  revoke(reason: string): void;
}

/** A row version: the name the subscriber knows it by and `xmin`, which changes with every update. */
interface Seen {
  name: string;
  version: string;
}
type VisibleSet = Map<number, Seen>;

interface Group {
  /** `null`: no role, sees every connection. */
  roleIds: readonly number[] | null;
  visible: VisibleSet;
}

interface Tracked {
  subscriber: Subscriber;
  /** The group whose visible set the subscriber was last brought up to; `null` before its first batch. */
  groupKey: string | null;
}

interface AccountRow {
  id: number;
  login: string;
  email: string;
  profile: Profile;
  privilege: Privilege;
  live360: boolean;
  token_version: number;
  role_ids: number[];
}

interface KeyRow {
  id: string;
  user_id: number;
  read_only: boolean;
  usable: boolean;
}

export interface LiveVisibilityOptions {
  /** How long notifications are gathered before a recomputation (a burst becomes one batch). */
  coalesceMs?: number;
  log?: Pick<Logger, 'warn' | 'error' | 'debug'>;
}

/**
 * The roles whose matches the principal sees, `null` for everything: read from the principal's own visibility
 * predicate (the one rule, src/access/predicate.ts `visibilityOfRoles`), so this engine cannot disagree with the
 * queries. A predicate of any other shape is refused (fail closed) rather than guessed at.
 */
function scopeOf(principal: Principal): readonly number[] | null {
  const predicate = visibility(principal);
  if (predicate.length === 0) return null;
  const term = predicate[0]!;
  if (predicate.length === 1 && isRoleMembership(term)) return term.roleIds;
  throw new Error('live subscriptions: unsupported visibility predicate');
}

const groupKeyOf = (principal: Principal): string => {
  const roles = scopeOf(principal);
  return roles === null ? '*' : `r:${roles.join(',')}`;
};

/**
 * Events turning `before` into `after`, over `ids` (every id of both when absent). A renamed connection is REMOVED
 * under its old name and ADDED under the new one, so a client keyed by name never keeps a stale entry. REMOVED come
 * first, then ADDED and CHANGED, each in name order.
 */
export function diffVisible(before: VisibleSet | null, after: VisibleSet, ids?: Iterable<number>): { kind: ConnectionEventKind; id: number; name: string }[] {
  if (before === null) return [];
  const removed: { kind: ConnectionEventKind; id: number; name: string }[] = [];
  const rest: { kind: ConnectionEventKind; id: number; name: string }[] = [];
  const consider = (id: number) => {
    const was = before.get(id);
    const is = after.get(id);
    if (was && !is) removed.push({ kind: 'REMOVED', id, name: was.name });
    else if (!was && is) rest.push({ kind: 'ADDED', id, name: is.name });
    else if (was && is) {
      if (was.name !== is.name) {
        removed.push({ kind: 'REMOVED', id, name: was.name });
        rest.push({ kind: 'ADDED', id, name: is.name });
      } else if (was.version !== is.version) rest.push({ kind: 'CHANGED', id, name: is.name });
    }
  };
  if (ids) for (const id of ids) consider(id);
  else {
    for (const id of before.keys()) consider(id);
    for (const id of after.keys()) if (!before.has(id)) consider(id);
  }
  const order = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...removed.sort(order), ...rest.sort(order)];
}

export class LiveVisibility {
  private readonly tracked = new Map<Subscriber, Tracked>();
  private readonly groups = new Map<string, Group>();
  /** Connection ids notified since the last batch, and whether everything must be recomputed. */
  private pendingIds = new Set<number>();
  private pendingFull = false;
  /** Subscribers waiting for their first batch, told when it is done. */
  private pendingJoins: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private failures = 0;
  private closed = false;
  /** Counters for tests and the bench. */
  readonly stats = { batches: 0, statements: 0, events: 0 };

  constructor(
    private readonly dataSource: DataSource,
    private readonly mapper: EntityRowMapper<ConnectionEntity>,
    private readonly options: LiveVisibilityOptions = {},
  ) {}

  get subscriberCount(): number {
    return this.tracked.size;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Starts tracking; resolves once the subscriber's visible set is known (its first batch ran). */
  add(subscriber: Subscriber): Promise<void> {
    this.tracked.set(subscriber, { subscriber, groupKey: null });
    return new Promise<void>((resolve) => {
      this.pendingJoins.push(resolve);
      this.schedule();
    });
  }

  remove(subscriber: Subscriber): void {
    this.tracked.delete(subscriber);
  }

  /** Applies one change notification (see change-feed.ts). */
  onChange(change: Change): void {
    if (change.type === 'connections') for (const id of change.ids) this.pendingIds.add(id);
    else if (change.type === 'resync') this.pendingFull = true;
    // user / apiKey: the accounts are re-read by every batch; the batch itself is what is needed.
    this.schedule();
  }

  private schedule(delayMs = this.options.coalesceMs ?? 5): void {
    if (this.closed || this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runBatch().finally(() => {
        this.running = null;
        if (this.pendingIds.size > 0 || this.pendingFull || this.pendingJoins.length > 0) {
          this.schedule(this.failures > 0 ? Math.min(100 * 2 ** this.failures, 5000) : undefined);
        }
      });
    }, delayMs);
  }

  private async runBatch(): Promise<void> {
    const ids = this.pendingIds;
    const full = this.pendingFull;
    const joins = this.pendingJoins;
    this.pendingIds = new Set();
    this.pendingFull = false;
    this.pendingJoins = [];
    try {
      await this.recompute(ids, full);
      this.failures = 0;
      for (const join of joins) join();
    } catch (error) {
      this.failures += 1;
      this.options.log?.warn({ reason: (error as Error).message }, 'subscriptions: recomputation failed; retrying');
      // Nothing of this batch was applied: everything is recomputed next time.
      this.pendingFull = true;
      this.pendingJoins.push(...joins);
    }
  }

  private async recompute(changedIds: ReadonlySet<number>, full: boolean): Promise<void> {
    const subscribers = [...this.tracked.values()];
    if (subscribers.length === 0) {
      this.groups.clear();
      return;
    }
    this.stats.batches += 1;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
        this.stats.statements += 1;
        return (await runner.query(sql, params)) as T[];
      };

      // 1. Every subscriber's account, as of this snapshot.
      const userIds = [...new Set(subscribers.map((t) => t.subscriber.credential.userId))];
      const keyIds = [...new Set(subscribers.flatMap((t) => (t.subscriber.credential.kind === 'apiKey' ? [t.subscriber.credential.keyId] : [])))];
      const users = new Map<number, AccountRow>();
      for (const row of await query<AccountRow>(
        `SELECT u.id, u.login, u.email, u.profile, u.privilege, u.live360, u.token_version,
                ARRAY(SELECT ur.role_id FROM user_roles ur WHERE ur.user_id = u.id ORDER BY ur.role_id) AS role_ids
           FROM users u WHERE u.id = ANY($1::int[])`,
        [userIds],
      )) {
        users.set(Number(row.id), row);
      }
      const keys = new Map<string, KeyRow>();
      if (keyIds.length > 0) {
        for (const row of await query<KeyRow>(
          `SELECT k.id::text AS id, k.user_id, k.read_only, k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AS usable
             FROM api_keys k WHERE k.id = ANY($1::bigint[])`,
          [keyIds],
        )) {
          keys.set(row.id, row);
        }
      }
      const revoked: [Tracked, string][] = [];
      const next = new Map<Tracked, Principal>();
      for (const t of subscribers) {
        const outcome = this.principalOf(t.subscriber.credential, users, keys);
        if (typeof outcome === 'string') revoked.push([t, outcome]);
        else next.set(t, outcome);
      }

      // 2. The visible sets the remaining subscribers need, recomputed in full or over the changed ids.
      const needed = new Map<string, readonly number[] | null>();
      for (const principal of next.values()) needed.set(groupKeyOf(principal), scopeOf(principal));
      const fullKeys = [...needed.keys()].filter((key) => full || !this.groups.has(key));
      const incrementalKeys = [...needed.keys()].filter((key) => !fullKeys.includes(key));
      const after = new Map<string, VisibleSet>();
      if (fullKeys.length > 0) {
        const roleIds = [...new Set(fullKeys.flatMap((key) => needed.get(key) ?? []))];
        const everything = fullKeys.some((key) => needed.get(key) === null);
        const rows = await query<{ role_id: number | null; id: number; name: string; version: string }>(
          `SELECT rc.role_id, c.id, c.name, c.xmin::text AS version
             FROM role_connections rc JOIN connections c ON c.id = rc.connection_id
            WHERE rc.role_id = ANY($1::int[])
           UNION ALL
           SELECT NULL, c.id, c.name, c.xmin::text FROM connections c WHERE $2`,
          [roleIds, everything],
        );
        const byRole = new Map<number | null, { id: number; name: string; version: string }[]>();
        for (const row of rows) {
          const role = row.role_id === null ? null : Number(row.role_id);
          let list = byRole.get(role);
          if (!list) byRole.set(role, (list = []));
          list.push(row);
        }
        for (const key of fullKeys) {
          const set: VisibleSet = new Map();
          const roles = needed.get(key)!;
          for (const role of roles === null ? [null] : roles)
            for (const row of byRole.get(role) ?? []) set.set(Number(row.id), { name: row.name, version: row.version });
          after.set(key, set);
        }
      }
      const ids = [...changedIds];
      const deltas = new Map<string, Map<number, Seen | null>>();
      if (incrementalKeys.length > 0 && ids.length > 0) {
        const rows = await query<{ id: number; name: string; version: string; role_ids: number[] }>(
          `SELECT c.id, c.name, c.xmin::text AS version,
                  ARRAY(SELECT rc.role_id FROM role_connections rc WHERE rc.connection_id = c.id) AS role_ids
             FROM connections c WHERE c.id = ANY($1::int[])`,
          [ids],
        );
        const current = new Map(rows.map((row) => [Number(row.id), row]));
        for (const key of incrementalKeys) {
          const roles = needed.get(key)!;
          const delta = new Map<number, Seen | null>();
          for (const id of ids) {
            const row = current.get(id);
            const sees = row !== undefined && (roles === null || row.role_ids.some((role) => roles.includes(Number(role))));
            delta.set(id, sees ? { name: row.name, version: row.version } : null);
          }
          deltas.set(key, delta);
        }
      }
      /** A group's set after this batch, built on demand for incremental groups (only pairs need it whole). */
      const afterOf = (key: string): VisibleSet => {
        let set = after.get(key);
        if (!set) {
          set = new Map(this.groups.get(key)!.visible);
          for (const [id, seen] of deltas.get(key) ?? []) {
            if (seen) set.set(id, seen);
            else set.delete(id);
          }
          after.set(key, set);
        }
        return set;
      };

      this.options.log?.debug(
        { full, changed: ids.length, fullGroups: fullKeys, incrementalGroups: incrementalKeys, revoked: revoked.length },
        'subscriptions: recomputing visible sets',
      );
      // 3. Events, once per (previous group, group now) pair.
      const eventLists = new Map<string, { kind: ConnectionEventKind; id: number; name: string }[]>();
      const assignments: [Tracked, Principal, string][] = [];
      for (const [t, principal] of next) {
        const key = groupKeyOf(principal);
        const pair = `${t.groupKey ?? '-'}|${key}`;
        if (!eventLists.has(pair)) {
          const before = t.groupKey === null ? null : (this.groups.get(t.groupKey)?.visible ?? null);
          if (before === null) eventLists.set(pair, []);
          else if (t.groupKey === key && !after.has(key)) {
            // Same group, only the changed ids moved: diff over them, without copying the group's set.
            const changed: VisibleSet = new Map();
            for (const [id, seen] of deltas.get(key) ?? []) if (seen) changed.set(id, seen);
            eventLists.set(pair, diffVisible(before, changed, ids));
          } else eventLists.set(pair, diffVisible(before, afterOf(key)));
        }
        assignments.push([t, principal, pair]);
      }

      // 4. The rows the events carry, from the same snapshot.
      const carried = new Set<number>();
      for (const list of eventLists.values()) for (const e of list) if (e.kind !== 'REMOVED') carried.add(e.id);
      const entities = new Map<number, ConnectionEntity>();
      if (carried.size > 0) {
        const rows = await query<Record<string, unknown>>(`SELECT ${this.mapper.selectList('c')} FROM connections c WHERE c.id = ANY($1::int[])`, [
          [...carried],
        ]);
        for (const row of rows) {
          const entity = this.mapper.map(row);
          entities.set(entity.id, entity);
        }
      }
      await runner.query('COMMIT');

      // 5. Apply: the groups' sets as of this snapshot (incremental ones patched in place), then the subscribers.
      const groupsNow = new Map<string, Group>();
      for (const [key, roles] of needed) {
        const existing = this.groups.get(key);
        let visible = after.get(key);
        if (!visible) {
          visible = existing!.visible;
          for (const [id, seen] of deltas.get(key) ?? []) {
            if (seen) visible.set(id, seen);
            else visible.delete(id);
          }
        }
        groupsNow.set(key, { roleIds: roles, visible });
      }
      this.groups.clear();
      for (const [key, group] of groupsNow) this.groups.set(key, group);

      const resolved = new Map<string, VisibilityEvent[]>();
      for (const [pair, list] of eventLists) {
        resolved.set(
          pair,
          list.map((e) => ({ kind: e.kind, name: e.name, connection: e.kind === 'REMOVED' ? null : (entities.get(e.id) ?? null) })),
        );
      }
      for (const [t, reason] of revoked) {
        this.tracked.delete(t.subscriber);
        t.subscriber.revoke(reason);
      }
      for (const [t, principal, pair] of assignments) {
        if (this.tracked.get(t.subscriber) !== t) continue; // left during the batch
        t.subscriber.principal = principal;
        t.groupKey = groupKeyOf(principal);
        const events = resolved.get(pair)!;
        if (events.length > 0) {
          this.stats.events += events.length;
          t.subscriber.deliver(events);
        }
      }
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** The caller a credential stands for in this snapshot, or why it no longer holds. */
  private principalOf(credential: Credential, users: ReadonlyMap<number, AccountRow>, keys: ReadonlyMap<string, KeyRow>): Principal | string {
    const user = users.get(credential.userId);
    if (!user) return 'User deleted';
    let apiKey: Principal['apiKey'];
    if (credential.kind === 'token') {
      if (user.token_version !== credential.tokenVersion) return 'Token revoked: create a new one';
      if (Date.now() >= credential.expiresAt) return 'Token expired: create a new one';
    } else {
      const key = keys.get(credential.keyId);
      if (!key || key.user_id !== credential.userId || !key.usable) return 'API key revoked or expired: create a new one';
      apiKey = { id: key.id, readOnly: key.read_only };
    }
    const principal = buildPrincipal(
      { userId: user.id, login: user.login, email: user.email, profile: user.profile, privilege: user.privilege, live360: user.live360 },
      user.role_ids.map((id) => ({ id: Number(id) })),
    );
    return apiKey ? { ...principal, apiKey } : principal;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    this.tracked.clear();
    this.groups.clear();
  }
}
