/**
 * Cursor pagination (CONTRACT section 2: "Lists are sorted by name; `first` is capped (at most 500) and cursors are
 * opaque"): every edge of `first` and `after`, exact `hasNextPage` / `endCursor`, and `totalCount` independent of
 * paging, on every paged field.
 */
import { encodeCursor } from '../../src/services/pagination';
import { errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { seedConnections } from '../support/seed';

let gw: TestGateway;
let admin: string;

/** Names chosen so that byte order differs from any locale's order: punctuation, digits, upper before lower case. */
const NAMES = ['b', 'B', 'a', 'A', 'a-1', 'a.1', 'a_1', 'aa', 'Z9', '_x', '0db', '9db', '-lead', 'a1', 'db-10', 'db-9'];
const SORTED = [...NAMES].sort(); // code-unit order, which is byte order for ASCII
const PAGE = `totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor }`;

interface Page {
  totalCount: number;
  edges: { cursor: string; node: { name: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

async function page(first: number | null, after: string | null = null, filter: unknown = null): Promise<Page> {
  const data = await gw.gqlOk(
    `query($first: Int, $after: String, $filter: ConnectionFilter) { connections(first: $first, after: $after, filter: $filter) { ${PAGE} } }`,
    { first, after, filter },
    admin,
  );
  return data.connections;
}

/** Follows `endCursor` until `hasNextPage` is false; returns every page. */
async function walk(first: number, fetch: (after: string | null) => Promise<Page> = (after) => page(first, after)): Promise<Page[]> {
  const pages: Page[] = [];
  let after: string | null = null;
  for (;;) {
    const current = await fetch(after);
    pages.push(current);
    if (!current.pageInfo.hasNextPage) return pages;
    if (pages.length > 200) throw new Error('pagination does not end');
    after = current.pageInfo.endCursor;
  }
}

/** The pages a correct implementation returns for `names` with page size `first`. */
function expectedPages(names: string[], first: number, total = names.length): Page[] {
  const pages: Page[] = [];
  for (let i = 0; i === 0 || i < names.length; i += first) {
    const slice = names.slice(i, i + first);
    pages.push({
      totalCount: total,
      edges: slice.map((name) => ({ cursor: encodeCursor(name), node: { name } })),
      pageInfo: { hasNextPage: i + first < names.length, endCursor: slice.length ? encodeCursor(slice[slice.length - 1]!) : null },
    });
  }
  return pages;
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  await seedConnections(
    gw.gateway.dataSource,
    NAMES.map((name, i) => ({ name, host: 'host-1', tags: { parity: i % 2 === 0 ? 'even' : 'odd' } })),
  );
});
afterAll(() => gw?.stop());

describe('order and cursors', () => {
  test('connections are sorted by name in byte order', async () => {
    const result = await page(100);
    expect(result.edges.map((e) => e.node.name)).toEqual(SORTED);
    expect(SORTED.slice(0, 6)).toEqual(['-lead', '0db', '9db', 'A', 'B', 'Z9']);
  });

  test('cursors are opaque: URL-safe, and no name shows through', async () => {
    const { edges } = await page(100);
    for (const { cursor, node } of edges) {
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toBe(node.name);
      if (node.name.length >= 3) expect(cursor).not.toContain(node.name);
    }
    expect(new Set(edges.map((e) => e.cursor)).size).toBe(edges.length);
  });

  test('cursors are stable: the same item has the same cursor whatever the page size and the request', async () => {
    const byName = new Map<string, string>();
    for (const first of [1, 3, 16, 100]) {
      for (const p of await walk(first)) {
        for (const { cursor, node } of p.edges) {
          if (byName.has(node.name)) expect([node.name, cursor]).toEqual([node.name, byName.get(node.name)]);
          byName.set(node.name, cursor);
        }
      }
    }
    expect(byName.size).toBe(NAMES.length);
  });

  test('keyset paging: rows added or removed before the cursor neither repeat nor skip items', async () => {
    const first = await page(4);
    expect(first.edges.map((e) => e.node.name)).toEqual(SORTED.slice(0, 4));
    await seedConnections(gw.gateway.dataSource, [{ name: '--early' }]);
    await gw.gateway.dataSource.query(`DELETE FROM connections WHERE name = $1`, [SORTED[3]]);
    const next = await page(4, first.pageInfo.endCursor);
    expect(next.edges.map((e) => e.node.name)).toEqual(SORTED.slice(4, 8));
    expect(next.totalCount).toBe(NAMES.length);
    // Put the fixture back.
    await gw.gateway.dataSource.query(`DELETE FROM connections WHERE name = '--early'`);
    await seedConnections(gw.gateway.dataSource, [
      { name: SORTED[3]!, host: 'host-1', tags: { parity: NAMES.indexOf(SORTED[3]!) % 2 === 0 ? 'even' : 'odd' } },
    ]);
    expect((await page(100)).edges.map((e) => e.node.name)).toEqual(SORTED);
  });
});

describe('first and after', () => {
  test.each([1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 50])('walking with first=%i returns every item once, in order, with exact page info', async (first) => {
    expect(await walk(first)).toEqual(expectedPages(SORTED, first));
  });

  test('an exact multiple of the page size ends without an empty extra page', async () => {
    const pages = await walk(8);
    expect(pages.map((p) => [p.edges.length, p.pageInfo.hasNextPage])).toEqual([
      [8, true],
      [8, false],
    ]);
  });

  test('first=0 returns no edge, no endCursor, and says whether items exist', async () => {
    expect(await page(0)).toEqual({ totalCount: NAMES.length, edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
    expect(await page(0, encodeCursor(SORTED[SORTED.length - 1]!))).toEqual({
      totalCount: NAMES.length,
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });

  test('first larger than the total returns everything in one page', async () => {
    expect(await page(1000)).toEqual(expectedPages(SORTED, 1000)[0]);
  });

  test('without first, the default page size is 50', async () => {
    const data = await gw.gqlOk(`{ connections { totalCount edges { node { name } } pageInfo { hasNextPage } } }`, {}, admin);
    expect(data.connections.edges).toHaveLength(NAMES.length);
    expect(data.connections.pageInfo.hasNextPage).toBe(false);
  });

  test('after the last item: an empty page', async () => {
    expect(await page(5, encodeCursor(SORTED[SORTED.length - 1]!))).toEqual({
      totalCount: NAMES.length,
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });

  test('after a name that does not exist: the items that sort after it', async () => {
    expect((await page(3, encodeCursor('a.0'))).edges.map((e) => e.node.name)).toEqual(['a.1', 'a1', 'a_1']);
    expect((await page(3, encodeCursor('zzz'))).edges).toEqual([]);
  });

  test('totalCount does not depend on first or after', async () => {
    const counts = [];
    for (const [first, after] of [
      [0, null],
      [1, null],
      [3, encodeCursor('a')],
      [100, encodeCursor('zzz')],
    ] as const) {
      counts.push((await page(first, after)).totalCount);
    }
    expect(counts).toEqual([NAMES.length, NAMES.length, NAMES.length, NAMES.length]);
  });

  test('filters and paging together: totalCount is the filtered total', async () => {
    const even = NAMES.filter((_, i) => i % 2 === 0).sort();
    const filter = { access: [{ filters: [{ tag: 'parity', value: 'even' }] }] };
    expect(await walk(3, (after) => page(3, after, filter))).toEqual(expectedPages(even, 3));
    const searched = SORTED.filter((n) => n.toLowerCase().includes('a'));
    expect(await walk(2, (after) => page(2, after, { search: 'A' }))).toEqual(expectedPages(searched, 2));
  });

  test('search is a literal substring: LIKE wildcards in it match only themselves', async () => {
    const names = async (search: string) => (await page(100, null, { search })).edges.map((e) => e.node.name);
    expect({ underscore: await names('_'), percent: await names('%'), dot: await names('a.'), backslash: await names('\\') }).toEqual({
      underscore: ['_x', 'a_1'],
      percent: [],
      dot: ['a.1'],
      backslash: [],
    });
  });
});

describe('bad paging arguments', () => {
  test.each([
    ['garbage', 'not a cursor'],
    ['base64 without the cursor marker', Buffer.from('a').toString('base64url')],
    ['a bare name', 'a'],
    ['an empty marker', Buffer.from('n:').toString('base64url')],
  ])('an invalid cursor (%s) is BAD_USER_INPUT', async (_label, after) => {
    const result = await gw.gql(`query($after: String) { connections(after: $after) { totalCount } }`, { after }, admin);
    expect(result).toEqual({
      data: null,
      errors: [
        {
          message: 'Invalid cursor: pass the endCursor or an edge cursor of a previous page',
          locations: [{ line: 1, column: 25 }],
          path: ['connections'],
          extensions: { code: 'BAD_USER_INPUT', field: 'after' },
        },
      ],
    });
  });

  test.each([-1, -500])('first=%i is BAD_USER_INPUT', async (first) => {
    const result: GraphQLResponse = await gw.gql(`query($first: Int) { connections(first: $first) { totalCount } }`, { first }, admin);
    expect(result.errors?.map((e) => [e.extensions?.code, e.extensions?.field, e.message])).toEqual([
      ['BAD_USER_INPUT', 'first', '`first` must be a non-negative integer'],
    ]);
  });
});

describe('more than 500 connections', () => {
  const BULK = Array.from({ length: 620 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
  const ALL = [...SORTED, ...BULK].sort();

  beforeAll(async () => {
    await seedConnections(
      gw.gateway.dataSource,
      BULK.map((name) => ({ name, tags: { bulk: 'yes' } })),
    );
  });

  test('first above 500 is capped at 500', async () => {
    for (const first of [501, 1000, 2_000_000_000]) {
      const result = await page(first);
      expect([first, result.edges.length, result.pageInfo.hasNextPage, result.totalCount]).toEqual([first, 500, true, ALL.length]);
      expect(result.edges.map((e) => e.node.name)).toEqual(ALL.slice(0, 500));
      expect(result.pageInfo.endCursor).toBe(encodeCursor(ALL[499]!));
    }
  });

  test('first=500 exactly, then the rest', async () => {
    expect(await walk(500)).toEqual(expectedPages(ALL, 500));
  });

  test('walking everything with first=1000 visits each of the 636 once', async () => {
    const pages = await walk(1000);
    expect(pages.map((p) => p.edges.length)).toEqual([500, ALL.length - 500]);
    expect(pages.flatMap((p) => p.edges.map((e) => e.node.name))).toEqual(ALL);
  });

  test('the default page size still applies', async () => {
    const result = await page(null);
    expect([result.edges.length, result.pageInfo.hasNextPage, result.pageInfo.endCursor]).toEqual([50, true, encodeCursor(ALL[49]!)]);
  });

  test('the cap applies to every paged field', async () => {
    await gw.gqlOk(`mutation { createRole(name: "bulk", access: [{ filters: [{ tag: "bulk", value: "yes" }] }]) { name } }`, {}, admin);
    const data = await gw.gqlOk(
      `{
        previewAccess(access: [{ filters: [{ tag: "bulk", value: "yes" }] }], first: 900) { totalCount edges { cursor } pageInfo { hasNextPage } }
        role(name: "bulk") { connectionCount connections(first: 900) { totalCount edges { cursor } pageInfo { hasNextPage } } }
        me { connections(first: 900) { totalCount edges { cursor } pageInfo { hasNextPage } } }
      }`,
      {},
      admin,
    );
    const summary = (p: { totalCount: number; edges: unknown[]; pageInfo: { hasNextPage: boolean } }) => [p.totalCount, p.edges.length, p.pageInfo.hasNextPage];
    expect([summary(data.previewAccess), summary(data.role.connections), data.role.connectionCount, summary(data.me.connections)]).toEqual([
      [620, 500, true],
      [620, 500, true],
      620,
      [ALL.length, 500, true],
    ]);
  });
});

describe('nested paged fields page the same way', () => {
  test('Role.connections, User.connections and previewAccess walk to the same list as connections', async () => {
    const access = [{ filters: [{ tag: 'parity', value: 'odd' }] }];
    await gw.gqlOk(`mutation($a: [AccessGroupInput!]!) { createRole(name: "odd", access: $a) { name } }`, { a: access }, admin);
    const odd = NAMES.filter((_, i) => i % 2 === 1).sort();
    const role = (after: string | null) =>
      gw
        .gqlOk(`query($after: String) { role(name: "odd") { connections(first: 3, after: $after) { ${PAGE} } } }`, { after }, admin)
        .then((d) => d.role.connections);
    const preview = (after: string | null) =>
      gw
        .gqlOk(
          `query($a: [AccessGroupInput!]!, $after: String) { previewAccess(access: $a, first: 3, after: $after) { ${PAGE} } }`,
          { a: access, after },
          admin,
        )
        .then((d) => d.previewAccess);
    const me = (after: string | null) =>
      gw
        .gqlOk(
          `query($after: String) { me { connections(first: 3, after: $after, filter: { access: [{ filters: [{ tag: "parity", value: "odd" }] }] }) { ${PAGE} } } }`,
          { after },
          admin,
        )
        .then((d) => d.me.connections);
    expect(await walk(3, role)).toEqual(expectedPages(odd, 3));
    expect(await walk(3, preview)).toEqual(expectedPages(odd, 3));
    expect(await walk(3, me)).toEqual(expectedPages(odd, 3));
  });

  test('a bad cursor on a nested field is BAD_USER_INPUT too', async () => {
    expect(errorCode(await gw.gql(`{ role(name: "odd") { connections(after: "%%%") { totalCount } } }`, {}, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gw.gql(`{ me { connections(first: -3) { totalCount } } }`, {}, admin))).toBe('BAD_USER_INPUT');
  });
});
