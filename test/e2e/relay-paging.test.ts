/**
 * Ordering and backward paging of connection lists (Relay cursor connections): every order × direction, walked
 * forward with first/after and backward with last/before, for an unrestricted and a restricted caller, against the
 * order computed here; keyset cursors that stay put under inserts; the errors of mixed arguments.
 */
import { errorCode, startTestGateway, type TestGateway } from '../support/gateway';
import { seedConnections, seedRoles } from '../support/seed';

let gw: TestGateway;
let admin: string;
let restricted: string;

interface Row {
  name: string;
  host: string;
  createdAt: string; // microseconds, UTC
  updatedAt: string;
  team: string;
}

const FIELDS = ['NAME', 'HOST', 'CREATED_AT', 'UPDATED_AT'] as const;
type Field = (typeof FIELDS)[number];
const DIRECTIONS = ['ASC', 'DESC'] as const;

// Hosts and instants with ties (the name must break them) and values that differ only past the millisecond.
const ROWS: Row[] = Array.from({ length: 23 }, (_, i) => ({
  name: `db-${String((i * 7) % 23).padStart(2, '0')}`,
  host: ['b.example', 'A.example', 'a.example', 'c-1.example'][i % 4]!,
  createdAt: `2024-0${1 + (i % 3)}-01T00:00:00.00000${i % 2}Z`,
  updatedAt: `2024-05-01T10:00:00.${String(123450 + (i % 5)).padStart(6, '0')}Z`,
  team: i % 3 === 0 ? 'blue' : 'red',
}));

const keyOf = (row: Row, field: Field) => ({ NAME: row.name, HOST: row.host, CREATED_AT: row.createdAt, UPDATED_AT: row.updatedAt })[field];
const codeUnitCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
function expectedOrder(rows: Row[], field: Field, direction: 'ASC' | 'DESC'): string[] {
  const sorted = [...rows].sort((a, b) => codeUnitCompare(keyOf(a, field), keyOf(b, field)) || codeUnitCompare(a.name, b.name));
  if (direction === 'DESC') sorted.reverse();
  return sorted.map((r) => r.name);
}

const PAGE = `totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
interface Page {
  totalCount: number;
  edges: { cursor: string; node: { name: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

async function page(token: string, args: Record<string, unknown>): Promise<Page> {
  const data = await gw.gqlOk<{ connections: Page }>(
    `query($first: Int, $after: String, $last: Int, $before: String, $orderBy: ConnectionOrder) {
       connections(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) { ${PAGE} } }`,
    args,
    token,
  );
  return data.connections;
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, principalCacheTtlMs: 0 });
  admin = await gw.token();
  const ds = gw.gateway.dataSource;
  await seedConnections(
    ds,
    ROWS.map((r) => ({ name: r.name, host: r.host, tags: { team: r.team } })),
  );
  await ds.query(
    `UPDATE connections c SET created_at = (r->>'createdAt')::timestamptz, updated_at = (r->>'updatedAt')::timestamptz
       FROM jsonb_array_elements($1::jsonb) r WHERE c.name = r->>'name'`,
    [JSON.stringify(ROWS)],
  );
  await seedRoles(ds, [{ name: 'blue-team', access: [{ filters: [{ tag: 'team', value: 'blue' }] }] }]);
  await gw.gqlOk(
    `mutation { createUser(email: "blue@corp.test", input: { password: "blue-password-1", privilege: READ, profile: DEVELOPER, roles: ["blue-team"] }) { login } }`,
    {},
    admin,
  );
  restricted = await gw.token('blue', 'blue-password-1');
});
afterAll(() => gw?.stop());

const callers = () => [
  { label: 'administrator', token: admin, rows: ROWS },
  { label: 'restricted user', token: restricted, rows: ROWS.filter((r) => r.team === 'blue') },
];

describe.each(FIELDS.flatMap((field) => DIRECTIONS.map((direction) => [field, direction] as const)))('orderBy %s %s', (field, direction) => {
  test('forward with first/after and backward with last/before walk the same order, for every caller', async () => {
    for (const { token, rows } of callers()) {
      const expected = expectedOrder(rows, field, direction);
      const orderBy = { field, direction };
      // Forward.
      const forward: string[] = [];
      let after: string | null = null;
      const previous: boolean[] = [];
      for (let guard = 0; guard < 20; guard += 1) {
        const p = await page(token, { first: 3, after, orderBy });
        expect(p.totalCount).toBe(rows.length);
        forward.push(...p.edges.map((e) => e.node.name));
        previous.push(p.pageInfo.hasPreviousPage);
        expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
        expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
        if (!p.pageInfo.hasNextPage) break;
        after = p.pageInfo.endCursor;
      }
      expect(forward).toEqual(expected);
      expect(previous).toEqual(previous.map((_, i) => i > 0));
      // Backward, from the end.
      const backward: string[][] = [];
      let before: string | null = null;
      const nextFlags: boolean[] = [];
      for (let guard = 0; guard < 20; guard += 1) {
        const p = await page(token, { last: 3, before, orderBy });
        backward.unshift(p.edges.map((e) => e.node.name));
        nextFlags.push(p.pageInfo.hasNextPage);
        if (!p.pageInfo.hasPreviousPage) break;
        before = p.pageInfo.startCursor;
      }
      expect(backward.flat()).toEqual(expected);
      expect(backward.at(-1)).toEqual(expected.slice(-3));
      expect(nextFlags).toEqual(nextFlags.map((_, i) => i > 0));
    }
  });
});

test('after and before together bound one page (Relay: cursors first, then first or last)', async () => {
  const expected = expectedOrder(ROWS, 'HOST', 'DESC');
  const orderBy = { field: 'HOST', direction: 'DESC' };
  const all = await page(admin, { first: 100, orderBy });
  const cursorOf = (name: string) => all.edges.find((e) => e.node.name === name)!.cursor;
  const window = { after: cursorOf(expected[2]!), before: cursorOf(expected[10]!), orderBy };
  expect((await page(admin, { ...window, first: 3 })).edges.map((e) => e.node.name)).toEqual(expected.slice(3, 6));
  const last = await page(admin, { ...window, last: 3 });
  expect(last.edges.map((e) => e.node.name)).toEqual(expected.slice(7, 10));
  expect([last.pageInfo.hasPreviousPage, last.pageInfo.hasNextPage]).toEqual([true, true]);
});

test('a cursor keeps its place when connections are added before and after it', async () => {
  const orderBy = { field: 'CREATED_AT', direction: 'ASC' };
  const first = await page(admin, { first: 5, orderBy });
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, [
    { name: 'zz-early', host: 'x', tags: { team: 'red' } },
    { name: 'aa-late', host: 'x', tags: { team: 'red' } },
  ]);
  // One sorts before the whole first page, one after everything.
  await ds.query(`UPDATE connections SET created_at = '2000-01-01T00:00:00Z' WHERE name = 'zz-early'`);
  await ds.query(`UPDATE connections SET created_at = '2030-01-01T00:00:00Z' WHERE name = 'aa-late'`);
  const rows = [
    ...ROWS,
    { ...ROWS[0]!, name: 'zz-early', createdAt: '2000-01-01T00:00:00.000000Z' },
    { ...ROWS[0]!, name: 'aa-late', createdAt: '2030-01-01T00:00:00.000000Z' },
  ];
  const expected = expectedOrder(rows, 'CREATED_AT', 'ASC');
  const next = await page(admin, { first: 100, after: first.pageInfo.endCursor, orderBy });
  const boundary = expected.indexOf(first.edges.at(-1)!.node.name);
  expect(next.edges.map((e) => e.node.name)).toEqual(expected.slice(boundary + 1));
  expect(next.edges.map((e) => e.node.name)).toContain('aa-late');
  expect(next.pageInfo.hasPreviousPage).toBe(true);
  await ds.query(`DELETE FROM connections WHERE name IN ('zz-early', 'aa-late')`);
});

test('`last` alone pages backward although `first` has a default; `first` with `last` is BAD_USER_INPUT', async () => {
  const names = expectedOrder(ROWS, 'NAME', 'ASC');
  const literal = await gw.gqlOk<{ connections: Page }>(`{ connections(last: 2) { ${PAGE} } }`, {}, admin);
  expect(literal.connections.edges.map((e) => e.node.name)).toEqual(names.slice(-2));
  const both = await gw.gql(`{ connections(first: 50, last: 2) { totalCount } }`, {}, admin);
  expect(errorCode(both)).toBe('BAD_USER_INPUT');
  expect(both.errors![0]!.message).toBe('Pass `first` (to page forward) or `last` (to page backward), not both');
  const viaVariables = await gw.gql(`query($f: Int, $l: Int) { connections(first: $f, last: $l) { totalCount } }`, { f: 5, l: 2 }, admin);
  expect(errorCode(viaVariables)).toBe('BAD_USER_INPUT');
  // A variable left unset is no `first`.
  const unset = await gw.gqlOk<{ connections: Page }>(`query($f: Int, $l: Int) { connections(first: $f, last: $l) { ${PAGE} } }`, { l: 1 }, admin);
  expect(unset.connections.edges.map((e) => e.node.name)).toEqual(names.slice(-1));
});

test('a cursor from one order used with another is BAD_USER_INPUT; nested lists take the same arguments', async () => {
  const byHost = await page(admin, { first: 2, orderBy: { field: 'HOST' } });
  const wrong = await gw.gql(
    `query($after: String) { connections(first: 2, after: $after, orderBy: { field: HOST, direction: DESC }) { totalCount } }`,
    { after: byHost.pageInfo.endCursor },
    admin,
  );
  expect(errorCode(wrong)).toBe('BAD_USER_INPUT');
  expect(wrong.errors![0]!.message).toMatch(/^This cursor belongs to orderBy \{field: HOST, direction: ASC\}, not \{field: HOST, direction: DESC\}/);
  const nameCursor = (await page(admin, { first: 1 })).pageInfo.endCursor;
  expect(
    errorCode(
      await gw.gql(
        `query($b: String) { connections(last: 1, before: $b, orderBy: { field: NAME, direction: DESC }) { totalCount } }`,
        { b: nameCursor },
        admin,
      ),
    ),
  ).toBe('BAD_USER_INPUT');
  const nested = await gw.gqlOk<{ role: { connections: Page } }>(
    `{ role(name: "blue-team") { connections(last: 2, orderBy: { field: UPDATED_AT, direction: DESC }) { ${PAGE} } } }`,
    {},
    admin,
  );
  const blue = expectedOrder(
    ROWS.filter((r) => r.team === 'blue'),
    'UPDATED_AT',
    'DESC',
  );
  expect(nested.role.connections.edges.map((e) => e.node.name)).toEqual(blue.slice(-2));
});
