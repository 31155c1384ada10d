/**
 * A role's access rule: OR of groups, AND of the filters inside a group.
 *
 * ```json
 * [ { "filters": [ {"tag": "environment", "value": "production"}, {"tag": "datacenter", "value": "london"} ] },
 *   { "filters": [ {"tag": "environment", "value": "uat"} ] } ]
 * ```
 * matches production connections in London, and every uat connection.
 */
import { AppError } from '../errors/app-error';
import { tagKeyProblem, tagValueProblem } from './tags';

export interface TagFilter {
  tag: string;
  value: string;
}

export interface AccessGroup {
  filters: TagFilter[];
}

export type AccessRule = AccessGroup[];

/** Bounds that keep one role's SQL predicate small; far above anything the vendor UI can build. */
export const MAX_GROUPS_PER_RULE = 100;
export const MAX_FILTERS_PER_GROUP = 32;

/**
 * Validates a rule and returns its normalized form (trimmed values, duplicate filters inside a group removed).
 * Tags that no connection carries yet are accepted on purpose: the vendor API allows them, and they match nothing
 * until a connection carries the tag.
 *
 * @throws AppError BAD_USER_INPUT naming the group and filter at fault (1-based, as a person counts).
 */
export function normalizeAccessRule(rule: readonly AccessGroup[], field = 'access'): AccessRule {
  // `rule as unknown`: the input may not have been validated yet, and Array.isArray on the typed parameter would
  // narrow it to any[].
  if (!Array.isArray(rule as unknown) || rule.length === 0) {
    throw new AppError('BAD_USER_INPUT', 'access must contain at least one group of filters', { field });
  }
  if (rule.length > MAX_GROUPS_PER_RULE) {
    throw new AppError('BAD_USER_INPUT', `access may contain at most ${MAX_GROUPS_PER_RULE} groups`, { field });
  }
  return rule.map((group, g) => {
    const where = `${field}[${g + 1}]`;
    if (!group || !Array.isArray(group.filters) || group.filters.length === 0) {
      throw new AppError('BAD_USER_INPUT', `${where}: a group must contain at least one filter`, { field });
    }
    if (group.filters.length > MAX_FILTERS_PER_GROUP) {
      throw new AppError('BAD_USER_INPUT', `${where}: a group may contain at most ${MAX_FILTERS_PER_GROUP} filters`, {
        field,
      });
    }
    const seen = new Set<string>();
    const filters: TagFilter[] = [];
    group.filters.forEach((filter: TagFilter, f: number) => {
      const tag = typeof filter?.tag === 'string' ? filter.tag.trim() : '';
      const value = typeof filter?.value === 'string' ? filter.value.trim() : '';
      const problem = tagKeyProblem(tag) ?? tagValueProblem(value);
      if (problem) {
        throw new AppError('BAD_USER_INPUT', `${where}.filters[${f + 1}] ${JSON.stringify(`${filter?.tag}=${filter?.value}`)}: ${problem}`, { field });
      }
      const id = JSON.stringify([tag, value]);
      if (!seen.has(id)) {
        seen.add(id);
        filters.push({ tag, value });
      }
    });
    return { filters };
  });
}
