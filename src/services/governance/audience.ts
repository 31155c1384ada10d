/**
 * Who a connection is for: `Connection.roles` (the roles whose filters match it now) and `Connection.visibleTo` (the
 * users who can see it: every user without a role, and every holder of one of those roles). Administrators only.
 *
 * Both read the materialized access relation (`role_connections`, the same rows every visibility check reads) through
 * its `(connection_id, role_id)` index, and are batched: a page of 50 connections asking for `roles` and
 * `visibleTo` costs one statement for the roles, one for the user pages and one for their counts (the per-request
 * loaders in src/context/loaders.ts call the batch functions below).
 */
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context/request-context';
import type { EntityRowMapper } from '../../db/row-mapper';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { RoleEntity } from '../../entities/role.entity';
import type { UserEntity } from '../../entities/user.entity';
import { requireAdministrator } from '../authorization';
import { pageArgs, toPage, type Page, type PageArgs } from '../pagination';

/** One page of the users who can see a connection, sorted by login; `page.after` is a login. */
export interface AudiencePageQuery {
  connectionId: number;
  page: PageArgs;
}

export const audiencePageKey = (q: AudiencePageQuery): string => JSON.stringify([q.connectionId, q.page.first, q.page.after]);

/**
 * Users without any role, computed once per statement (they see every connection), as a CTE for {@link AUDIENCE}.
 * Materialized: the planner would otherwise repeat the anti-join for every connection of the batch.
 */
const UNRESTRICTED = `unrestricted AS MATERIALIZED (SELECT x.id FROM users x WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = x.id))`;

/**
 * Ids of the users who can see connection `k.connection_id`: holders of a role that matches it (the relation's
 * `(connection_id, role_id)` index, then `user_roles` by role), and the unrestricted users. Read from the few roles
 * that match the connection, never by testing every user.
 */
const AUDIENCE = `SELECT ur.user_id AS id FROM role_connections rc JOIN user_roles ur ON ur.role_id = rc.role_id WHERE rc.connection_id = k.connection_id
                  UNION
                  SELECT id FROM unrestricted`;

/** Roles matching each connection, sorted by name; one statement for every connection of the batch. */
export async function rolesOfConnections(
  manager: EntityManager,
  mapper: EntityRowMapper<RoleEntity>,
  connectionIds: readonly number[],
): Promise<RoleEntity[][]> {
  const rows: Record<string, unknown>[] = await manager.query(
    `SELECT rc.connection_id AS owner_id, ${mapper.selectList('r')} FROM role_connections rc JOIN roles r ON r.id = rc.role_id
      WHERE rc.connection_id = ANY($1::int[]) ORDER BY r.name`,
    [connectionIds],
  );
  const byConnection = new Map<number, RoleEntity[]>(connectionIds.map((id) => [id, []]));
  for (const row of rows) byConnection.get(Number(row.owner_id))?.push(mapper.map(row));
  return connectionIds.map((id) => byConnection.get(id)!);
}

/** Pages of users who can see each connection; one statement for the batch, in request order. */
export async function audiencePages(
  manager: EntityManager,
  mapper: EntityRowMapper<UserEntity>,
  queries: readonly AudiencePageQuery[],
): Promise<Page<UserEntity>[]> {
  if (queries.length === 0) return [];
  const rows: Record<string, unknown>[] = await manager.query(
    `WITH ${UNRESTRICTED}
     SELECT k.i AS batch_index, v.* FROM unnest($1::int[], $2::int[], $3::text[], $4::int[]) AS k(i, connection_id, after, lim)
      CROSS JOIN LATERAL (
            SELECT ${mapper.selectList('u')} FROM (${AUDIENCE}) AS s JOIN users u ON u.id = s.id
             WHERE k.after IS NULL OR u.login > k.after COLLATE "C"
             ORDER BY u.login LIMIT k.lim) AS v`,
    [queries.map((_, i) => i), queries.map((q) => q.connectionId), queries.map((q) => q.page.after), queries.map((q) => q.page.first + 1)],
  );
  const buckets: UserEntity[][] = queries.map(() => []);
  for (const row of rows) buckets[Number(row.batch_index)]!.push(mapper.map(row));
  // Rows of one lateral branch arrive in its order (logins use the "C" collation: code-unit order, as in JavaScript).
  return buckets.map((bucket, i) => toPage(bucket, queries[i]!.page.first));
}

/** How many users can see each connection; one statement for the batch, in request order. */
export async function audienceCounts(manager: EntityManager, connectionIds: readonly number[]): Promise<number[]> {
  if (connectionIds.length === 0) return [];
  const rows: { connection_id: number; n: number }[] = await manager.query(
    `WITH ${UNRESTRICTED}
     SELECT k.connection_id, (SELECT count(*)::int FROM (${AUDIENCE}) AS s) AS n FROM unnest($1::int[]) AS k(connection_id)`,
    [connectionIds],
  );
  const counts = new Map(rows.map((r) => [Number(r.connection_id), Number(r.n)]));
  return connectionIds.map((id) => counts.get(id) ?? 0);
}

/** A page of users not read yet: items and total load through the request's loaders, only when asked for. */
export class UserPageResult {
  constructor(
    private readonly ctx: RequestContext,
    private readonly query: AudiencePageQuery,
  ) {}

  /**
   * Pages go forward only (by login): whether users come before this page is known cheaply only as "a cursor was
   * given", which is what Relay allows a forward page to answer.
   */
  get startsAfterCursor(): boolean {
    return this.query.page.after != null;
  }

  items(): Promise<Page<UserEntity>> {
    return this.ctx.loaders.audiencePage.load(this.query);
  }

  totalCount(): Promise<number> {
    return this.ctx.loaders.audienceCount.load(this.query.connectionId);
  }
}

export class AudienceService {
  /** The roles whose filters match the connection now, sorted by name. */
  rolesOf(ctx: RequestContext, connection: Pick<ConnectionEntity, 'id'>): Promise<RoleEntity[]> {
    requireAdministrator(ctx);
    return ctx.loaders.rolesOfConnection.load(connection.id);
  }

  /** The users who can see the connection (unrestricted users included), sorted by login, paged like every list. */
  visibleTo(ctx: RequestContext, connection: Pick<ConnectionEntity, 'id'>, first?: number | null, after?: string | null): UserPageResult {
    requireAdministrator(ctx);
    return new UserPageResult(ctx, { connectionId: connection.id, page: pageArgs(first, after) });
  }
}
