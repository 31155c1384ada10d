/** Keyset paging arguments, cursors of each order, tag condition validation and global ids (no database). */
import { normalizeTagConditions, type TagCondition } from '../../src/access/tag-conditions';
import {
  connectionPaging,
  decodeOrderCursor,
  encodeOrderCursor,
  toKeysetPage,
  type ConnectionOrder,
  type OrderPosition,
} from '../../src/services/connections/order';
import { globalIdOf, parseGlobalId } from '../../src/services/global-id';
import { encodeCursor } from '../../src/services/pagination';
import { thrown } from '../support/errors';

const HOST_ASC: ConnectionOrder = { field: 'HOST', direction: 'ASC' };
const CREATED_DESC: ConnectionOrder = { field: 'CREATED_AT', direction: 'DESC' };

describe('cursors', () => {
  test('the default order keeps the cursors first/after always gave', () => {
    expect(encodeOrderCursor({ field: 'NAME', direction: 'ASC' }, { key: 'db-01', name: 'db-01' })).toBe(encodeCursor('db-01'));
    expect(decodeOrderCursor(encodeCursor('db-01'), { field: 'NAME', direction: 'ASC' }, 'after')).toEqual({ key: 'db-01', name: 'db-01' });
  });

  test.each<[ConnectionOrder, OrderPosition]>([
    [HOST_ASC, { key: 'db.example', name: 'a' }],
    [
      { field: 'HOST', direction: 'DESC' },
      { key: 'Zürich-1', name: 'b' },
    ],
    [CREATED_DESC, { key: '2024-11-23T10:00:00.123456Z', name: 'c' }],
    [
      { field: 'UPDATED_AT', direction: 'ASC' },
      { key: '1999-01-01T00:00:00.000000Z', name: 'd' },
    ],
    [
      { field: 'NAME', direction: 'DESC' },
      { key: 'x', name: 'x' },
    ],
  ])('round-trip in %j', (order, position) => {
    const cursor = encodeOrderCursor(order, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOrderCursor(cursor, order, 'before')).toEqual(position);
  });

  test('a cursor used with another order is BAD_USER_INPUT naming both orders', () => {
    const cursor = encodeOrderCursor(HOST_ASC, { key: 'h', name: 'a' });
    const error = thrown(() => decodeOrderCursor(cursor, { field: 'HOST', direction: 'DESC' }, 'after'));
    expect([error.code, error.details]).toEqual(['BAD_USER_INPUT', { field: 'after' }]);
    expect(error.message).toMatch(/orderBy \{field: HOST, direction: ASC\}, not \{field: HOST, direction: DESC\}/);
    // The name cursor (default order) is refused by any other order, and theirs by the default order.
    expect(thrown(() => decodeOrderCursor(encodeCursor('a'), HOST_ASC, 'after')).code).toBe('BAD_USER_INPUT');
    expect(thrown(() => decodeOrderCursor(cursor, { field: 'NAME', direction: 'ASC' }, 'before')).details).toEqual({ field: 'before' });
  });

  const forge = (parts: unknown) => Buffer.from(`o1:${JSON.stringify(parts)}`).toString('base64url');
  test.each([
    ['not base64url', 'a b'],
    ['unknown prefix', Buffer.from('x:1').toString('base64url')],
    ['not JSON', Buffer.from('o1:[').toString('base64url')],
    ['unknown field', forge(['COLOR', 'ASC', 'a', 'a'])],
    ['a number instead of text', forge(['HOST', 'ASC', 1, 'a'])],
    ['an impossible instant', forge(['CREATED_AT', 'DESC', '2024-02-30T00:00:00.000000Z', 'a'])],
    ['milliseconds only', forge(['CREATED_AT', 'DESC', '2024-02-01T00:00:00.000Z', 'a'])],
    ['a NUL character', forge(['HOST', 'ASC', 'a\u0000b', 'a'])],
    ['a lone surrogate', forge(['HOST', 'ASC', '\ud800', 'a'])],
  ])('a malformed cursor (%s) is BAD_USER_INPUT, never a database error', (_label, cursor) => {
    const order = cursor.length > 0 && Buffer.from(cursor, 'base64url').toString().includes('CREATED_AT') ? CREATED_DESC : HOST_ASC;
    const error = thrown(() => decodeOrderCursor(cursor, order, 'before'));
    expect([error.code, error.message, error.details]).toEqual([
      'BAD_USER_INPUT',
      'Invalid cursor: pass the startCursor or an edge cursor of a previous page',
      { field: 'before' },
    ]);
  });
});

describe('connectionPaging', () => {
  test('defaults are those of first/after', () => {
    expect(connectionPaging({})).toEqual({ order: { field: 'NAME', direction: 'ASC' }, limit: 50, backward: false, after: null, before: null });
    expect(connectionPaging({ first: 9999 }).limit).toBe(500);
  });

  test('last pages backward, capped like first', () => {
    expect(connectionPaging({ last: 3, before: encodeCursor('m') })).toMatchObject({ limit: 3, backward: true, before: { name: 'm' } });
    expect(connectionPaging({ last: 10_000 }).limit).toBe(500);
  });

  test('first and last together are BAD_USER_INPUT', () => {
    const error = thrown(() => connectionPaging({ first: 1, last: 1 }));
    expect([error.code, error.message, error.details]).toEqual([
      'BAD_USER_INPUT',
      'Pass `first` (to page forward) or `last` (to page backward), not both',
      { field: 'last' },
    ]);
  });

  test.each([-1, 1.5])('last=%p is BAD_USER_INPUT on field last', (last) => {
    expect(thrown(() => connectionPaging({ last })).details).toEqual({ field: 'last' });
  });

  test('orderBy defaults its direction to ASC', () => {
    expect(connectionPaging({ orderBy: { field: 'HOST' } }).order).toEqual(HOST_ASC);
  });
});

describe('toKeysetPage', () => {
  const rows = (names: string[]) => names.map((name) => ({ item: name, position: { key: name, name } }));
  const forward = connectionPaging({ first: 2 });
  const backward = connectionPaging({ last: 2 });
  test('forward: the first items in order, the extra row says a next page exists', () => {
    expect(toKeysetPage(forward, rows(['c', 'a', 'b']), false)).toEqual({
      items: ['a', 'b'],
      positions: [
        { key: 'a', name: 'a' },
        { key: 'b', name: 'b' },
      ],
      hasNextPage: true,
      hasPreviousPage: false,
    });
    expect(toKeysetPage(forward, rows(['a']), true)).toMatchObject({ items: ['a'], hasNextPage: false, hasPreviousPage: true });
  });

  test('backward: the last items in order, the extra row says a previous page exists', () => {
    expect(toKeysetPage(backward, rows(['c', 'b', 'a']), false)).toMatchObject({ items: ['b', 'c'], hasNextPage: false, hasPreviousPage: true });
    expect(toKeysetPage(backward, rows(['c', 'b']), true)).toMatchObject({ items: ['b', 'c'], hasNextPage: true, hasPreviousPage: false });
    expect(toKeysetPage(connectionPaging({ last: 0 }), rows(['a']), false)).toMatchObject({ items: [], hasPreviousPage: true });
  });
});

describe('tag conditions', () => {
  const check = (conditions: TagCondition[]) => thrown(() => normalizeTagConditions(conditions));
  test.each<[string, TagCondition, string]>([
    ['EQ without value', { key: 'env', op: 'EQ' }, 'filter.tags[0]: EQ takes exactly one value (got 0)'],
    ['NEQ with two', { key: 'env', op: 'NEQ', values: ['a', 'b'] }, 'filter.tags[0]: NEQ takes exactly one value (got 2)'],
    ['PREFIX without value', { key: 'env', op: 'PREFIX', values: [] }, 'filter.tags[0]: PREFIX takes exactly one value (got 0)'],
    ['IN empty', { key: 'env', op: 'IN', values: [] }, 'filter.tags[0]: IN takes 1 to 100 values (got 0)'],
    [
      'NOT_IN too many',
      { key: 'env', op: 'NOT_IN', values: Array.from({ length: 101 }, (_, i) => `v${i}`) },
      'filter.tags[0]: NOT_IN takes 1 to 100 values (got 101)',
    ],
    ['EXISTS with a value', { key: 'env', op: 'EXISTS', values: ['x'] }, 'filter.tags[0]: EXISTS takes no value (got 1): omit `values`'],
    ['NOT_EXISTS with a value', { key: 'env', op: 'NOT_EXISTS', values: ['x'] }, 'filter.tags[0]: NOT_EXISTS takes no value (got 1): omit `values`'],
    [
      'a bad key',
      { key: '9env', op: 'EXISTS' },
      'filter.tags[0]: invalid key "9env": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -',
    ],
    ['an empty value', { key: 'env', op: 'EQ', values: [''] }, 'filter.tags[0]: a value is empty (no tag has an empty value)'],
    ['a NUL', { key: 'env', op: 'EQ', values: ['a\u0000'] }, 'filter.tags[0]: a value contains a NUL character or a lone surrogate'],
  ])('%s is BAD_USER_INPUT', (_label, condition, message) => {
    const error = check([condition]);
    expect([error.code, error.message, error.details]).toEqual(['BAD_USER_INPUT', message, { field: 'filter.tags[0]' }]);
  });

  test('valid conditions come back with exactly their values; EXISTS with values null or [] alike', () => {
    expect(
      normalizeTagConditions([
        { key: 'env', op: 'IN', values: ['a', 'b'] },
        { key: 'pg_version', op: 'EXISTS', values: null },
        { key: 'dc', op: 'NOT_EXISTS', values: [] },
      ]),
    ).toEqual([
      { key: 'env', op: 'IN', values: ['a', 'b'] },
      { key: 'pg_version', op: 'EXISTS', values: [] },
      { key: 'dc', op: 'NOT_EXISTS', values: [] },
    ]);
  });

  test('at most 20 conditions', () => {
    expect(check(Array.from({ length: 21 }, () => ({ key: 'env', op: 'EXISTS' as const }))).message).toBe('filter.tags: at most 20 conditions');
  });
});

describe('global ids', () => {
  test.each([
    ['Connection', 'sales-db'],
    ['Role', 'emea.readers'],
    ['ApiKey', '42'],
  ] as const)('%s ids are opaque and round-trip', (type, key) => {
    const id = globalIdOf(type, key);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id).not.toContain(key);
    expect(parseGlobalId(id)).toEqual({ type, key });
  });

  test('a user id is the released numeric id, and no other type has an all-digit id', () => {
    expect(globalIdOf('User', 17)).toBe('17');
    expect(parseGlobalId('17')).toEqual({ type: 'User', key: '17' });
    expect(globalIdOf('Connection', '17')).not.toMatch(/^\d+$/);
  });

  test.each([
    '',
    '0',
    '01',
    '99999999999',
    'djE6',
    Buffer.from('v1:Nope:x').toString('base64url'),
    `${globalIdOf('Role', 'r')}=`,
    Buffer.from('v1:ApiKey:x').toString('base64url'),
    // one past PostgreSQL's largest bigint: casting it would fail the whole batch of ids
    Buffer.from('v1:AuditEvent:9223372036854775808').toString('base64url'),
    Buffer.from('v1:AuditEvent:9999999999999999999').toString('base64url'),
  ])('%p is not an id', (id) => {
    expect(parseGlobalId(id)).toBeNull();
  });

  test('the largest bigint is an audit event id', () => {
    const id = Buffer.from('v1:AuditEvent:9223372036854775807').toString('base64url');
    expect(parseGlobalId(id)).toEqual({ type: 'AuditEvent', key: '9223372036854775807' });
  });
});
