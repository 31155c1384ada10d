/**
 * The SQL that reads connections. Every statement takes a {@link ConnectionPredicate} (the caller's visibility AND
 * whatever narrows it) and renders it with the matching engine, so filtering always happens in PostgreSQL, before
 * paging and counting.
 *
 * When the predicate holds a role membership (a restricted caller, a role's matches), that term drives: the
 * `role_connections` index gives each role's connections in name order, so a page reads about `first` entries per
 * role and a count is an index-only range, whatever the fleet size. Other terms (filters, previews) are checked on
 * the rows it yields. Without one, the GIN index on `tags` and the name index do the work.
 *
 * Counts and tag summaries that would read every matching row read tag signatures instead when the terms allow it
 * (migration TagSignatures): the few signatures that match, and the number of connections of each, maintained by
 * triggers (migration SignatureConnectionCounts). A term on `pg_instance` or `server` cannot be read by signature;
 * for role memberships the choice is made by PostgreSQL at run time from the roles' current rules, in the same
 * statement.
 *
 * Page and count reads are batched: one statement answers many (predicate, page) requests at once, one
 * `UNION ALL` branch each, which is what the per-request DataLoaders call. Tag summaries are in
 * tag-summary-queries.ts, built from the exported pieces here.
 */
import type { EntityManager } from 'typeorm';
import { PER_CONNECTION_TAG_KEYS } from '../access/tags';
import { decidedBySignature, isRoleMembership, renderPredicate, SqlParams, type ConnectionPredicate, type RoleMembership } from '../access/predicate';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { EntityRowMapper } from '../db/row-mapper';
import type { MembershipCacheView } from './membership-cache';
import { renderTagConditions, type TagCondition } from '../access/tag-conditions';
import {
  itemsWindow,
  lookaroundWindow,
  orderKeyText,
  renderBounds,
  renderOrderBy,
  toKeysetPage,
  type ConnectionPaging,
  type KeysetPage,
  type OrderPosition,
  type ScanWindow,
} from './connections/order';
import { escapeLike } from './validation';

/** Non-tag conditions of a connection filter. */
export interface ConnectionConditions {
  enabled?: boolean | null;
  connected?: boolean | null;
  /** Case-insensitive substring of the name or the host. */
  search?: string | null;
  /** Tag conditions (normalized by `normalizeTagConditions`), all of which must hold. */
  tags?: readonly TagCondition[] | null;
}

export interface ConnectionQuery {
  predicate: ConnectionPredicate;
  conditions?: ConnectionConditions;
}

export interface ConnectionPageQuery extends ConnectionQuery {
  page: ConnectionPaging;
  /** Entity properties to read (with `id` and `name`); all when absent. */
  props?: readonly string[];
}

function renderConditions(conditions: ConnectionConditions | undefined, params: SqlParams, alias = 'c'): string[] {
  const parts: string[] = [];
  const { enabled, connected, search, tags } = conditions ?? {};
  if (tags?.length) parts.push(...renderTagConditions(tags, alias, params));
  if (enabled != null) parts.push(`c.enabled = ${params.add(enabled)}`);
  if (connected != null) parts.push(`c.connected = ${params.add(connected)}`);
  if (search != null && search.trim() !== '') {
    const pattern = params.add(`%${escapeLike(search.trim())}%`);
    parts.push(`(c.name ILIKE ${pattern} OR c.host ILIKE ${pattern})`);
  }
  return parts;
}

/**
 * Whether a query's answer is decided by tag signatures alone: no role membership, no per-connection key, and no
 * condition but tag conditions (see `decidedBySignature`). Only tag conditions are then rendered, over `s.tags`.
 */
function signatureDecided(query: ConnectionQuery): boolean {
  return decidedBySignature(query.predicate) && conditionsDecidedBySignature(query.conditions);
}

/** Conditions a signature decides: tag conditions on keys signatures keep, and nothing else. */
export function conditionsDecidedBySignature(conditions: ConnectionConditions | undefined): boolean {
  const { enabled, connected, search, tags } = conditions ?? {};
  return (
    enabled == null &&
    connected == null &&
    (search == null || search.trim() === '') &&
    (tags ?? []).every((condition) => !PER_CONNECTION_TAG_KEYS.includes(condition.key))
  );
}

/** Whether a query narrows by anything but a role membership (so the connection row must be read). */
function needsConnectionRow(query: ConnectionQuery): boolean {
  const { enabled, connected, search, tags } = query.conditions ?? {};
  return query.predicate.length > 0 || !!tags?.length || enabled != null || connected != null || (search != null && search.trim() !== '');
}

export function renderWhere(query: ConnectionQuery, params: SqlParams, window: ScanWindow | null = null): string {
  const parts = [renderPredicate(query.predicate, 'c', params), ...renderConditions(query.conditions, params)];
  if (window) parts.push(...renderBounds(window, 'c', (v) => params.add(v)));
  return parts.join(' AND ');
}

/** Splits off the role membership with the fewest roles (the cheapest to drive from), if there is one. */
export function drivingMembership(predicate: ConnectionPredicate): { driver: RoleMembership; rest: ConnectionPredicate } | null {
  let best = -1;
  predicate.forEach((term, i) => {
    if (isRoleMembership(term) && (best < 0 || term.roleIds.length < (predicate[best] as RoleMembership).roleIds.length)) best = i;
  });
  if (best < 0) return null;
  return { driver: predicate[best] as RoleMembership, rest: predicate.filter((_, i) => i !== best) };
}

/**
 * `(name, connection_id)` of the driver's connections that satisfy the rest; when a window (of the name order) is
 * given, only its part, in its order and cut at its limit.
 */
export function renderMembershipMatches(driver: RoleMembership, rest: ConnectionQuery, params: SqlParams, window?: ScanWindow): string {
  if (driver.roleIds.length === 0) return `SELECT NULL::text AS name, NULL::integer AS connection_id WHERE FALSE`;
  const needsRow = needsConnectionRow(rest);
  const branch = (roleId: number) => {
    const where = [`rc.role_id = ${params.add(roleId)}`];
    if (window) where.push(...renderBounds(window, 'rc', (v) => params.add(v)));
    if (needsRow) where.push(renderWhere(rest, params));
    const join = needsRow ? 'JOIN connections c ON c.id = rc.connection_id' : '';
    const sql = `SELECT rc.name, rc.connection_id FROM role_connections rc ${join} WHERE ${where.join(' AND ')}`;
    return window ? `(${sql} ${renderOrderBy(window, 'rc')} LIMIT ${params.add(window.limit)})` : `(${sql})`;
  };
  const union = driver.roleIds.map(branch).join(' UNION ');
  return window ? `SELECT u.name, u.connection_id FROM (${union}) AS u ${renderOrderBy(window, 'u')} LIMIT ${params.add(window.limit)}` : union;
}

export class ConnectionQueries {
  private readonly columns: string;

  /** @param mapper a mapper that leaves out the sealed password, which no read path needs. */
  constructor(private readonly mapper: EntityRowMapper<ConnectionEntity>) {
    this.columns = mapper.selectList('c');
  }

  /**
   * One statement for many page requests; results in request order. The statement reads the union of the
   * requests' properties (all columns if one of them needs all): every branch of a UNION ALL has the same columns.
   */
  async pages(manager: EntityManager, queries: readonly ConnectionPageQuery[]): Promise<KeysetPage<ConnectionEntity>[]> {
    if (queries.length === 0) return [];
    const props = queries.every((q) => q.props) ? new Set(queries.flatMap((q) => [...q.props!, 'id', 'name'])) : undefined;
    const columns = props ? this.mapper.selectList('c', props) : this.columns;
    const params = new SqlParams();
    // Each page is one branch, plus one for its look-around when it starts at a cursor (batch_part 1).
    const branches = queries.flatMap((q, i) => {
      const windows: [number, ScanWindow][] = [[0, itemsWindow(q.page)]];
      const around = lookaroundWindow(q.page);
      if (around) windows.push([1, around]);
      return windows.map(([part, window]) => this.pageBranch(q, window, i, part, columns, params));
    });
    const rows: Record<string, unknown>[] = await manager.query(branches.join(' UNION ALL '), params.values);
    const items: { item: ConnectionEntity; position: OrderPosition }[][] = queries.map(() => []);
    const found = queries.map(() => false);
    for (const row of rows) {
      const i = Number(row.batch_index);
      if (Number(row.batch_part) === 1) found[i] = true;
      else {
        const item = this.mapper.map(row, props);
        items[i]!.push({ item, position: { key: String(row.order_key), name: item.name } });
      }
    }
    return queries.map((q, i) => toKeysetPage(q.page, items[i]!, found[i]!));
  }

  /**
   * One window of one page query as a `UNION ALL` branch. A role membership drives the name order (its index holds
   * each role's connections in name order); other orders read the order's index of `connections` and leave the
   * planner to check the membership (a semi-join) or to collect the visible set and sort it, whichever is cheaper.
   */
  private pageBranch(q: ConnectionPageQuery, window: ScanWindow, index: number, part: number, columns: string, params: SqlParams): string {
    const select = `SELECT ${index} AS batch_index, ${columns}, ${part} AS batch_part, (${orderKeyText(window.order, 'c')}) COLLATE "C" AS order_key`;
    const membership = window.order.field === 'NAME' ? drivingMembership(q.predicate) : null;
    if (membership) {
      const matches = renderMembershipMatches(membership.driver, { predicate: membership.rest, conditions: q.conditions }, params, window);
      return `(${select} FROM (${matches}) AS p JOIN connections c ON c.id = p.connection_id)`;
    }
    return `(${select} FROM connections c WHERE ${renderWhere(q, params, window)} ${renderOrderBy(window, 'c')} LIMIT ${params.add(window.limit)})`;
  }

  /**
   * One statement for many counts; results in request order. Counts of a role membership alone (no filter) are
   * read from and written to `cache` when one is given ({@link MembershipCache}).
   */
  async counts(manager: EntityManager, queries: readonly ConnectionQuery[], cache?: () => Promise<MembershipCacheView | null>): Promise<number[]> {
    if (queries.length === 0) return [];
    const result = queries.map(() => 0);
    const pureMembership = (q: ConnectionQuery) => this.pureMembership(q.predicate, q.conditions);
    const view = cache && queries.some(pureMembership) ? await cache() : null;
    const toCount: number[] = [];
    queries.forEach((q, i) => {
      const driver = view && pureMembership(q);
      const cached = driver ? view.get('count', driver.roleIds) : undefined;
      if (cached === undefined) toCount.push(i);
      else result[i] = cached;
    });
    if (toCount.length === 0) return result;
    const counted = await this.countInDatabase(
      manager,
      toCount.map((i) => queries[i]!),
    );
    toCount.forEach((i, k) => {
      result[i] = counted[k]!;
      const driver = view && pureMembership(queries[i]!);
      if (driver) view.set('count', driver.roleIds, counted[k]!);
    });
    return result;
  }

  private async countInDatabase(manager: EntityManager, queries: readonly ConnectionQuery[]): Promise<number[]> {
    const params = new SqlParams();
    // Counts of exactly one role's matches (Role.connectionCount for an unrestricted administrator, once per role
    // of the overview) are read from role_connection_counts, one branch for all of them.
    const singleRoles = new Map<number, number[]>(); // role id -> indexes of the queries counting it
    const branches: string[] = [];
    queries.forEach((q, i) => {
      const membership = drivingMembership(q.predicate);
      const rest: ConnectionQuery | null = membership && { predicate: membership.rest, conditions: q.conditions };
      if (membership && rest && !needsConnectionRow(rest) && membership.driver.roleIds.length === 1) {
        const roleId = membership.driver.roleIds[0]!;
        singleRoles.set(roleId, [...(singleRoles.get(roleId) ?? []), i]);
      } else if (membership && rest) {
        // Index-only when nothing else narrows: one scan of the roles' ranges, counting distinct connections
        // (a sort-based DISTINCT on the integer id is about three times cheaper than a UNION of the ranges).
        const needsRow = needsConnectionRow(rest);
        const roles = params.add(membership.driver.roleIds);
        const where = [`rc.role_id = ANY(${roles}::int[])`];
        if (needsRow) where.push(renderWhere(rest, params));
        const distinct =
          `SELECT count(DISTINCT rc.connection_id)::int FROM role_connections rc ` +
          `${needsRow ? 'JOIN connections c ON c.id = rc.connection_id' : ''} WHERE ${where.join(' AND ')}`;
        // Several roles and nothing else: when their rules name no per-connection key and the fleet's connections
        // share their signatures, the signatures they match give the same set without the DISTINCT (each connection
        // has one signature), about twice as fast on large sets. PostgreSQL runs only the branch the CASE takes
        // (each is an init plan, run when first used).
        branches.push(
          needsRow
            ? `SELECT ${i} AS batch_index, NULL::int AS role_id, (${distinct}) AS n`
            : `SELECT ${i} AS batch_index, NULL::int AS role_id, CASE WHEN ${rolesUsePerConnectionKeys(roles, params)} OR NOT ${signaturesAreShared} ` +
                `THEN (${distinct}) ELSE (${countOfSignatures(signaturesOfRoles(roles))}) END AS n`,
        );
      } else if (signatureDecided(q)) {
        // The matching signatures (a few thousand rows at most in a typical fleet) and their maintained counts.
        const sigWhere = [renderPredicate(q.predicate, 's', params), ...renderConditions(q.conditions, params, 's')].join(' AND ');
        branches.push(`SELECT ${i} AS batch_index, NULL::int AS role_id, (${countOfSignatures(`SELECT s.id FROM tag_signatures s WHERE ${sigWhere}`)}) AS n`);
      } else {
        branches.push(`SELECT ${i} AS batch_index, NULL::int AS role_id, count(*)::int AS n FROM connections c WHERE ${renderWhere(q, params)}`);
      }
    });
    if (singleRoles.size > 0) {
      // Maintained per role by the triggers of role_connections (migration RoleConnectionCounts): one row each.
      branches.push(
        `SELECT NULL::int AS batch_index, rcc.role_id, rcc.connection_count AS n FROM role_connection_counts rcc ` +
          `WHERE rcc.role_id = ANY(${params.add([...singleRoles.keys()])}::int[])`,
      );
    }
    const rows: { batch_index: number | null; role_id: number | null; n: number }[] = await manager.query(branches.join(' UNION ALL '), params.values);
    // A role without matches has no group: its count stays 0.
    const result = queries.map(() => 0);
    for (const row of rows) {
      if (row.batch_index !== null) result[Number(row.batch_index)] = Number(row.n);
      else for (const i of singleRoles.get(Number(row.role_id)) ?? []) result[i] = Number(row.n);
    }
    return result;
  }

  /** Connections by exact name, within the predicate (so an invisible one is simply absent). */
  async byNames(manager: EntityManager, predicate: ConnectionPredicate, names: readonly string[]): Promise<ConnectionEntity[]> {
    if (names.length === 0) return [];
    const params = new SqlParams();
    const sql =
      `SELECT ${this.columns} FROM connections c ` + `WHERE c.name = ANY(${params.add(names)}::text[]) AND ${renderPredicate(predicate, 'c', params)}`;
    const rows: Record<string, unknown>[] = await manager.query(sql, params.values);
    return rows.map((row) => this.mapper.map(row));
  }

  /**
   * The role membership alone that `predicate` (with `conditions`) is, if it is one: what depends only on the
   * access relation, and what the membership cache is keyed by.
   */
  pureMembership(predicate: ConnectionPredicate, conditions?: ConnectionConditions): RoleMembership | null {
    const membership = drivingMembership(predicate);
    return membership && !needsConnectionRow({ predicate: membership.rest, conditions }) ? membership.driver : null;
  }
}

/**
 * The distinct selectors (column `selector`) of the groups of roles (`roles`: an int[] parameter), through
 * `ds_group_selector`, the SQL twin of their rules; contradictory or empty groups give none.
 */
export function roleSelectors(roles: string): string {
  return (
    `SELECT DISTINCT ds_group_selector(g) AS selector FROM roles r CROSS JOIN LATERAL jsonb_array_elements(r.access) AS g ` +
    `WHERE r.id = ANY(${roles}::int[]) AND ds_group_selector(g) IS NOT NULL`
  );
}

/** The ids of the signatures that roles (`roles`: an int[] parameter) match. */
function signaturesOfRoles(roles: string): string {
  return `SELECT DISTINCT s.id FROM (${roleSelectors(roles)}) AS x JOIN tag_signatures s ON s.tags @> x.selector`;
}

/**
 * How many connections carry the signatures that `ids` (a query of signature ids) selects: one row of maintained
 * counts per matching signature (migration SignatureConnectionCounts), not one index entry per connection.
 */
function countOfSignatures(ids: string): string {
  return `SELECT coalesce(sum(sc.connection_count), 0)::int FROM signature_connection_counts sc WHERE sc.signature_id = ANY(ARRAY(${ids}))`;
}

/**
 * True unless the fleet has more than one tag signature per {@link CONNECTIONS_PER_SIGNATURE} connections, by the
 * planner's statistics (`pg_class.reltuples`, kept by autovacuum; unknown counts as true). Reading a set of
 * connections by signature costs a few microseconds per signature (its GIN entry, its row, its maintained count),
 * reading it from `role_connections` a fraction of one per connection: signatures pay only when each stands for
 * many connections. A fleet where most connections carry a tag of their own (one signature each) is read from
 * `role_connections`: at a million such connections, a three-role total took 342 ms by signature (BENCHMARKS.md,
 * "A fleet of distinct tags"). Both branches give the same answer; only the speed depends on the statistics.
 */
const CONNECTIONS_PER_SIGNATURE = 16;
export const signaturesAreShared =
  `coalesce((SELECT s.reltuples < 0 OR c.reltuples < 0 OR s.reltuples * ${CONNECTIONS_PER_SIGNATURE} <= c.reltuples ` +
  `FROM pg_class s, pg_class c WHERE s.oid = 'tag_signatures'::regclass AND c.oid = 'connections'::regclass), true)`;

/** True when a group of these roles names a key signatures leave out: their matches cannot be read by signature. */
export function rolesUsePerConnectionKeys(roles: string, params: SqlParams): string {
  return `EXISTS (SELECT 1 FROM (${roleSelectors(roles)}) AS x WHERE x.selector ?| ${params.add([...PER_CONNECTION_TAG_KEYS])}::text[])`;
}
