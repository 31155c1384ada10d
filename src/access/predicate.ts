/**
 * The matching engine: turns access rules into one SQL predicate over `connections.tags`, evaluated by PostgreSQL.
 *
 * Semantics (docs/graphql.md, "The access model"): a connection matches a rule when at least one group has all of its filters equal
 * to the connection's tags (user and automatic tags alike; exact, case-sensitive). A group with two different
 * values for the same tag can never match and is dropped; a rule left with no group matches nothing.
 *
 * Each group becomes a *selector*, a JSON object such as `{"environment":"production","datacenter":"london"}`, and
 * the rule becomes `(c.tags @> $1 OR c.tags @> $2 ...)`. Every `@>` is answered by the GIN index on `tags`
 * (PostgreSQL combines them with BitmapOr / BitmapAnd), so matching never scans rows it does not return. An array
 * form such as `tags @> ANY($1)` would be shorter but cannot use the index.
 *
 * Nothing here loads connections: callers pass {@link ConnectionPredicate}s to the repository, which renders them
 * with {@link renderPredicate}.
 */
import type { AccessRule } from './access-rule';
import { PER_CONNECTION_TAG_KEYS } from './tags';

/** A conjunction of tag equalities, e.g. `{ environment: 'production', datacenter: 'london' }`. */
export type TagSelector = Readonly<Record<string, string>>;

/**
 * A disjunction of selectors: matches a connection whose tags contain at least one selector.
 * An empty list matches nothing.
 */
export type SelectorSet = readonly TagSelector[];

/**
 * Membership in the materialized access relation (table `role_connections`, kept exact by triggers): matches the
 * connections that at least one of these roles matches now. An empty list matches nothing. This is how a user's
 * visibility and a stored role's matches are expressed, because PostgreSQL can then read them as index ranges in
 * name order instead of evaluating tag containment on every visible row.
 */
export interface RoleMembership {
  readonly roleIds: readonly number[];
}

/**
 * What a term does NOT match: `NOT (term)`. Differences between two access sets ("what a new rule adds": the rule
 * AND NOT the role's current matches) are written with it (src/services/governance/impact.ts). Never the driving
 * term of a query: the term it negates is rendered as a condition on rows found otherwise.
 */
export interface Exclusion {
  readonly exclude: SelectorSet | RoleMembership;
}

export type PredicateTerm = SelectorSet | RoleMembership | Exclusion;

/**
 * What a query may return: the AND of several terms (e.g. the caller's roles AND a role's rule AND a filter).
 * An empty list means "no restriction".
 */
export type ConnectionPredicate = readonly PredicateTerm[];

export function isRoleMembership(term: PredicateTerm): term is RoleMembership {
  return !Array.isArray(term) && 'roleIds' in term;
}

export function isExclusion(term: PredicateTerm): term is Exclusion {
  return !Array.isArray(term) && 'exclude' in term;
}

/** `NOT (term)`: see {@link Exclusion}. */
export function excluding(term: SelectorSet | RoleMembership): Exclusion {
  return { exclude: term };
}

export function memberOf(roleIds: readonly number[]): RoleMembership {
  return { roleIds: [...roleIds].sort((a, b) => a - b) };
}

export const MATCH_EVERYTHING: ConnectionPredicate = [];
export const MATCH_NOTHING: ConnectionPredicate = [[]];

/**
 * What a user holding `roleIds` may see: the union of what their roles match, and EVERY connection when they hold
 * no role (the vendor's "No restriction"). The one place of that rule: a principal's visibility
 * (src/context/principal.ts) and another user's connections (`User.connections`) both come from here.
 */
export function visibilityOfRoles(roleIds: readonly number[]): ConnectionPredicate {
  return roleIds.length === 0 ? MATCH_EVERYTHING : [memberOf(roleIds)];
}

/** One group to its selector, or `null` when two of its filters want different values for one tag. */
function groupToSelector(filters: AccessRule[number]['filters']): TagSelector | null {
  // An empty group would become `{}`, which every connection contains. Validation forbids it; this is the
  // belt to that pair of braces, because failing open here would be a leak.
  if (filters.length === 0) return null;
  // Without a prototype: on a plain object, `selector["__proto__"] = v` would set the prototype instead of adding
  // a key, the condition would vanish from the JSON, and `{}` matches every connection. Keys are user input.
  const selector = Object.create(null) as Record<string, string>;
  for (const { tag, value } of filters) {
    if (Object.hasOwn(selector, tag) && selector[tag] !== value) return null;
    selector[tag] = value;
  }
  return selector;
}

function contains(outer: TagSelector, inner: TagSelector): boolean {
  return Object.entries(inner).every(([k, v]) => Object.hasOwn(outer, k) && outer[k] === v);
}

/**
 * Compiles rules (already validated) into one selector set: the union of what any of them matches.
 * Contradictory groups are dropped; duplicate selectors and selectors implied by a broader one are removed, so the
 * SQL stays as short as the meaning allows.
 *
 * @example compileRules([[{filters:[{tag:'env',value:'prod'}]}], [{filters:[{tag:'env',value:'prod'},{tag:'dc',value:'lyon'}]}]])
 *   // [{ env: 'prod' }] — the second group only narrows the first, so it adds nothing to the union
 */
export function compileRules(rules: readonly AccessRule[]): SelectorSet {
  const candidates: TagSelector[] = [];
  for (const rule of rules) {
    for (const group of rule) {
      const selector = groupToSelector(group.filters);
      if (selector) candidates.push(selector);
    }
  }
  // Fewest keys first, so broader selectors are kept and the narrower ones they imply are skipped.
  candidates.sort((a, b) => Object.keys(a).length - Object.keys(b).length);
  const kept: TagSelector[] = [];
  for (const candidate of candidates) {
    if (!kept.some((broader) => contains(candidate, broader))) kept.push(candidate);
  }
  return kept;
}

/** Collects positional parameters (`$1`, `$2` ...) while a statement is being written. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Renders a predicate as a SQL boolean expression over the connection row `<alias>`, adding its parameters to
 * `params`: selector sets as GIN-indexed containments of `<alias>.tags`, role memberships as index probes of
 * `role_connections`.
 *
 * @example renderPredicate([[{env:'prod'}],[{dc:'lyon'},{dc:'paris'}]], 'c', params)
 *   // "((c.tags @> $1::jsonb) AND (c.tags @> $2::jsonb OR c.tags @> $3::jsonb))"
 */
export function renderPredicate(predicate: ConnectionPredicate, alias: string, params: SqlParams): string {
  if (predicate.length === 0) return 'TRUE';
  const parts = predicate.map((term) => renderTerm(term, alias, params));
  return `(${parts.map((p) => `(${p})`).join(' AND ')})`;
}

function renderTerm(term: PredicateTerm, alias: string, params: SqlParams): string {
  if (isExclusion(term)) return `NOT (${renderTerm(term.exclude, alias, params)})`;
  if (isRoleMembership(term)) {
    if (term.roleIds.length === 0) return 'FALSE';
    return `EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = ${alias}.id ` + `AND rc.role_id = ANY(${params.add(term.roleIds)}::int[]))`;
  }
  if (term.length === 0) return 'FALSE';
  return term.map((selector) => `${alias}.tags @> ${params.add(JSON.stringify(selector))}::jsonb`).join(' OR ');
}

/**
 * Whether a predicate is decided by a connection's tag signature (migration TagSignatures): it holds no role
 * membership (decided by `role_connections` rows, not by tags) and names no per-connection key (left out of
 * signatures). Such a predicate renders over `tag_signatures` rows as it does over connections, since
 * {@link renderPredicate} reads only `<alias>.tags` for it.
 */
export function decidedBySignature(predicate: ConnectionPredicate): boolean {
  const term = (t: PredicateTerm): boolean =>
    isExclusion(t)
      ? term(t.exclude)
      : !isRoleMembership(t) && t.every((selector) => Object.keys(selector).every((key) => !PER_CONNECTION_TAG_KEYS.includes(key)));
  return predicate.every(term);
}

/** Adds one more condition to a predicate (logical AND). */
export function narrow(predicate: ConnectionPredicate, set: SelectorSet | null): ConnectionPredicate {
  return set === null ? predicate : [...predicate, set];
}
