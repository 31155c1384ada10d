/**
 * What a change of access would do, before it is made: `roleChangeImpact` (a role's new rule) and `userRolesImpact`
 * (a user's new set of roles). Nothing is written, nothing is locked.
 *
 * Definitions (docs/governance.md, "Impact of a change"):
 * - `added` = connections visible after and not before; `removed` = visible before and not after. For a role
 *   change, "before" is what the role matches now (the materialized relation every visibility check reads) and
 *   "after" what the new rule matches (compiled exactly as `previewAccess` and `updateRole` compile it); for a user,
 *   the union of what their current and their new roles match (no role = every connection).
 * - affected users: the users whose set of visible connections changes. For a role change, a holder of the role is
 *   affected unless every added and removed connection is also matched by another role they hold (then what they see
 *   is the same before and after); users who do not hold the role are never affected. For a user's roles, the user,
 *   when anything is added or removed.
 *
 * Both sides are predicates of the matching engine (src/access/predicate.ts) with an exclusion term, so the pages
 * and counts go through the same batched, indexed statements as every other list of connections, and validation is
 * the real mutation's (`normalizeAccessRule` and the role lookup of `updateRole`; `UserService.checkRolesReplacement`
 * for `updateUser`'s roles), with the same errors.
 */
import { normalizeAccessRule, type AccessGroup } from '../../access/access-rule';
import {
  compileRules,
  decidedBySignature,
  excluding,
  MATCH_NOTHING,
  memberOf,
  renderPredicate,
  SqlParams,
  type ConnectionPredicate,
  type RoleMembership,
  type SelectorSet,
} from '../../access/predicate';
import type { RequestContext } from '../../context/request-context';
import type { EntityRowMapper } from '../../db/row-mapper';
import type { UserEntity } from '../../entities/user.entity';
import { requireAdministrator } from '../authorization';
import type { ConnectionPageResult } from '../connection-page';
import type { ConnectionService } from '../connections';
import { roleSelectors, rolesUsePerConnectionKeys, signaturesAreShared } from '../connection-queries';
import type { RoleService } from '../role.service';
import type { UserService } from '../user.service';

/** The impact of one change; pages, counts and users are computed only when asked for. */
export class AccessImpactResult {
  constructor(
    private readonly ctx: RequestContext,
    private readonly connections: ConnectionService,
    readonly addedPredicate: ConnectionPredicate,
    readonly removedPredicate: ConnectionPredicate,
    private readonly users: () => Promise<UserEntity[]>,
    /** The same set as `removedPredicate`, in the form its pages are cheaper to read in (see `roleChange`). */
    private readonly removedPagePredicate: ConnectionPredicate = removedPredicate,
  ) {}

  added(first?: number | null, after?: string | null): ConnectionPageResult {
    return this.connections.pageOf(this.ctx, this.addedPredicate, { first, after });
  }

  removed(first?: number | null, after?: string | null): ConnectionPageResult {
    return this.connections.pageOf(this.ctx, this.removedPagePredicate, { first, after });
  }

  addedCount(): Promise<number> {
    return this.connections.countOf(this.ctx, this.addedPredicate);
  }

  removedCount(): Promise<number> {
    return this.connections.countOf(this.ctx, this.removedPredicate);
  }

  private affected: Promise<UserEntity[]> | undefined;

  /** Sorted by login. */
  affectedUsers(): Promise<UserEntity[]> {
    return (this.affected ??= this.users());
  }
}

/** A user's visibility as a predicate term: `null` = no role, every connection. */
type Visibility = RoleMembership | null;

/** `a` AND NOT `b`, for two visibilities. */
function difference(a: Visibility, b: Visibility): ConnectionPredicate {
  if (b === null) return MATCH_NOTHING;
  return a === null ? [excluding(b)] : [a, excluding(b)];
}

export class ImpactService {
  constructor(
    private readonly connections: ConnectionService,
    private readonly roles: RoleService,
    private readonly users: UserService,
    private readonly userMapper: EntityRowMapper<UserEntity>,
  ) {}

  /** What `updateRole(name, access)` would change. Errors are `updateRole`'s: BAD_USER_INPUT, then NOT_FOUND. */
  async roleChange(ctx: RequestContext, name: string, access: AccessGroup[]): Promise<AccessImpactResult> {
    requireAdministrator(ctx);
    const rule = normalizeAccessRule(access);
    const role = await this.roles.getOrThrow(ctx, name);
    const next = compileRules([rule]);
    // What the role matches now: its stored rule when signatures can decide it (then both counts are read by
    // signature, migration TagSignatures), else its materialized matches. The two are the same set
    // (role_connections is that rule's matches; test/integration/rule-parity.test.ts).
    const stored = compileRules([role.access]);
    const bySignature = decidedBySignature([stored]) && decidedBySignature([next]);
    const now = bySignature ? stored : memberOf([role.id]);
    // The removed page is read from the role's matches in name order (role_connections' index, stopping at the
    // page's end), not from every connection the stored rule matches, fetched and sorted: 5,000 rows for the
    // bench's app-7 at a million connections.
    const removedPage = [memberOf([role.id]), excluding(next)];
    return new AccessImpactResult(
      ctx,
      this.connections,
      [next, excluding(now)],
      [now, excluding(next)],
      () => this.holdersAffected(ctx, role.id, next, bySignature ? stored : null),
      removedPage,
    );
  }

  /**
   * What `updateUser(email, { roles })` would change. Errors are `updateUser`'s: NOT_FOUND, BAD_USER_INPUT for an
   * unknown role, LAST_ADMIN when the change would restrict the last unrestricted administrator.
   */
  async userRolesChange(ctx: RequestContext, email: string, roles: string[]): Promise<AccessImpactResult> {
    const { user, current, next } = await this.users.checkRolesReplacement(ctx, email, roles);
    const before: Visibility = current.length === 0 ? null : memberOf(current);
    const after: Visibility = next.length === 0 ? null : memberOf(next);
    const added = difference(after, before);
    const removed = difference(before, after);
    return new AccessImpactResult(ctx, this.connections, added, removed, async () => {
      const [a, r] = await Promise.all([this.connections.countOf(ctx, added), this.connections.countOf(ctx, removed)]);
      return a + r > 0 ? [user] : [];
    });
  }

  /**
   * Holders of the role whose visible set changes when its matches become `next`: some connection added or removed
   * is matched by none of their other roles. Holders are grouped by their set of other roles, so the test runs once
   * per distinct set (a handful), not once per user; each test stops at the first uncovered connection.
   *
   * With `stored` (the role's current rule, when it and `next` are both decided by tag signatures), a set of other
   * roles whose rules name no per-connection key is tested on signatures instead of connections: a connection is
   * added or removed exactly when its signature matches one of the two rules and not the other, and covered exactly
   * when its signature matches a rule of the other roles (each rule is a function of the signature, and
   * `role_connections` holds each rule's matches: test/integration/rule-parity.test.ts). A few thousand signatures
   * at most, where the connection-level test built the GIN bitmap of every connection the new rule matches before
   * its first row (100k at a million connections: 33 ms of the statement's 34, BENCHMARKS.md).
   */
  private async holdersAffected(ctx: RequestContext, roleId: number, next: SelectorSet, stored: SelectorSet | null): Promise<UserEntity[]> {
    const params = new SqlParams();
    const role = params.add(roleId);
    const matchesNext = renderPredicate([next], 'c', params);
    const uncoveredConnection = `EXISTS (SELECT 1 FROM changed ch
                             WHERE NOT EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = ch.id AND rc.role_id = ANY(hg.others)))`;
    let changedSignatures = '';
    let otherSelectors = '';
    let uncovered = uncoveredConnection;
    if (stored) {
      const nextS = renderPredicate([next], 's', params);
      const storedS = renderPredicate([stored], 's', params);
      changedSignatures = `
           changed_signatures AS MATERIALIZED (
             SELECT s.tags FROM tag_signatures s
              WHERE (${nextS} OR ${storedS}) AND NOT (${nextS} AND ${storedS})
                AND EXISTS (SELECT 1 FROM signature_connection_counts sc WHERE sc.signature_id = s.id AND sc.connection_count > 0)),`;
      // The other roles' selectors, once per set of other roles.
      otherSelectors = `CROSS JOIN LATERAL (SELECT coalesce(array_agg(x.selector), '{}') AS selectors FROM (${roleSelectors('hg.others')}) AS x) AS sel`;
      // On connections as well when the fleet's connections do not share their signatures (signaturesAreShared):
      // then the changed signatures are about as many as the changed connections, and all of them would be read
      // before the first test, where the connections are read only up to the first uncovered one.
      uncovered = `CASE WHEN ${rolesUsePerConnectionKeys('hg.others', params)} OR NOT ${signaturesAreShared} THEN ${uncoveredConnection}
                   ELSE EXISTS (SELECT 1 FROM changed_signatures cs WHERE NOT (cs.tags @> ANY(sel.selectors))) END`;
    }
    // A CTE runs only when a branch reads it: `changed` only for sets of roles the signatures cannot decide.
    const sql = `
      WITH changed AS MATERIALIZED (
             SELECT c.id FROM connections c
              WHERE ${matchesNext} AND NOT EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = c.id AND rc.role_id = ${role})
             UNION ALL
             SELECT c.id FROM role_connections rc JOIN connections c ON c.id = rc.connection_id
              WHERE rc.role_id = ${role} AND NOT ${matchesNext}),${changedSignatures}
           holders AS (
             SELECT ur.user_id, coalesce(array_agg(o.role_id ORDER BY o.role_id) FILTER (WHERE o.role_id IS NOT NULL), '{}') AS others
               FROM user_roles ur LEFT JOIN user_roles o ON o.user_id = ur.user_id AND o.role_id <> ur.role_id
              WHERE ur.role_id = ${role}
              GROUP BY ur.user_id),
           affected AS (
             SELECT hg.others FROM (SELECT DISTINCT others FROM holders) AS hg ${otherSelectors}
              WHERE ${uncovered})
      SELECT ${this.userMapper.selectList('u')} FROM holders h JOIN affected a ON a.others = h.others JOIN users u ON u.id = h.user_id
       ORDER BY u.login`;
    const rows: Record<string, unknown>[] = await ctx.manager.query(sql, params.values);
    return rows.map((row) => this.userMapper.map(row));
  }
}
