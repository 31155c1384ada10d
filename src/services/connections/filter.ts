/**
 * A connection filter (`ConnectionFilter` in GraphQL) as terms of a connection query: `access` (role semantics) joins
 * the predicate, the rest become conditions. Shared by lists and the tag summary, so a filter menu's counts narrow
 * exactly as the list does.
 */
import { normalizeAccessRule, type AccessGroup } from '../../access/access-rule';
import { compileRules, narrow, type ConnectionPredicate } from '../../access/predicate';
import { normalizeTagConditions, type TagCondition } from '../../access/tag-conditions';
import { AppError } from '../../errors/app-error';
import type { ConnectionConditions } from '../connection-queries';
import { defined } from '../validation';

export interface ConnectionFilterInput extends Omit<ConnectionConditions, 'tags'> {
  access?: AccessGroup[] | null;
  tags?: readonly TagCondition[] | null;
}

export interface FilterTerms {
  predicate: ConnectionPredicate;
  conditions: ConnectionConditions;
}

/**
 * `predicate` narrowed by `filter`, validated.
 * @throws AppError BAD_USER_INPUT naming the field at fault.
 */
export function applyConnectionFilter(predicate: ConnectionPredicate, filter?: ConnectionFilterInput | null): FilterTerms {
  const access = filter?.access ? compileRules([normalizeAccessRule(filter.access, 'filter.access')]) : null;
  const search = filter?.search ?? null;
  if (search !== null && search.length > 200) throw new AppError('BAD_USER_INPUT', 'filter.search: is longer than 200 characters', { field: 'filter.search' });
  const tags = filter?.tags ? normalizeTagConditions(filter.tags) : [];
  const conditions: ConnectionConditions = defined({
    enabled: filter?.enabled ?? undefined,
    connected: filter?.connected ?? undefined,
    search: search ?? undefined,
    tags: tags.length ? tags : undefined,
  });
  return { predicate: narrow(predicate, access), conditions };
}

/** Whether a filter narrows anything (an empty one answers as no filter, and may use the caches). */
export function isEmptyFilter(terms: FilterTerms, predicate: ConnectionPredicate): boolean {
  return terms.predicate.length === predicate.length && Object.keys(terms.conditions).length === 0;
}
