/**
 * Tag summaries (tag keys and values over the caller's visible connections, with how many carry each) and their
 * caching: a restricted caller's summary depends only on their roles' matches, so it is kept in the membership cache.
 */
import { tagKeyProblem } from '../../access/tags';
import { visibility } from '../../context/principal';
import type { RequestContext } from '../../context/request-context';
import { badInput } from '../../errors/app-error';
import { requireSignedIn } from '../authorization';
import type { ConnectionQueries } from '../connection-queries';
import { tagSummaryRows, type TagKeyFilter, type TagValuePage } from '../tag-summary-queries';
import type { MembershipCache, TagSummary } from '../membership-cache';
import { applyConnectionFilter, isEmptyFilter, type ConnectionFilterInput } from './filter';

/** Most keys one tag summary may ask for. */
const MAX_SUMMARY_KEYS = 100;

export class TagSummaries {
  constructor(
    private readonly queries: ConnectionQueries,
    private readonly membershipCache?: MembershipCache,
  ) {}

  /**
   * Sorted by key, then value. `filter` narrows the keys (`keys`: only these; `automatic`: only automatic or only user
   * keys). `page`: only this page of each key's values (see {@link TagValuePage}); all of them when null. A
   * restricted caller's summary is read from and kept in the membership cache, one entry per filter and page (never
   * inside a transaction, whose uncommitted writes it cannot know). The answer is shared: callers must not modify it.
   */
  async summary(
    ctx: RequestContext,
    filter: TagKeyFilter = {},
    connectionFilter?: ConnectionFilterInput | null,
    page: TagValuePage | null = null,
  ): Promise<TagSummary> {
    const visible = visibility(requireSignedIn(ctx));
    const terms = applyConnectionFilter(visible, connectionFilter);
    const keys = filter.keys == null ? null : [...new Set(filter.keys)].sort();
    if (keys && keys.length > MAX_SUMMARY_KEYS) throw badInput(`At most ${MAX_SUMMARY_KEYS} keys`, 'keys');
    for (const key of keys ?? []) {
      const problem = tagKeyProblem(key);
      if (problem) throw badInput(`Invalid tag key ${JSON.stringify(key)}: ${problem}`, 'keys');
    }
    if (page) checkValuePage(page.first);
    const normalized: TagKeyFilter = { keys, automatic: filter.automatic ?? null };
    const variant = JSON.stringify([normalized.keys, normalized.automatic, page?.first ?? null, page?.after ?? null, page?.valueCounts ?? null]);
    // A connection filter makes the answer specific to it: computed each time, never cached.
    const membership = isEmptyFilter(terms, visible) ? this.queries.pureMembership(visible) : null;
    const view = membership && this.membershipCache ? await this.membershipCache.view(ctx.freshness.mark, ctx.manager) : null;
    const cached = membership && view?.get('tags', membership.roleIds, variant);
    if (cached) return cached;
    const rows = await tagSummaryRows(ctx.manager, terms.predicate, normalized, terms.conditions, page);
    const byKey = new Map<string, { key: string; valueCount: number; values: { value: string; count: number }[]; page?: TagValuePage }>();
    for (const row of rows) {
      let entry = byKey.get(row.key);
      if (!entry) byKey.set(row.key, (entry = { key: row.key, valueCount: Number(row.value_count), values: [], ...(page ? { page } : {}) }));
      if (row.value !== null) entry.values.push({ value: row.value, count: Number(row.count) });
    }
    const summary = [...byKey.values()];
    if (membership && view) view.set('tags', membership.roleIds, summary, variant);
    return summary;
  }
}

/** Values one page of a tag summary may hold at most (`values(first:)`). */
export const MAX_VALUES_PER_PAGE = 1000;
/** Values a page holds when `first` is not given. */
export const DEFAULT_VALUES_PER_PAGE = 100;

export function checkValuePage(first: number): void {
  if (!Number.isInteger(first) || first < 0 || first > MAX_VALUES_PER_PAGE) throw badInput(`\`first\` must be 0 to ${MAX_VALUES_PER_PAGE}`, 'first');
}
