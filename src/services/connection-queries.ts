/**
 * The SQL that reads connections. Every statement takes a {@link ConnectionPredicate} (the caller's visibility AND
 * whatever narrows it) and renders it with the matching engine, so filtering always happens in PostgreSQL, on the
 * GIN index, before paging and counting.
 *
 * Page and count reads are batched: one statement answers many (predicate, page) requests at once, one
 * `UNION ALL` branch each, which is what the per-request DataLoaders call.
 */
import type { EntityManager } from 'typeorm';
import { renderPredicate, SqlParams, type ConnectionPredicate } from '../access/predicate';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { EntityRowMapper } from '../db/row-mapper';
import { toPage, type Page, type PageArgs } from './pagination';

/** Non-tag conditions of a connection filter. */
export interface ConnectionConditions {
  enabled?: boolean | null;
  connected?: boolean | null;
  /** Case-insensitive substring of the name or the host. */
  search?: string | null;
}

export interface ConnectionQuery {
  predicate: ConnectionPredicate;
  conditions?: ConnectionConditions;
}

export interface ConnectionPageQuery extends ConnectionQuery {
  page: PageArgs;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

function renderWhere(query: ConnectionQuery, params: SqlParams, after: string | null = null): string {
  const parts = [renderPredicate(query.predicate, 'c', params)];
  const { enabled, connected, search } = query.conditions ?? {};
  if (enabled != null) parts.push(`c.enabled = ${params.add(enabled)}`);
  if (connected != null) parts.push(`c.connected = ${params.add(connected)}`);
  if (search != null && search.trim() !== '') {
    const pattern = params.add(`%${escapeLike(search.trim())}%`);
    parts.push(`(c.name ILIKE ${pattern} OR c.host ILIKE ${pattern})`);
  }
  if (after !== null) parts.push(`c.name > ${params.add(after)}`);
  return parts.join(' AND ');
}

export class ConnectionQueries {
  private readonly columns: string;

  /** @param mapper a mapper that leaves out the sealed password, which no read path needs. */
  constructor(private readonly mapper: EntityRowMapper<ConnectionEntity>) {
    this.columns = mapper.selectList('c');
  }

  /** One statement for many page requests; results in request order. */
  async pages(manager: EntityManager, queries: readonly ConnectionPageQuery[]): Promise<Page<ConnectionEntity>[]> {
    if (queries.length === 0) return [];
    const params = new SqlParams();
    const branches = queries.map(
      (q, i) =>
        `(SELECT ${i} AS batch_index, ${this.columns} FROM connections c WHERE ${renderWhere(q, params, q.page.after)} ` +
        `ORDER BY c.name LIMIT ${params.add(q.page.first + 1)})`,
    );
    const rows: Record<string, unknown>[] = await manager.query(branches.join(' UNION ALL '), params.values);
    const buckets: ConnectionEntity[][] = queries.map(() => []);
    for (const row of rows) buckets[Number(row.batch_index)]!.push(this.mapper.map(row));
    // Names use the "C" collation, so plain code-unit order is the database's order.
    return buckets.map((bucket, i) => {
      bucket.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return toPage(bucket, queries[i]!.page.first);
    });
  }

  /** One statement for many counts; results in request order. */
  async counts(manager: EntityManager, queries: readonly ConnectionQuery[]): Promise<number[]> {
    if (queries.length === 0) return [];
    const params = new SqlParams();
    const branches = queries.map(
      (q, i) => `SELECT ${i} AS batch_index, count(*)::int AS n FROM connections c WHERE ${renderWhere(q, params)}`,
    );
    const rows: { batch_index: number; n: number }[] = await manager.query(branches.join(' UNION ALL '), params.values);
    const result = queries.map(() => 0);
    for (const row of rows) result[Number(row.batch_index)] = Number(row.n);
    return result;
  }

  /** Connections by exact name, within the predicate (so an invisible one is simply absent). */
  async byNames(manager: EntityManager, predicate: ConnectionPredicate, names: readonly string[]): Promise<ConnectionEntity[]> {
    if (names.length === 0) return [];
    const params = new SqlParams();
    const sql =
      `SELECT ${this.columns} FROM connections c ` +
      `WHERE c.name = ANY(${params.add(names)}::text[]) AND ${renderPredicate(predicate, 'c', params)}`;
    const rows: Record<string, unknown>[] = await manager.query(sql, params.values);
    return rows.map((row) => this.mapper.map(row));
  }

  /** Tag keys and values with the number of matching connections carrying each, sorted by key then value. */
  async tagSummary(
    manager: EntityManager,
    predicate: ConnectionPredicate,
  ): Promise<{ key: string; value: string; count: number }[]> {
    const params = new SqlParams();
    const sql =
      `SELECT t.key, t.value, count(*)::int AS count FROM connections c CROSS JOIN LATERAL jsonb_each_text(c.tags) AS t ` +
      `WHERE ${renderPredicate(predicate, 'c', params)} GROUP BY t.key, t.value ` +
      `ORDER BY t.key COLLATE "C", t.value COLLATE "C"`;
    return manager.query(sql, params.values);
  }
}
