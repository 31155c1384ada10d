import { thrown } from '../support/errors';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, MAX_PAGE_SIZE, pageArgs, toPage } from '../../src/services/pagination';

describe('cursors', () => {
  test.each(['a', 'db-01', 'A.b_c-9', 'x'.repeat(64), 'Zürich', '.'])('round-trip %s', (name) => {
    const cursor = encodeCursor(name);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(name);
    expect(decodeCursor(cursor)).toBe(name);
  });

  test('are stable: the same name always gives the same cursor', () => {
    expect(encodeCursor('db-01')).toBe(encodeCursor('db-01'));
    expect(encodeCursor('db-01')).not.toBe(encodeCursor('db-02'));
  });

  test.each([
    ['garbage with symbols', 'not a cursor!'],
    ['valid base64 without the prefix', Buffer.from('db-01').toString('base64url')],
    ['the prefix alone', Buffer.from('n:').toString('base64url')],
    ['standard base64 padding', `${encodeCursor('db-01')}==`],
    ['a plain name', 'db-01'],
  ])('an invalid cursor (%s) is BAD_USER_INPUT on field after', (_label, cursor) => {
    const error = thrown(() => decodeCursor(cursor));
    expect([error.code, error.message, error.details]).toEqual([
      'BAD_USER_INPUT',
      'Invalid cursor: pass the endCursor or an edge cursor of a previous page',
      { field: 'after' },
    ]);
  });
});

describe('pageArgs', () => {
  test.each<[number | null | undefined, string | null | undefined, { first: number; after: string | null }]>([
    [undefined, undefined, { first: DEFAULT_PAGE_SIZE, after: null }],
    [null, null, { first: 50, after: null }],
    [0, null, { first: 0, after: null }],
    [1, '', { first: 1, after: null }],
    [500, null, { first: 500, after: null }],
    [501, null, { first: MAX_PAGE_SIZE, after: null }],
    [1_000_000, null, { first: 500, after: null }],
    [10, encodeCursor('db-07'), { first: 10, after: 'db-07' }],
  ])('first=%p after=%p', (first, after, expected) => {
    expect(pageArgs(first, after)).toEqual(expected);
  });

  test.each([-1, -500, 1.5, Number.NaN])('first=%p is BAD_USER_INPUT on field first', (first) => {
    const error = thrown(() => pageArgs(first, null));
    expect([error.code, error.message, error.details]).toEqual(['BAD_USER_INPUT', '`first` must be a non-negative integer', { field: 'first' }]);
  });

  test('a bad cursor is refused even with a valid first', () => {
    expect(thrown(() => pageArgs(5, '@@@')).details).toEqual({ field: 'after' });
  });
});

describe('toPage', () => {
  test('drops the look-ahead row and reports whether there is more', () => {
    expect(toPage([1, 2, 3], 2)).toEqual({ items: [1, 2], hasNextPage: true });
    expect(toPage([1, 2], 2)).toEqual({ items: [1, 2], hasNextPage: false });
    expect(toPage([1], 2)).toEqual({ items: [1], hasNextPage: false });
    expect(toPage([1], 0)).toEqual({ items: [], hasNextPage: true });
    expect(toPage([], 0)).toEqual({ items: [], hasNextPage: false });
  });
});
