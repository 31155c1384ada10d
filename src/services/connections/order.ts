/**
 * Ordering and keyset paging of connection lists (Relay cursor connections: `first`/`after` forward, `last`/`before`
 * backward, `orderBy`).
 *
 * Every order is total: the sort key, then the name (unique) as tiebreaker. A cursor holds that position (the key as
 * the database compares it, and the name), so a page is `WHERE (key, name) > (cursor) ORDER BY key, name LIMIT n`:
 * an index range, never an OFFSET, and a cursor keeps pointing at the same place when connections are added or
 * removed before it.
 *
 * Cursors of the default order (name, ascending) keep the format they had before ordering existed (`n:<name>`), so
 * cursors handed out earlier stay valid and `first`/`after` answer exactly as before. Other orders use a versioned
 * format (`o1:` + JSON `[field, direction, key, name]`) that names its order: a cursor is refused with another one.
 */
import { compareCodePoints, isWellFormedText } from '../../access/tags';
import { AppError } from '../../errors/app-error';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor } from '../pagination';

export const CONNECTION_ORDER_FIELDS = ['NAME', 'HOST', 'CREATED_AT', 'UPDATED_AT'] as const;
export type ConnectionOrderField = (typeof CONNECTION_ORDER_FIELDS)[number];
export const ORDER_DIRECTIONS = ['ASC', 'DESC'] as const;
export type OrderDirection = (typeof ORDER_DIRECTIONS)[number];

export interface ConnectionOrder {
  field: ConnectionOrderField;
  direction: OrderDirection;
}

export const DEFAULT_CONNECTION_ORDER: ConnectionOrder = { field: 'NAME', direction: 'ASC' };

/** A place in an order: the sort key as text (what {@link orderKeyText} selects) and the name. */
export interface OrderPosition {
  key: string;
  name: string;
}

/** Paging arguments as a list field takes them. */
export interface PagingInput {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  orderBy?: { field: ConnectionOrderField; direction?: OrderDirection | null } | null;
}

/** Validated paging: what to read, in which order, between which positions. */
export interface ConnectionPaging {
  order: ConnectionOrder;
  /** Items asked for: `first` when reading forward, `last` when reading backward. */
  limit: number;
  /** `last` was given: the page is the `limit` items just before `before` (or the end). */
  backward: boolean;
  /** Only items after this position (exclusive). */
  after: OrderPosition | null;
  /** Only items before this position (exclusive). */
  before: OrderPosition | null;
}

/**
 * One ordered read: items between two positions (each bound exclusive unless flagged), read in the order or in its
 * reverse, at most `limit` of them. A page is one window; the look-around that tells whether anything lies on the
 * other side of its cursor is another ({@link lookaroundWindow}).
 */
export interface ScanWindow {
  order: ConnectionOrder;
  reverse: boolean;
  after: OrderPosition | null;
  afterInclusive?: boolean;
  before: OrderPosition | null;
  beforeInclusive?: boolean;
  limit: number;
}

const isDefaultOrder = (order: ConnectionOrder) => order.field === 'NAME' && order.direction === 'ASC';
const describeOrder = (order: ConnectionOrder) => `{field: ${order.field}, direction: ${order.direction}}`;

export function encodeOrderCursor(order: ConnectionOrder, position: OrderPosition): string {
  if (isDefaultOrder(order)) return encodeCursor(position.name);
  return Buffer.from(`o1:${JSON.stringify([order.field, order.direction, position.key, position.name])}`, 'utf8').toString('base64url');
}

const TIMESTAMP_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function invalidCursor(field: 'after' | 'before'): AppError {
  const which = field === 'after' ? 'endCursor' : 'startCursor';
  return new AppError('BAD_USER_INPUT', `Invalid cursor: pass the ${which} or an edge cursor of a previous page`, { field });
}

/** Text the database can compare (no NUL, no lone surrogate) and a timestamp key that is a real instant. */
function plausible(field: ConnectionOrderField, position: OrderPosition): boolean {
  const text = (s: string) => s.length > 0 && s.length <= 1024 && !s.includes('\u0000') && isWellFormedText(s);
  if (!text(position.key) || !text(position.name)) return false;
  if (field === 'CREATED_AT' || field === 'UPDATED_AT') {
    if (!TIMESTAMP_KEY.test(position.key)) return false;
    const instant = new Date(position.key.slice(0, 23) + 'Z');
    return !Number.isNaN(instant.getTime()) && instant.toISOString().slice(0, 23) === position.key.slice(0, 23);
  }
  return field !== 'NAME' || position.key === position.name;
}

/**
 * The position a cursor holds, checked against the order it is used with.
 * @throws AppError BAD_USER_INPUT (field `after` or `before`) for a malformed cursor or one of another order.
 */
export function decodeOrderCursor(cursor: string, order: ConnectionOrder, field: 'after' | 'before'): OrderPosition {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  let cursorOrder: ConnectionOrder;
  let position: OrderPosition;
  if (text.startsWith('n:')) {
    let name: string;
    try {
      name = decodeCursor(cursor);
    } catch {
      throw invalidCursor(field);
    }
    cursorOrder = DEFAULT_CONNECTION_ORDER;
    position = { key: name, name };
  } else if (text.startsWith('o1:')) {
    let parts: unknown;
    try {
      parts = JSON.parse(text.slice(3));
    } catch {
      throw invalidCursor(field);
    }
    if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) throw invalidCursor(field);
    const [f, d, key, name] = parts as string[];
    if (!(CONNECTION_ORDER_FIELDS as readonly string[]).includes(f!) || !(ORDER_DIRECTIONS as readonly string[]).includes(d!)) throw invalidCursor(field);
    cursorOrder = { field: f as ConnectionOrderField, direction: d as OrderDirection };
    position = { key: key!, name: name! };
  } else {
    throw invalidCursor(field);
  }
  if (!plausible(cursorOrder.field, position)) throw invalidCursor(field);
  if (cursorOrder.field !== order.field || cursorOrder.direction !== order.direction) {
    throw new AppError(
      'BAD_USER_INPUT',
      `This cursor belongs to orderBy ${describeOrder(cursorOrder)}, not ${describeOrder(order)}: page with the orderBy that gave it, or start again without a cursor`,
      { field },
    );
  }
  return position;
}

function pageSize(value: number, field: 'first' | 'last'): number {
  if (!Number.isInteger(value) || value < 0) throw new AppError('BAD_USER_INPUT', `\`${field}\` must be a non-negative integer`, { field });
  return Math.min(value, MAX_PAGE_SIZE);
}

/**
 * Validates paging arguments, with the Relay cursor specification's meaning: `first` (default 50, capped at 500)
 * reads forward after `after`, `last` (capped too) reads backward before `before`; both cursors may bound one page.
 * @throws AppError BAD_USER_INPUT for `first` and `last` together, a negative size, a bad or foreign cursor.
 */
export function connectionPaging(input: PagingInput): ConnectionPaging {
  const order: ConnectionOrder = input.orderBy ? { field: input.orderBy.field, direction: input.orderBy.direction ?? 'ASC' } : DEFAULT_CONNECTION_ORDER;
  if (!(CONNECTION_ORDER_FIELDS as readonly string[]).includes(order.field) || !(ORDER_DIRECTIONS as readonly string[]).includes(order.direction)) {
    throw new AppError('BAD_USER_INPUT', 'orderBy: unknown field or direction', { field: 'orderBy' });
  }
  if (input.first != null && input.last != null) {
    throw new AppError('BAD_USER_INPUT', 'Pass `first` (to page forward) or `last` (to page backward), not both', { field: 'last' });
  }
  const backward = input.last != null;
  const limit = backward ? pageSize(input.last!, 'last') : pageSize(input.first ?? DEFAULT_PAGE_SIZE, 'first');
  const after = input.after == null || input.after === '' ? null : decodeOrderCursor(input.after, order, 'after');
  const before = input.before == null || input.before === '' ? null : decodeOrderCursor(input.before, order, 'before');
  return { order, limit, backward, after, before };
}

/** The read that gives a page's items: one more than asked, to learn whether more lie beyond. */
export function itemsWindow(paging: ConnectionPaging): ScanWindow {
  return { order: paging.order, reverse: paging.backward, after: paging.after, before: paging.before, limit: paging.limit + 1 };
}

/**
 * The read that tells whether anything lies behind the page's starting cursor (`after` when reading forward,
 * `before` when reading backward): the one nearest item at or beyond it. `null` without such a cursor (then nothing
 * lies behind: the page starts at the beginning, or at the end).
 */
export function lookaroundWindow(paging: ConnectionPaging): ScanWindow | null {
  if (!paging.backward && paging.after) return { order: paging.order, reverse: true, after: null, before: paging.after, beforeInclusive: true, limit: 1 };
  if (paging.backward && paging.before) return { order: paging.order, reverse: false, after: paging.before, afterInclusive: true, before: null, limit: 1 };
  return null;
}

// ---------------------------------------------------------------- SQL

interface SortKeySql {
  /** The expression sorted on (matches an index: see migration ConnectionOrderIndexes). */
  expr: (alias: string) => string;
  /** The key as text, exact (timestamps to the microsecond, which a JavaScript Date cannot hold). */
  text: (alias: string) => string;
  /** A cursor's key as a value comparable with `expr`. */
  param: (placeholder: string) => string;
}

const utcMicros = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const SORT_KEYS: Record<ConnectionOrderField, SortKeySql> = {
  NAME: { expr: (a) => `${a}.name`, text: (a) => `${a}.name`, param: (p) => p },
  // host has the database's default collation; "C" (byte order) matches the index and the order names have.
  HOST: { expr: (a) => `(${a}.host COLLATE "C")`, text: (a) => `${a}.host`, param: (p) => `(${p}::text COLLATE "C")` },
  CREATED_AT: { expr: (a) => `${a}.created_at`, text: (a) => utcMicros(`${a}.created_at`), param: (p) => `${p}::timestamptz` },
  UPDATED_AT: { expr: (a) => `${a}.updated_at`, text: (a) => utcMicros(`${a}.updated_at`), param: (p) => `${p}::timestamptz` },
};

/** The sort key of row `alias` as text, for cursors (select it as `order_key`). */
export function orderKeyText(order: ConnectionOrder, alias: string): string {
  return SORT_KEYS[order.field].text(alias);
}

/** Whether the window reads descending in SQL terms. */
function descendingInSql(window: ScanWindow): boolean {
  return (window.order.direction === 'DESC') !== window.reverse;
}

/** `ORDER BY` of a window over row `alias`. */
export function renderOrderBy(window: ScanWindow, alias: string): string {
  const dir = descendingInSql(window) ? ' DESC' : '';
  if (window.order.field === 'NAME') return `ORDER BY ${alias}.name${dir}`;
  return `ORDER BY ${SORT_KEYS[window.order.field].expr(alias)}${dir}, ${alias}.name${dir}`;
}

/**
 * The window's bounds over row `alias` as SQL conditions (row comparisons, which a btree on `(key, name)` answers as
 * one range). Only `alias.name` is read for the name order, so a `role_connections` row can be bounded too.
 */
export function renderBounds(window: ScanWindow, alias: string, add: (value: unknown) => string): string[] {
  const conditions: string[] = [];
  const bound = (position: OrderPosition, later: boolean, inclusive: boolean) => {
    // "later in the order" is greater in SQL for ASC, smaller for DESC.
    const greater = later === (window.order.direction === 'ASC');
    const op = `${greater ? '>' : '<'}${inclusive ? '=' : ''}`;
    if (window.order.field === 'NAME') return `${alias}.name ${op} ${add(position.name)}`;
    const key = SORT_KEYS[window.order.field];
    return `(${key.expr(alias)}, ${alias}.name) ${op} (${key.param(add(position.key))}, ${add(position.name)})`;
  };
  if (window.after) conditions.push(bound(window.after, true, window.afterInclusive ?? false));
  if (window.before) conditions.push(bound(window.before, false, window.beforeInclusive ?? false));
  return conditions;
}

/** Compares two positions in the order's sense (the database's "C" order: code points). */
export function comparePositions(order: ConnectionOrder, a: OrderPosition, b: OrderPosition): number {
  const result = compareCodePoints(a.key, b.key) || compareCodePoints(a.name, b.name);
  return order.direction === 'ASC' ? result : -result;
}

/** A page read by keyset: its items in the order, their positions (for cursors), and what lies on either side. */
export interface KeysetPage<T> {
  items: T[];
  positions: OrderPosition[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/**
 * A page from the rows of its items window (any order; one more than asked when more lie beyond) and whether its
 * look-around found anything.
 */
export function toKeysetPage<T>(paging: ConnectionPaging, rows: { item: T; position: OrderPosition }[], lookaroundFound: boolean): KeysetPage<T> {
  const sorted = [...rows].sort((a, b) => comparePositions(paging.order, a.position, b.position));
  const more = sorted.length > paging.limit;
  // Reading backward, the extra row is the farthest from `before`: the first in the order.
  const kept = paging.backward ? sorted.slice(sorted.length - Math.min(sorted.length, paging.limit)) : sorted.slice(0, paging.limit);
  return {
    items: kept.map((r) => r.item),
    positions: kept.map((r) => r.position),
    hasNextPage: paging.backward ? lookaroundFound : more,
    hasPreviousPage: paging.backward ? more : lookaroundFound,
  };
}
