/**
 * The SQL of tag summaries: tag keys and values over a predicate's connections, with how many connections carry
 * each, each key's values paged in SQL. Split from connection-queries.ts (pages and counts), whose building blocks
 * (the driving role membership, the rendered conditions, the roles' selectors) it uses.
 */
import type { EntityManager } from 'typeorm';
import { AUTOMATIC_TAG_KEYS, PER_CONNECTION_TAG_KEYS } from '../access/tags';
import { decidedBySignature, isRoleMembership, renderPredicate, type ConnectionPredicate, SqlParams } from '../access/predicate';
import { renderTagConditions } from '../access/tag-conditions';
import {
  conditionsDecidedBySignature,
  drivingMembership,
  renderMembershipMatches,
  renderWhere,
  roleSelectors,
  type ConnectionConditions,
} from './connection-queries';

/** Which tag keys a tag summary covers: `keys` only (when given), automatic or user keys only (when set). */
export interface TagKeyFilter {
  keys?: readonly string[] | null;
  automatic?: boolean | null;
}

/**
 * Tag keys and values with the number of matching connections carrying each, sorted by key then value; only the
 * keys `filter` lets through (filtered before grouping, so leaving out keys unique to each connection, such as
 * `pg_instance`, is what keeps the answer small on a large fleet). Every key comes with `value_count`, its number
 * of distinct values; with a `page`, only the values of that page come back (a key without any has one row with
 * `value` null), so the gateway never holds more than `first` values per key.
 *
 * Two plans in one statement, chosen by PostgreSQL once per execution (a gating condition, the `gate` of `signatureSummaryPlan`):
 * - by tag signatures (migration TagSignatures), when the caller's roles and the filter name no per-connection key:
 *   the matching signatures, each one's tags weighted by its number of connections (maintained: migration
 *   SignatureConnectionCounts; a signature without connections counts for nothing); only `server` and
 *   `pg_instance` (one value per connection) read the visible connections' rows, and only when the key filter asks
 *   for them;
 * - otherwise by every visible connection's tags.
 */
export async function tagSummaryRows(
  manager: EntityManager,
  predicate: ConnectionPredicate,
  filter: TagKeyFilter = {},
  conditions?: ConnectionConditions,
  page?: TagValuePage | null,
): Promise<TagSummaryRow[]> {
  const params = new SqlParams();
  const keyPasses = (alias: string) => {
    const parts: string[] = [];
    if (filter.keys) parts.push(`${alias} = ANY(${params.add(filter.keys)}::text[])`);
    if (filter.automatic != null) parts.push(`${filter.automatic ? '' : 'NOT '}${alias} = ANY(${params.add([...AUTOMATIC_TAG_KEYS])}::text[])`);
    return parts.length > 0 ? parts.join(' AND ') : 'TRUE';
  };
  const byRows = (gate: string) => {
    const membership = drivingMembership(predicate);
    const source = membership
      ? `(${renderMembershipMatches(membership.driver, { predicate: membership.rest, conditions }, params)}) AS v JOIN connections c ON c.id = v.connection_id`
      : `connections c`;
    const where = [gate, membership ? 'TRUE' : renderWhere({ predicate, conditions }, params), keyPasses('t.key')].join(' AND ');
    return (
      `SELECT t.key, t.value, count(*)::int AS count, NULL::int AS value_count FROM ${source} ` +
      `CROSS JOIN LATERAL jsonb_each_text(c.tags) AS t WHERE ${where} GROUP BY t.key, t.value`
    );
  };
  const signature = signatureSummaryPlan(predicate, conditions, params);
  let aggregate: string;
  if (!signature) aggregate = `summary AS (${byRows('TRUE')})`;
  else {
    const perConnection = PER_CONNECTION_TAG_KEYS.filter((key) => keyIsAsked(key, filter)).map((key) => perConnectionValues(key, page ?? null, params));
    aggregate =
      `${signature.ctes}visible_signatures AS MATERIALIZED (SELECT s.id, s.tags FROM tag_signatures s WHERE (${signature.gate}) AND ${signature.where}), ` +
      `visible_counts AS (SELECT sc.signature_id, sc.connection_count AS n FROM signature_connection_counts sc ` +
      `WHERE sc.signature_id = ANY(ARRAY(SELECT id FROM visible_signatures)) AND sc.connection_count > 0), ` +
      `visible_total AS (SELECT coalesce(sum(n), 0)::int AS n FROM visible_counts), ` +
      `summary AS (` +
      [
        `SELECT t.key, t.value, sum(n.n)::int AS count, NULL::int AS value_count FROM visible_counts n JOIN visible_signatures s ON s.id = n.signature_id ` +
          `CROSS JOIN LATERAL jsonb_each_text(s.tags) AS t WHERE ${keyPasses('t.key')} GROUP BY t.key, t.value`,
        ...perConnection,
        byRows(`NOT (${signature.gate})`),
      ].join(' UNION ALL ') +
      `)`;
  }
  const valueCount = `coalesce(value_count, count(value) OVER (PARTITION BY key))::int`;
  if (!page) {
    return manager.query(
      `WITH ${aggregate} SELECT key, value, count, ${valueCount} AS value_count FROM summary WHERE value IS NOT NULL ` +
        `ORDER BY key COLLATE "C", value COLLATE "C"`,
      params.values,
    );
  }
  // The page: values after `after` (all when null), at most `first`; every key keeps one row for its value count.
  const after = page.after === null ? 'value IS NOT NULL' : `value COLLATE "C" > ${params.add(page.after)}::text COLLATE "C"`;
  const sql =
    `WITH ${aggregate}, ranked AS (SELECT key, value, count, ${valueCount} AS value_count, ` +
    `row_number() OVER (PARTITION BY key ORDER BY value COLLATE "C") AS position, ` +
    `count(*) FILTER (WHERE ${after}) OVER (PARTITION BY key ORDER BY value COLLATE "C") AS rank_after, coalesce(${after}, false) AS is_after FROM summary) ` +
    `SELECT key, CASE WHEN in_page THEN value END AS value, CASE WHEN in_page THEN count END AS count, value_count FROM (` +
    `SELECT *, is_after AND rank_after <= ${params.add(page.first)} AS in_page FROM ranked) AS r ` +
    `WHERE in_page OR position = 1 ORDER BY key COLLATE "C", value COLLATE "C" NULLS FIRST`;
  const rows: TagSummaryRow[] = await manager.query(sql, params.values);
  // A key's first value outside the page only carried the key and its value count: drop that row when the key
  // has values in the page.
  const keysWithValues = new Set(rows.filter((r) => r.value !== null).map((r) => r.key));
  return rows.filter((r) => r.value !== null || !keysWithValues.has(r.key));
}

/**
 * The values of a key unique to each connection (`server`: the host, `pg_instance`: host@name) in the signature
 * plan, for one page: read in the order of their index (connections_host_order_idx, connections_instance_order_idx)
 * and kept when the connection's signature is visible, so a page reads about `first` visible rows, not the whole
 * visible set. When the visible set is under 2% of the fleet the index order would wade through other rows: the
 * visible rows are then read and sorted instead (a gating condition picks one). Plus one row without a value that
 * carries the key's value count, so a key stays listed past its last page.
 *
 * `(... IN (SELECT id FROM visible_signatures)) IS TRUE` is deliberate: it keeps the test a hashed lookup on each row
 * read in index order; as a plain IN or `= ANY(ARRAY(...))` the planner misjudges how many rows pass (the set is
 * only known at run time) and reads and sorts every visible row instead.
 */
function perConnectionValues(key: string, page: TagValuePage | null, params: SqlParams): string {
  const value = key === 'server' ? `c.host COLLATE "C"` : `(c.host || '@' || c.name) COLLATE "C"`;
  const keyParam = `${params.add(key)}::text`;
  // pg_instance is unique: its value count is the visible total. server (about one value per connection) needs a
  // distinct count over every visible row: only when asked for.
  const valueCount =
    key === 'pg_instance'
      ? `(SELECT n FROM visible_total)`
      : page && !page.valueCounts
        ? `-1`
        : `(SELECT count(DISTINCT c.host)::int FROM connections c WHERE c.signature_id = ANY(ARRAY(SELECT id FROM visible_signatures)))`;
  const count = key === 'server' ? 'count(*)::int' : '1';
  const groupBy = key === 'server' ? `GROUP BY ${value}` : '';
  const marker = `SELECT ${keyParam} AS key, NULL::text AS value, NULL::int AS count, ${valueCount} AS value_count WHERE (SELECT n FROM visible_total) > 0`;
  if (!page) {
    return (
      `SELECT ${keyParam} AS key, ${value} AS value, ${count} AS count, ${valueCount} AS value_count FROM connections c ` +
      `WHERE c.signature_id = ANY(ARRAY(SELECT id FROM visible_signatures)) ${groupBy}`
    );
  }
  const after = page.after === null ? 'TRUE' : `${value} > ${params.add(page.after)}::text COLLATE "C"`;
  const limit = params.add(Math.max(page.first, 1));
  const dense = `(SELECT n FROM visible_total) * 50 >= (SELECT reltuples FROM pg_class WHERE oid = 'connections'::regclass)`;
  const inOrder =
    `(SELECT ${keyParam} AS key, ${value} AS value, ${count} AS count, ${valueCount} AS value_count FROM connections c ` +
    `WHERE ${dense} AND (c.signature_id IN (SELECT id FROM visible_signatures)) IS TRUE AND ${after} ${groupBy} ORDER BY ${value} LIMIT ${limit})`;
  const sorted =
    `(SELECT ${keyParam} AS key, ${value} AS value, ${count} AS count, ${valueCount} AS value_count FROM connections c ` +
    `WHERE NOT (${dense}) AND c.signature_id = ANY(ARRAY(SELECT id FROM visible_signatures)) AND ${after} ${groupBy} ORDER BY ${value} LIMIT ${limit})`;
  return `${inOrder} UNION ALL ${sorted} UNION ALL ${marker}`;
}

/** One row of a tag summary: `value` (and `count`) null for a key none of whose values is in the page. */
export interface TagSummaryRow {
  key: string;
  value: string | null;
  count: number | null;
  value_count: number;
}

/** Which values of each key a paged tag summary returns. */
export interface TagValuePage {
  first: number;
  after: string | null;
  /** Whether every key's `value_count` is needed (`valueCount` selected); when not, `server`'s is left at -1. */
  valueCounts: boolean;
}

function keyIsAsked(key: string, filter: TagKeyFilter): boolean {
  if (filter.keys && !filter.keys.includes(key)) return false;
  if (filter.automatic === false && (AUTOMATIC_TAG_KEYS as readonly string[]).includes(key)) return false;
  return true;
}

/**
 * The signature plan of a tag summary, when the predicate and conditions allow one: `where` selects the matching
 * signatures (`s`), and `gate` is what must hold for it to be exact, checked by PostgreSQL at run time: none of the
 * roles in the predicate names a per-connection key in any group. Role memberships are rendered from the roles'
 * rules with `ds_group_selector`, the SQL twin of `compileRules` that also fills `role_connections`
 * (test/integration/rule-parity.test.ts keeps them equal), so both describe the same set. `ctes`: the roles'
 * selectors, computed once per statement.
 */
function signatureSummaryPlan(
  predicate: ConnectionPredicate,
  conditions: ConnectionConditions | undefined,
  params: SqlParams,
): { where: string; gate: string; ctes: string } | null {
  if (!conditionsDecidedBySignature(conditions)) return null;
  const tags = conditions?.tags;
  const parts: string[] = [];
  const ctes: string[] = [];
  const gates: string[] = [];
  for (const term of predicate) {
    if (isRoleMembership(term)) {
      const name = `role_selectors_${ctes.length}`;
      ctes.push(`${name} AS MATERIALIZED (${roleSelectors(params.add(term.roleIds))}), `);
      parts.push(`EXISTS (SELECT 1 FROM ${name} x WHERE s.tags @> x.selector)`);
      gates.push(`NOT EXISTS (SELECT 1 FROM ${name} x WHERE x.selector ?| ${params.add([...PER_CONNECTION_TAG_KEYS])}::text[])`);
    } else if (decidedBySignature([term])) parts.push(renderPredicate([term], 's', params));
    else return null;
  }
  if (tags?.length) parts.push(...renderTagConditions(tags, 's', params));
  return { where: parts.length > 0 ? parts.join(' AND ') : 'TRUE', gate: gates.length > 0 ? gates.join(' AND ') : 'TRUE', ctes: ctes.join('') };
}
