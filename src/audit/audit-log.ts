/**
 * The audit log: who changed what, when, through which channel, and every sign-in (CONTRACT section 5).
 *
 * Writing: services call {@link AuditLog.record} with their transaction's EntityManager, inside the transaction of
 * the change, so a rolled-back change leaves no event and no event exists without its change. One INSERT per change
 * (test/e2e/audit-statements.test.ts counts it). Sign-in failures change nothing: they are recorded on their own.
 *
 * The application only ever inserts and reads: a trigger refuses UPDATE and TRUNCATE, and DELETE outside
 * {@link AuditLog.purge} (migration AuditEvents), and the runtime role is granted only INSERT and SELECT.
 *
 * @example
 *   await inTransaction(ctx, async (tx) => {
 *     const role = await tx.manager.save(...);
 *     await audit.record(tx.manager, { ...tx.acting, action: 'role.create', target: role.name, after: roleSnapshot(role) });
 *   });
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { RequestContext } from '../context/request-context';
import { AppError } from '../errors/app-error';
import { requireAdministrator } from '../services/authorization';
import { isBigintId } from '../services/global-id';
import { pageArgs, type PageArgs } from '../services/pagination';
import type { Acting } from './acting';
import { redact, type AuditValues } from './audit-values';

/** Every action an event may name: `<targetType>.<verb>` (CONTRACT section 5). */
export const AUDIT_ACTIONS = [
  'connection.create',
  'connection.update',
  'connection.delete',
  'connection.enable',
  'connection.disable',
  'connection.import',
  'role.create',
  'role.update',
  'role.delete',
  'user.create',
  'user.update',
  'user.delete',
  'user.password-reset',
  'apikey.create',
  'apikey.revoke',
  'auth.sign-in',
  'auth.sign-in-failure',
  'system.rotate-encryption-key',
  'system.audit-purge',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One event to write: who acts, and what they did to which target. */
export interface AuditRecord extends Acting {
  action: AuditAction;
  /** The changed object's name (role name, user login, connection name, API key id …), bounded to 200 characters. */
  target: string;
  /** The changed fields before the change (updates), or the whole object (deletions); nothing for a creation. */
  before?: AuditValues | null;
  /** The changed fields after the change (updates), or the whole object (creations); nothing for a deletion. */
  after?: AuditValues | null;
}

/** A stored event, as the API shows it (a class: `Node` tells its GraphQL type by `instanceof`). */
export class AuditEvent {
  /** The table's bigint id, as decimal text (the GraphQL `id` is its global id). */
  id!: string;
  at!: Date;
  actor!: string;
  channel!: string;
  requestId!: string | null;
  action!: string;
  targetType!: string;
  target!: string;
  before!: unknown;
  after!: unknown;
}

const asEvents = (rows: AuditEvent[]): AuditEvent[] => rows.map((row) => Object.assign(new AuditEvent(), row));

/** The events with these ids (decimal text), in no particular order: `node(id)`, administrators only (the caller checks). */
export async function auditEventsByIds(manager: EntityManager, ids: readonly string[]): Promise<AuditEvent[]> {
  const wanted = ids.filter(isBigintId);
  if (wanted.length === 0) return [];
  return asEvents(await manager.query(`SELECT ${COLUMNS} FROM audit_events WHERE id = ANY($1::bigint[])`, [wanted]));
}

/** Narrows `auditEvents` and the export; every given condition must hold. `until` is exclusive. */
export interface AuditFilter {
  actor?: string | null;
  action?: string | null;
  targetType?: string | null;
  target?: string | null;
  since?: Date | null;
  until?: Date | null;
}

// `id` as text (bigint); ORDER BY names `audit_events.id`, or it would sort by this text alias.
const COLUMNS = `id::text AS id, at, actor, channel, request_id AS "requestId", action, target_type AS "targetType", target, before, after`;
const EXPORT_BATCH = 1000;

/** Bounded text for a column with a length check; cut on a code point, never inside a surrogate pair. */
function bounded(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

/** The SQL conditions of a filter, numbered from `$1`. */
function conditionsOf(filter: AuditFilter | null | undefined): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (filter?.actor != null) add((n) => `actor = ${n}`, filter.actor);
  if (filter?.action != null) add((n) => `action = ${n}`, filter.action);
  if (filter?.targetType != null) add((n) => `target_type = ${n}`, filter.targetType);
  if (filter?.target != null) add((n) => `target = ${n}`, filter.target);
  if (filter?.since != null) add((n) => `at >= ${n}`, filter.since);
  if (filter?.until != null) add((n) => `at < ${n}`, filter.until);
  return { where, params };
}

/** A cursor's id: the page cursors of every list are opaque, this one holds the event id as decimal text. */
function cursorId(page: PageArgs): string | null {
  if (page.after === null) return null;
  if (!isBigintId(page.after)) {
    throw new AppError('BAD_USER_INPUT', 'Invalid cursor: pass the endCursor or an edge cursor of a previous page', { field: 'after' });
  }
  return page.after;
}

/** A page of events not read yet: items and total are read when asked for (a client may want only one of them). */
export class AuditEventPageResult {
  private itemsRead: Promise<{ items: AuditEvent[]; hasNextPage: boolean }> | undefined;
  private countRead: Promise<number> | undefined;

  constructor(
    private readonly manager: EntityManager,
    private readonly filter: AuditFilter | null | undefined,
    private readonly page: PageArgs,
  ) {}

  /**
   * Pages go forward only (newest first): whether events come before this page is known cheaply only as "a cursor
   * was given", which is what Relay allows a forward page to answer (as the other forward-only pages do).
   */
  get startsAfterCursor(): boolean {
    return this.page.after !== null;
  }

  items(): Promise<{ items: AuditEvent[]; hasNextPage: boolean }> {
    this.itemsRead ??= (async () => {
      const { where, params } = conditionsOf(this.filter);
      const after = cursorId(this.page);
      if (after !== null) {
        params.push(after);
        where.push(`id < $${params.length}::bigint`);
      }
      params.push(this.page.first + 1);
      const rows: AuditEvent[] = await this.manager.query(
        `SELECT ${COLUMNS} FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_events.id DESC LIMIT $${params.length}`,
        params,
      );
      return { items: asEvents(rows.slice(0, this.page.first)), hasNextPage: rows.length > this.page.first };
    })();
    return this.itemsRead;
  }

  totalCount(): Promise<number> {
    this.countRead ??= (async () => {
      const { where, params } = conditionsOf(this.filter);
      const [row]: { n: number }[] = await this.manager.query(
        `SELECT count(*)::int AS n FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        params,
      );
      return row!.n;
    })();
    return this.countRead;
  }
}

export class AuditLog {
  /**
   * Writes one event with `manager`: the transaction's, so the event commits or rolls back with the change. One
   * statement. Secrets in `before`/`after` are masked here whatever the caller put in ({@link redact}).
   */
  async record(manager: EntityManager, event: AuditRecord): Promise<void> {
    await manager.query(
      `INSERT INTO audit_events (actor, channel, request_id, action, target_type, target, before, after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        bounded(event.actor, 200),
        event.channel,
        event.requestId === null ? null : bounded(event.requestId, 100),
        event.action,
        event.action.slice(0, event.action.indexOf('.')),
        bounded(event.target, 200),
        event.before == null ? null : JSON.stringify(redact(event.before)),
        event.after == null ? null : JSON.stringify(redact(event.after)),
      ],
    );
  }

  /** `auditEvents`: administrators only, newest first, paged like every list. */
  events(ctx: RequestContext, filter: AuditFilter | null | undefined, first?: number | null, after?: string | null): AuditEventPageResult {
    requireAdministrator(ctx);
    return new AuditEventPageResult(ctx.manager, filter, pageArgs(first, after));
  }

  /**
   * Every event of the filter, oldest first, in batches of {@link EXPORT_BATCH} read by id: an export of millions
   * of events holds one batch in memory, and each batch is one index range scan.
   */
  async *stream(manager: EntityManager, filter: AuditFilter): AsyncGenerator<AuditEvent> {
    let afterId = '0';
    for (;;) {
      const { where, params } = conditionsOf(filter);
      params.push(afterId, EXPORT_BATCH);
      where.push(`id > $${params.length - 1}::bigint`);
      const rows: AuditEvent[] = await manager.query(
        `SELECT ${COLUMNS} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY audit_events.id LIMIT $${params.length}`,
        params,
      );
      yield* rows;
      if (rows.length < EXPORT_BATCH) return;
      afterId = rows[rows.length - 1]!.id;
    }
  }

  /**
   * Deletes the events older than `olderThanDays` days and records the purge (`system.audit-purge`), in one
   * transaction: the only DELETE the table's trigger lets through. Needs a role with DELETE on the table (the schema
   * owner: the CLI connects with MIGRATIONS_DATABASE_URL when set); the runtime role has none.
   * @returns how many events were deleted.
   */
  async purge(dataSource: DataSource, acting: Acting, olderThanDays: number): Promise<number> {
    return dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('ds.audit_purge', 'on', true)`);
      const [{ deleted, cutoff }]: { deleted: number; cutoff: Date }[] = await manager.query(
        `WITH gone AS (DELETE FROM audit_events WHERE at < now() - make_interval(days => $1) RETURNING 1)
         SELECT (SELECT count(*)::int FROM gone) AS deleted, now() - make_interval(days => $1) AS cutoff`,
        [olderThanDays],
      );
      await manager.query(`SELECT set_config('ds.audit_purge', 'off', true)`);
      await this.record(manager, { ...acting, action: 'system.audit-purge', target: 'audit_events', after: { olderThanDays, olderThan: cutoff, deleted } });
      return deleted;
    });
  }
}
