/**
 * Tag keys that name JavaScript object internals (`__proto__`, `constructor`, `toString`, `prototype` ...) are
 * ordinary tags. A selector built on a plain object once dropped `__proto__` (the assignment set the prototype), so
 * `previewAccess` and `ConnectionFilter.access` read `{tag: "__proto__", value: "lyon"}` as "no condition" and
 * matched every connection, while the saved role (matched by PostgreSQL triggers) matched none.
 *
 * Property: for random rules over such keys, `previewAccess`, `connections(filter: {access})` and the saved role's
 * `connections` / `connectionCount` return exactly the connections a plain oracle says, against the real database.
 */
import fc from 'fast-check';
import { startTestGateway, type TestGateway } from '../support/gateway';

const KEYS = ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'env'] as const;
const VALUES = ['lyon', 'paris', '{}'] as const;

/** The world: each connection carries some of the keys above as user tags. */
const CONNECTIONS: { name: string; tags: [string, string][] }[] = [
  { name: 'plain', tags: [] },
  { name: 'proto-lyon', tags: [['__proto__', 'lyon']] },
  {
    name: 'proto-paris',
    tags: [
      ['__proto__', 'paris'],
      ['env', 'lyon'],
    ],
  },
  {
    name: 'ctor-lyon',
    tags: [
      ['constructor', 'lyon'],
      ['toString', 'paris'],
    ],
  },
  { name: 'all-lyon', tags: KEYS.map((k) => [k, 'lyon'] as [string, string]) },
  {
    name: 'mixed',
    tags: [
      ['prototype', '{}'],
      ['valueOf', 'lyon'],
      ['__proto__', 'lyon'],
      ['hasOwnProperty', 'paris'],
    ],
  },
  { name: 'env-only', tags: [['env', 'paris']] },
];

type Rule = { filters: { tag: string; value: string }[] }[];

const filterArb = fc.record({ tag: fc.constantFrom(...KEYS), value: fc.constantFrom(...VALUES) });
const ruleArb: fc.Arbitrary<Rule> = fc.array(fc.record({ filters: fc.array(filterArb, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 3 });

/** Plain set logic, with Maps: a connection matches when some group has every filter equal to one of its tags. */
function oracle(rule: Rule): string[] {
  return CONNECTIONS.filter((c) => {
    const tags = new Map(c.tags);
    return rule.some((group) => group.filters.every((f) => tags.get(f.tag) === f.value));
  })
    .map((c) => c.name)
    .sort();
}

let gw: TestGateway;
let admin: string;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  for (const c of CONNECTIONS) {
    await gw.gqlOk(
      `mutation($n: String!, $t: [TagInput!]!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: $t }) { name } }`,
      { n: c.name, t: c.tags.map(([key, value]) => ({ key, value })) },
      admin,
    );
  }
});
afterAll(() => gw?.stop());

const names = (page: { nodes: { name: string }[] }) => page.nodes.map((n) => n.name).sort();

test('the reported case: a __proto__ filter is a condition, not "everything"', async () => {
  const access = [{ filters: [{ tag: '__proto__', value: 'nowhere' }] }];
  const data = await gw.gqlOk(
    `query($a: [AccessGroupInput!]!) { previewAccess(access: $a) { totalCount nodes { name } } connections(filter: { access: $a }) { totalCount } }`,
    { a: access },
    admin,
  );
  expect(data).toEqual({ previewAccess: { totalCount: 0, nodes: [] }, connections: { totalCount: 0 } });
  const lyon = await gw.gqlOk(`{ previewAccess(access: [{ filters: [{ tag: "__proto__", value: "lyon" }] }]) { nodes { name } } }`, {}, admin);
  expect(names(lyon.previewAccess)).toEqual(['all-lyon', 'mixed', 'proto-lyon']);
});

test('previewAccess and ConnectionFilter.access equal what the saved role matches, for rules over prototype-like keys', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(ruleArb, async (rule) => {
      run += 1;
      const role = `p${run}`;
      await gw.gqlOk(`mutation($n: String!, $a: [AccessGroupInput!]!) { createRole(name: $n, access: $a) { name } }`, { n: role, a: rule }, admin);
      try {
        const data = await gw.gqlOk(
          `query($n: String!, $a: [AccessGroupInput!]!) {
             previewAccess(access: $a, first: 500) { totalCount nodes { name } }
             connections(filter: { access: $a }, first: 500) { totalCount nodes { name } }
             role(name: $n) { connectionCount connections(first: 500) { totalCount nodes { name } } }
           }`,
          { n: role, a: rule },
          admin,
        );
        const expected = oracle(rule);
        expect({
          preview: names(data.previewAccess),
          previewCount: data.previewAccess.totalCount,
          filter: names(data.connections),
          filterCount: data.connections.totalCount,
          saved: names(data.role.connections),
          savedCount: data.role.connectionCount,
        }).toEqual({
          preview: expected,
          previewCount: expected.length,
          filter: expected,
          filterCount: expected.length,
          saved: expected,
          savedCount: expected.length,
        });
      } finally {
        await gw.gqlOk(`mutation($n: String!) { deleteRole(name: $n) }`, { n: role }, admin);
      }
    }),
    { numRuns: Number(process.env.PROPERTY_RUNS ?? 60), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
  );
});
