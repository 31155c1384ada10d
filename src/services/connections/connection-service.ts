/**
 * Monitored connections: the one service the adapters (GraphQL resolvers, REST handlers, CLI) call. Reads are
 * here; each other job has its own module in this folder, and this class only hands over to it:
 * writes (connection-writes.ts), tag summaries and their caching (tag-summaries.ts), the value pager
 * (value-pager.ts), bulk import (bulk-import.ts), probing (connection-probing.ts, through probe-pool.ts).
 *
 * Reads are always scoped to the caller (the request's loaders AND the caller's visibility into every query), so an
 * invisible connection is indistinguishable from a missing one: the same `null`, the same NOT_FOUND message.
 */
import { MATCH_EVERYTHING, type ConnectionPredicate } from '../../access/predicate';
import { visibility } from '../../context/principal';
import type { AuditLog } from '../../audit/audit-log';
import type { RequestContext } from '../../context/request-context';
import type { EntityRowMapper } from '../../db/row-mapper';
import type { ConnectionEntity } from '../../entities/connection.entity';
import { requireAdministrator, requireSignedIn } from '../authorization';
import { ConnectionPageResult } from '../connection-page';
import type { ConnectionQueries } from '../connection-queries';
import type { TagKeyFilter, TagValuePage } from '../tag-summary-queries';
import type { MembershipCache, TagSummary } from '../membership-cache';
import type { ProbeService } from '../probe.service';
import type { SecretBox } from '../secret-box';
import { ConnectionImport } from './bulk-import';
import { applyConnectionFilter } from './filter';
import { connectionPaging, type PagingInput } from './order';
import { ConnectionProbing } from './connection-probing';
import type { ConnectionFilterInput, ConnectionInput, ConnectionWrite, ImportItem, ImportResult } from './connection-types';
import { connectionNotFound, ConnectionWrites } from './connection-writes';
import { pageOfValues } from './value-pager';
import { checkValuePage, DEFAULT_VALUES_PER_PAGE, TagSummaries } from './tag-summaries';

export class ConnectionService {
  private readonly probing: ConnectionProbing;
  private readonly writes: ConnectionWrites;
  private readonly imports: ConnectionImport;
  private readonly tagSummaries: TagSummaries;

  constructor(
    private readonly queries: ConnectionQueries,
    probes: ProbeService,
    secrets: SecretBox,
    /** A mapper of every connection column (the password included), for the bulk import's INSERT. */
    importMapper: EntityRowMapper<ConnectionEntity>,
    /** Connection writes and imports record their events with it. */
    audit: AuditLog,
    membershipCache?: MembershipCache,
  ) {
    this.probing = new ConnectionProbing(probes, secrets);
    this.writes = new ConnectionWrites(this.probing, secrets, audit);
    this.imports = new ConnectionImport(importMapper, this.probing, secrets, audit);
    this.tagSummaries = new TagSummaries(queries, membershipCache);
  }

  // ---------------------------------------------------------------- reads (any signed-in caller, scoped)

  /** The caller's visible connections, optionally narrowed by a filter; sorted by name unless `paging.orderBy` says otherwise. */
  list(ctx: RequestContext, paging: PagingInput = {}, filter?: ConnectionFilterInput | null): ConnectionPageResult {
    requireSignedIn(ctx);
    return this.pageOf(ctx, MATCH_EVERYTHING, paging, filter);
  }

  /**
   * A page of what `predicate` matches, within the caller's visibility (applied by the request's loaders).
   * Used by role previews, `Role.connections` and `User.connections`.
   */
  pageOf(ctx: RequestContext, predicate: ConnectionPredicate, paging: PagingInput = {}, filter?: ConnectionFilterInput | null): ConnectionPageResult {
    const page = connectionPaging(paging);
    const terms = applyConnectionFilter(predicate, filter);
    return new ConnectionPageResult(ctx, terms.predicate, terms.conditions, page);
  }

  /** How many connections `predicate` matches within the caller's visibility. */
  countOf(ctx: RequestContext, predicate: ConnectionPredicate): Promise<number> {
    return ctx.loaders.connectionCount.load({ predicate });
  }

  /** A visible connection by name, or `null` when it does not exist or the caller may not see it. */
  async get(ctx: RequestContext, name: string): Promise<ConnectionEntity | null> {
    const principal = requireSignedIn(ctx);
    const [found] = await this.queries.byNames(ctx.manager, visibility(principal), [name]);
    return found ?? null;
  }

  /** Like {@link get}, but NOT_FOUND (the same message for a missing and an invisible connection) instead of `null`. */
  async getOrThrow(ctx: RequestContext, name: string): Promise<ConnectionEntity> {
    const found = await this.get(ctx, name);
    if (!found) throw connectionNotFound(name);
    return found;
  }

  /** Tag keys and values over the caller's visible connections, with how many carry each (see {@link TagSummaries}). */
  tagSummary(
    ctx: RequestContext,
    filter: TagKeyFilter = {},
    connectionFilter?: ConnectionFilterInput | null,
    page: TagValuePage | null = null,
  ): Promise<TagSummary> {
    return this.tagSummaries.summary(ctx, filter, connectionFilter, page);
  }

  /**
   * One key's page of values: `first` (default {@link DEFAULT_VALUES_PER_PAGE}, at most `MAX_VALUES_PER_PAGE`)
   * values after `after`. A summary computed for exactly this page already holds it.
   */
  pageOfValues(entry: TagSummary[number], first?: number | null, after?: string | null): TagSummary[number]['values'] {
    const wanted = { first: first ?? DEFAULT_VALUES_PER_PAGE, after: after ?? null };
    checkValuePage(wanted.first);
    if (entry.page) {
      if (entry.page.first === wanted.first && entry.page.after === wanted.after) return entry.values;
      // Never expected (the summary is computed for the page its `values` field asks); failing loudly beats a wrong page.
      throw new Error('tag summary computed for another page of values');
    }
    return pageOfValues(entry.values, wanted.first, wanted.after);
  }

  // ---------------------------------------------------------------- writes (administrators)

  create(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    return this.writes.create(ctx, name, input);
  }

  update(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    return this.writes.update(ctx, name, input);
  }

  disable(ctx: RequestContext, name: string): Promise<ConnectionWrite> {
    return this.writes.disable(ctx, name);
  }

  enable(ctx: RequestContext, name: string): Promise<ConnectionWrite> {
    return this.writes.enable(ctx, name);
  }

  delete(ctx: RequestContext, name: string): Promise<void> {
    return this.writes.delete(ctx, name);
  }

  /** Bulk import, all or nothing (see {@link ConnectionImport.importMany}). */
  importMany(ctx: RequestContext, items: readonly ImportItem[], options: { probe?: boolean } = {}): Promise<ImportResult> {
    return this.imports.importMany(ctx, items, options);
  }

  /** Re-probes every enabled connection through the probe pool (operators' CLI). */
  reprobeAll(ctx: RequestContext, onProgress?: (done: number, total: number) => void): Promise<{ connected: number; failed: number }> {
    requireAdministrator(ctx);
    return this.probing.reprobeAll(ctx.manager, onProgress);
  }

  /** Waits for background probes (bounded by the probe timeout each), for a clean shutdown. */
  drain(): Promise<void> {
    return this.probing.drain();
  }
}
