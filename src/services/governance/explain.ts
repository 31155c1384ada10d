/**
 * Why a user does or does not see a connection (`explainAccess`), computed by PostgreSQL with the very functions
 * that maintain visibility, so the explanation cannot drift from the decision it explains:
 *
 * - `visible` is read from the materialized access relation (`role_connections`), which is what every list, count
 *   and lookup of the user reads (src/access/predicate.ts, migration RoleMembership);
 * - a group matches when `tags @> ds_group_selector(group)`: the test the triggers fill that relation with;
 * - for a group that does not match, the first filter (in the order the group is stored) whose one-pair containment
 *   `tags @> {"tag": "value"}` fails, and the connection's value of that tag (`null` when it has none). Automatic tags
 *   (`pg_instance`, `server`, `pg_version`) are in `tags`, so they count exactly as in visibility.
 *
 * A user without roles sees everything: `UNRESTRICTED`, no matches, no misses. Otherwise `ROLE_MATCH` when some group
 * of a held role matches (every matching role and group is listed), else `NO_MATCH`. Misses are listed in both
 * cases: for every group of every held role that does not match, its first failing filter.
 *
 * Who may ask: an administrator about anyone; any signed-in user about themselves, and then only about connections
 * they can see: an invisible connection gets the NOT_FOUND of a missing one (no existence oracle, and no tag value
 * of an invisible connection ever leaves the server). Anyone else is FORBIDDEN, whether the login exists or not.
 */
import { canAdminister } from '../../context/principal';
import type { RequestContext } from '../../context/request-context';
import { UserEntity } from '../../entities/user.entity';
import { notFound } from '../../errors/app-error';
import { requireAdministrator, requireSignedIn } from '../authorization';
import type { ConnectionService } from '../connections';

export type AccessReason = 'UNRESTRICTED' | 'ROLE_MATCH' | 'NO_MATCH';

export interface AccessFilterRef {
  tag: string;
  value: string;
}

/** A group of a held role that matches the connection; `group` is its 0-based index in the role's `access`. */
export interface AccessMatchRow {
  role: string;
  group: number;
  filters: AccessFilterRef[];
}

/** A group that does not match: its first failing filter and the connection's value of that tag (null: absent). */
export interface AccessMissRow {
  role: string;
  group: number;
  filter: AccessFilterRef;
  actual: string | null;
}

export interface AccessExplanationResult {
  visible: boolean;
  reason: AccessReason;
  matches: AccessMatchRow[];
  misses: AccessMissRow[];
}

interface GroupRow {
  role: string;
  grp: number;
  filters: AccessFilterRef[];
  matched: boolean;
  role_holds: boolean;
  miss_tag: string | null;
  miss_value: string | null;
  actual: string | null;
}

/**
 * One row per group of every role the user holds (none for a user without roles), in role name and group order.
 * `role_holds` is the materialized decision; `matched` and the first failing filter are the same containment test,
 * group by group and filter by filter.
 *
 * `role_holds` is a lateral look-up with `LIMIT 1`, not an `EXISTS` in the select list: the planner estimates 100
 * groups per role (its default for `jsonb_array_elements`), and once statistics are gathered on a fleet of a few
 * thousand connections it would run the `EXISTS` as a hashed subplan, reading and hashing the whole of
 * `role_connections` (40k rows and 80 ms at 10k connections) to answer 3 look-ups. A lateral subquery with a limit
 * is always probed through the `(connection_id, role_id)` index, whatever the estimates (BENCHMARKS.md, "A bare
 * Node.js server beside the floor").
 */
export const EXPLAIN_SQL = `
  SELECT r.name AS role,
         (g.ordinality - 1)::int AS grp,
         g.value->'filters' AS filters,
         coalesce(ds_group_selector(g.value) IS NOT NULL AND c.tags @> ds_group_selector(g.value), false) AS matched,
         holding.held IS NOT NULL AS role_holds,
         miss.tag AS miss_tag, miss.value AS miss_value, c.tags->>miss.tag AS actual
    FROM user_roles ur
    JOIN roles r ON r.id = ur.role_id
    JOIN connections c ON c.id = $2
    LEFT JOIN LATERAL (
          SELECT true AS held FROM role_connections rc WHERE rc.connection_id = c.id AND rc.role_id = r.id LIMIT 1) AS holding ON TRUE
   CROSS JOIN LATERAL jsonb_array_elements(r.access) WITH ORDINALITY AS g(value, ordinality)
    LEFT JOIN LATERAL (
          SELECT f.value->>'tag' AS tag, f.value->>'value' AS value
            FROM jsonb_array_elements(g.value->'filters') WITH ORDINALITY AS f(value, n)
           WHERE NOT (c.tags @> jsonb_build_object(f.value->>'tag', f.value->>'value'))
           ORDER BY f.n
           LIMIT 1) AS miss ON TRUE
   WHERE ur.user_id = $1
   ORDER BY r.name, g.ordinality`;

export class ExplainService {
  constructor(private readonly connections: ConnectionService) {}

  /**
   * @param login the user's login or email (case-insensitive, as at sign-in)
   * @param connectionName the connection's exact name
   * @throws FORBIDDEN for a non-administrator asking about someone else; NOT_FOUND for an unknown user (administrators
   *   only) or a connection the caller cannot see (missing and invisible alike).
   */
  async explain(ctx: RequestContext, login: string, connectionName: string): Promise<AccessExplanationResult> {
    const principal = requireSignedIn(ctx);
    const identifier = login.trim().toLowerCase();
    let userId: number;
    if (canAdminister(principal)) {
      const user = await ctx.manager
        .getRepository(UserEntity)
        .createQueryBuilder('u')
        .select(['u.id'])
        .where(identifier.includes('@') ? 'lower(u.email) = :id' : 'lower(u.login) = :id', { id: identifier })
        .getOne();
      if (!user) throw notFound(`User ${JSON.stringify(login)} not found`);
      userId = user.id;
    } else {
      // Decided on the caller's own names, before any lookup: the answer is the same whether `login` exists or not.
      if (identifier !== principal.login.toLowerCase() && identifier !== principal.email.toLowerCase()) requireAdministrator(ctx);
      userId = principal.userId;
    }
    // Within the caller's visibility: for a non-administrator (asking about themselves) an invisible connection is
    // NOT_FOUND with the message of a missing one.
    const connection = await this.connections.getOrThrow(ctx, connectionName);
    const rows: GroupRow[] = await ctx.manager.query(EXPLAIN_SQL, [userId, connection.id]);
    return explanationOf(rows);
  }
}

function explanationOf(rows: GroupRow[]): AccessExplanationResult {
  if (rows.length === 0) return { visible: true, reason: 'UNRESTRICTED', matches: [], misses: [] };
  const matches: AccessMatchRow[] = [];
  const misses: AccessMissRow[] = [];
  for (const row of rows) {
    if (row.matched) {
      matches.push({ role: row.role, group: row.grp, filters: row.filters.map(({ tag, value }) => ({ tag, value })) });
    } else if (row.miss_tag !== null) {
      misses.push({ role: row.role, group: row.grp, filter: { tag: row.miss_tag, value: row.miss_value! }, actual: row.actual });
    }
  }
  const visible = rows.some((row) => row.role_holds);
  return { visible, reason: visible ? 'ROLE_MATCH' : 'NO_MATCH', matches, misses };
}
