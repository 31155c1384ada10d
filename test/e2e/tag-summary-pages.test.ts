/**
 * The tag summary's values are paged (`values(first: 100)` by default, at most 1000, `after` for the next page) and
 * computed for that page in SQL, by one of two plans (src/services/connection-queries.ts `tagSummary`): tag
 * signatures when the caller's roles name no per-connection key, every visible row otherwise. Both must give the
 * same answers, equal to what this file computes from the world it seeded, for every page.
 */
import { errorCode, startTestGateway, type TestGateway } from '../support/gateway';
import { seedConnections, seedRoles } from '../support/seed';

let gw: TestGateway;
let admin: string;
/** Holds `by-app` (the signature plan) and `by-instance` (a per-connection key: the plan over rows). */
let mixed: string;
/** Holds `by-app` only. */
let plain: string;

/** 240 connections: 150 applications (`app-000` ... `app-149`), 3 environments, hosts shared by 2. */
const WORLD = Array.from({ length: 240 }, (_, i) => ({
  name: `c${String(i).padStart(3, '0')}`,
  host: `h${String(Math.floor(i / 2)).padStart(3, '0')}.example`,
  tags: { app: `app-${String(i % 150).padStart(3, '0')}`, env: ['prod', 'dev', 'test'][i % 3]!, ...(i % 7 === 0 ? { team: 'core' } : {}) },
}));

type Summary = { key: string; valueCount: number; values: { value: string; count: number }[] }[];

/** The expected summary over `names`: every key, its distinct value count, and the page of values asked for. */
function expected(names: Set<string>, first = 100, after: string | null = null): Summary {
  const byKey = new Map<string, Map<string, number>>();
  const add = (key: string, value: string) => {
    if (!byKey.has(key)) byKey.set(key, new Map());
    byKey.get(key)!.set(value, (byKey.get(key)!.get(value) ?? 0) + 1);
  };
  for (const c of WORLD.filter((c) => names.has(c.name))) {
    for (const [key, value] of Object.entries(c.tags)) add(key, value);
    add('pg_instance', `${c.host}@${c.name}`);
    add('server', c.host);
  }
  const codePoints = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...byKey.keys()].sort(codePoints).map((key) => {
    const values = [...byKey.get(key)!].sort(([a], [b]) => codePoints(a, b)).map(([value, count]) => ({ value, count }));
    return { key, valueCount: values.length, values: values.filter((v) => after === null || v.value > after).slice(0, first) };
  });
}

const SUMMARY = `query($first: Int, $after: String) { tags { key valueCount values(first: $first, after: $after) { value count } } }`;
const everything = new Set(WORLD.map((c) => c.name));
const appVisible = new Set(WORLD.filter((c) => Number(c.tags.app.slice(4)) < 40).map((c) => c.name));

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, WORLD);
  await seedRoles(ds, [
    { name: 'by-app', access: Array.from({ length: 40 }, (_, i) => ({ filters: [{ tag: 'app', value: `app-${String(i).padStart(3, '0')}` }] })) },
    { name: 'by-instance', access: [{ filters: [{ tag: 'pg_instance', value: 'h119.example@c239' }] }] },
  ]);
  for (const [login, roles] of [
    ['mixed', ['by-app', 'by-instance']],
    ['plain', ['by-app']],
  ] as const) {
    await gw.gqlOk(
      `mutation($e: String!, $r: [String!]!) { createUser(email: $e, input: { password: "viewer-password-1", privilege: READ, roles: $r }) { id } }`,
      { e: `${login}@corp.test`, r: roles },
      admin,
    );
  }
  mixed = await gw.token('mixed', 'viewer-password-1');
  plain = await gw.token('plain', 'viewer-password-1');
});
afterAll(() => gw?.stop());

const callers = () =>
  [
    ['administrator (signature plan)', admin, everything],
    ['restricted, signature plan', plain, appVisible],
    ['restricted, a per-connection key in a role (row plan)', mixed, new Set([...appVisible, 'c239'])],
  ] as const;

test('values come 100 at a time by default, with the count of all of them', async () => {
  for (const [label, token, visible] of callers()) {
    const data = await gw.gqlOk<{ tags: Summary }>(SUMMARY, {}, token);
    expect({ label, tags: data.tags }).toEqual({ label, tags: expected(visible) });
    const app = data.tags.find((t) => t.key === 'app')!;
    expect({ label, shown: app.values.length, all: app.valueCount }).toEqual({
      label,
      shown: Math.min(100, app.valueCount),
      all: { admin: 150, plain: 40, mixed: 41 }[token === admin ? 'admin' : token === plain ? 'plain' : 'mixed'],
    });
  }
});

test('every page, in both plans, up to and past the last value (the key stays listed)', async () => {
  for (const [label, token, visible] of callers()) {
    for (const [first, after] of [
      [7, null],
      [7, 'app-006'],
      [0, null],
      [1000, null],
      [3, 'h118.example'],
      [5, 'zzz'],
      [2, 'h119.example@c237'],
    ] as const) {
      const data = await gw.gqlOk<{ tags: Summary }>(SUMMARY, { first, after }, token);
      expect({ label, first, after, tags: data.tags }).toEqual({ label, first, after, tags: expected(visible, first, after) });
    }
  }
});

test('two pages in one document (the general path) answer each field its own page', async () => {
  const data = await gw.gqlOk<{ tags: { key: string; a: { value: string }[]; b: { value: string }[] }[] }>(
    `{ tags(keys: ["app"]) { key a: values(first: 2) { value } b: values(first: 2, after: "app-001") { value } } }`,
    {},
    plain,
  );
  expect(data.tags).toEqual([{ key: 'app', a: [{ value: 'app-000' }, { value: 'app-001' }], b: [{ value: 'app-002' }, { value: 'app-003' }] }]);
});

test('a page over 1000 values or below 0 is refused', async () => {
  for (const first of [1001, -1]) {
    const result = await gw.gql(SUMMARY, { first }, admin);
    expect({ first, code: errorCode(result) }).toEqual({ first, code: 'BAD_USER_INPUT' });
  }
});

test('a summary costs one statement, whatever the plan', async () => {
  for (const [label, token] of callers()) {
    await gw.gqlOk(`{ me { login } }`, {}, token);
    gw.resetStatements();
    await gw.gqlOk(`{ tags(keys: ["env", "server"]) { key valueCount values(first: 3) { value count } } }`, {}, token);
    expect({ label, summaries: gw.statements.filter((s) => /jsonb_each_text/.test(s)).length }).toEqual({ label, summaries: 1 });
  }
});

test('a selection through fragments is paged in SQL too', async () => {
  gw.resetStatements();
  const data = await gw.gqlOk<{ tags: Summary }>(
    `query($first: Int) { tags { ...Key } } fragment Key on TagSummary { key valueCount ... on TagSummary { values(first: $first) { value count } } }`,
    { first: 2 },
    admin,
  );
  expect(data.tags).toEqual(expected(everything, 2));
  expect(gw.statements.filter((sql) => /jsonb_each_text/.test(sql)).map((sql) => /rank_after/.test(sql))).toEqual([true]);
});
