/**
 * Tag conditions of connection filters (`ConnectionFilter.tags`): one operator per tag key, AND-combined with each
 * other and with the rest of the filter, always inside the caller's visibility (the loaders AND it in first).
 *
 * Meaning, over all of a connection's tags (user and automatic alike, exact and case-sensitive):
 * - `EQ v`: the key is present with value `v`;            `NEQ v`: NOT `EQ v` (so also true when the key is absent);
 * - `IN vs`: the key is present with one of `vs`;         `NOT_IN vs`: NOT `IN vs` (also true when absent);
 * - `EXISTS`: the key is present, with any value;         `NOT_EXISTS`: the key is absent;
 * - `PREFIX p`: the key is present and its value starts with `p`.
 * The negations follow label selectors as Kubernetes defines them (`!=` and `notin` select objects without the
 * label too): a condition and its negation always split the visible set in two, and "present with another value" is
 * `NEQ v` with `EXISTS`.
 *
 * How PostgreSQL answers them (docs/dashboards.md "Tag filters", with EXPLAIN): `EQ` and `IN` are containments
 * `tags @> '{"k":"v"}'`, answered by the GIN index `connections_tags_gin` (jsonb_path_ops; `IN` is a BitmapOr of
 * them); `EXISTS` and `PREFIX` use `tags ? 'k'`, answered by the GIN index `connections_tags_keys_gin` (jsonb_ops,
 * migration ConnectionOrderIndexes), `PREFIX` then checks the value on the rows found. Negations (`NEQ`, `NOT_IN`,
 * `NOT_EXISTS`) cannot be answered by an index: they are checked on the rows the other terms (visibility, other
 * conditions, the order's index) yield.
 */
import { AppError } from '../errors/app-error';
import type { SqlParams } from './predicate';
import { isWellFormedText, tagKeyProblem } from './tags';

export const TAG_OPERATORS = ['EQ', 'NEQ', 'IN', 'NOT_IN', 'EXISTS', 'NOT_EXISTS', 'PREFIX'] as const;
export type TagOperator = (typeof TAG_OPERATORS)[number];

export interface TagCondition {
  key: string;
  op: TagOperator;
  values?: readonly string[] | null;
}

/** Most conditions in one filter, and most values of one `IN`/`NOT_IN`: bounds on the statement's size. */
export const MAX_TAG_CONDITIONS = 20;
export const MAX_TAG_CONDITION_VALUES = 100;
/** Longer than any tag value can be (user values: 256; `pg_instance`: a host and a name). */
const MAX_VALUE_LENGTH = 1024;

const ONE_VALUE: readonly TagOperator[] = ['EQ', 'NEQ', 'PREFIX'];
const SOME_VALUES: readonly TagOperator[] = ['IN', 'NOT_IN'];

/**
 * Checks conditions and returns them with exactly the values each operator uses.
 * @throws AppError BAD_USER_INPUT naming the condition (`filter.tags[i]`) and what is wrong.
 */
export function normalizeTagConditions(conditions: readonly TagCondition[], field = 'filter.tags'): TagCondition[] {
  if (conditions.length > MAX_TAG_CONDITIONS) throw new AppError('BAD_USER_INPUT', `${field}: at most ${MAX_TAG_CONDITIONS} conditions`, { field });
  return conditions.map((condition, i) => {
    const at = `${field}[${i}]`;
    const fail = (problem: string) => new AppError('BAD_USER_INPUT', `${at}: ${problem}`, { field: at });
    if (!(TAG_OPERATORS as readonly string[]).includes(condition.op)) throw fail(`unknown operator ${JSON.stringify(condition.op)}`);
    const keyProblem = tagKeyProblem(condition.key);
    if (keyProblem) throw fail(`invalid key ${JSON.stringify(condition.key)}: ${keyProblem}`);
    const values = condition.values ?? [];
    if (ONE_VALUE.includes(condition.op) && values.length !== 1) throw fail(`${condition.op} takes exactly one value (got ${values.length})`);
    if (SOME_VALUES.includes(condition.op) && (values.length < 1 || values.length > MAX_TAG_CONDITION_VALUES)) {
      throw fail(`${condition.op} takes 1 to ${MAX_TAG_CONDITION_VALUES} values (got ${values.length})`);
    }
    if (!ONE_VALUE.includes(condition.op) && !SOME_VALUES.includes(condition.op) && values.length > 0) {
      throw fail(`${condition.op} takes no value (got ${values.length}): omit \`values\``);
    }
    for (const value of values) {
      if (value === '') throw fail('a value is empty (no tag has an empty value)');
      if (value.length > MAX_VALUE_LENGTH) throw fail(`a value is longer than ${MAX_VALUE_LENGTH} characters`);
      // PostgreSQL cannot hold either in jsonb or text: refused here rather than failing the statement.
      if (value.includes('\u0000') || !isWellFormedText(value)) throw fail('a value contains a NUL character or a lone surrogate');
    }
    return { key: condition.key, op: condition.op, values: [...values] };
  });
}

/** `{"key": "value"}` as JSON text, built by hand: user keys such as `__proto__` must stay plain keys. */
function selectorJson(key: string, value: string): string {
  return `{${JSON.stringify(key)}:${JSON.stringify(value)}}`;
}

/** Normalized conditions as SQL conditions over row `alias` (to AND together), parameters added to `params`. */
export function renderTagConditions(conditions: readonly TagCondition[], alias: string, params: SqlParams): string[] {
  const contains = (key: string, value: string) => `${alias}.tags @> ${params.add(selectorJson(key, value))}::jsonb`;
  const anyOf = (key: string, values: readonly string[]) => `(${values.map((v) => contains(key, v)).join(' OR ')})`;
  const has = (key: string) => `${alias}.tags ? ${params.add(key)}::text`;
  return conditions.map(({ key, op, values }) => {
    const vs = values ?? [];
    switch (op) {
      case 'EQ':
        return contains(key, vs[0]!);
      case 'NEQ':
        return `NOT (${contains(key, vs[0]!)})`;
      case 'IN':
        return anyOf(key, vs);
      case 'NOT_IN':
        return `NOT ${anyOf(key, vs)}`;
      case 'EXISTS':
        return has(key);
      case 'NOT_EXISTS':
        return `NOT (${has(key)})`;
      case 'PREFIX':
        return `(${has(key)} AND starts_with(${alias}.tags ->> ${params.add(key)}::text, ${params.add(vs[0]!)}::text))`;
    }
  });
}
