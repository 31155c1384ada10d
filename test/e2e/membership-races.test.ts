/**
 * The materialized access relation (role_connections) stays exact while role rewrites and connection writes race:
 * after every round, each role's rows are exactly the connections its current rule matches.
 */
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let admin: string;
beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
});
afterAll(() => gw.stop());

const RULES = [
  [{ filters: [{ tag: 'env', value: 'prod' }] }],
  [
    { filters: [{ tag: 'env', value: 'dev' }] },
    {
      filters: [
        { tag: 'team', value: 'a' },
        { tag: 'env', value: 'prod' },
      ],
    },
  ],
];

/** Role -> connection names, as the table says and as the current rules say (recomputed by plain SQL, here). */
async function drift(): Promise<{ stored: string[]; expected: string[] }> {
  const ds = gw.gateway.dataSource;
  const stored: { r: string; c: string }[] = await ds.query(
    `SELECT r.name AS r, rc.name AS c FROM role_connections rc JOIN roles r ON r.id = rc.role_id ORDER BY 1, 2`,
  );
  const expected: { r: string; c: string }[] = await ds.query(
    `SELECT DISTINCT r.name AS r, c.name AS c
       FROM roles r CROSS JOIN LATERAL jsonb_array_elements(r.access) AS g JOIN connections c
         ON c.tags @> (SELECT jsonb_object_agg(f->>'tag', f->>'value') FROM jsonb_array_elements(g->'filters') AS f)
      ORDER BY 1, 2`,
  );
  return { stored: stored.map((x) => `${x.r}:${x.c}`), expected: expected.map((x) => `${x.r}:${x.c}`) };
}

test('role rewrites racing connection creates and tag updates leave the relation exact', async () => {
  await gw.gqlOk(`mutation($a: [AccessGroupInput!]!) { createRole(name: "racer", access: $a) { name } }`, { a: RULES[0] }, admin);
  for (let round = 0; round < 6; round += 1) {
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i += 1) {
      const name = `r${round}-c${i}`;
      const tags = [
        { key: 'env', value: i % 2 ? 'prod' : 'dev' },
        { key: 'team', value: i % 3 ? 'a' : 'b' },
      ];
      writes.push(
        gw.gql(
          `mutation($n: String!, $t: [TagInput!]) { createConnection(name: $n, input: { host: "h", port: 5432, user: "u", password: "p", tags: $t }) { name } }`,
          { n: name, t: tags },
          admin,
        ),
      );
      writes.push(gw.gql(`mutation($a: [AccessGroupInput!]!) { updateRole(name: "racer", access: $a) { name } }`, { a: RULES[(round + i) % 2] }, admin));
      if (round > 0) {
        writes.push(
          gw.gql(
            `mutation($n: String!, $t: [TagInput!]) { updateConnection(name: $n, input: { tags: $t }) { name } }`,
            {
              n: `r${round - 1}-c${i}`,
              t: [
                { key: 'env', value: i % 2 ? 'dev' : 'prod' },
                { key: 'team', value: 'a' },
              ],
            },
            admin,
          ),
        );
      }
    }
    const results = (await Promise.all(writes)) as { errors?: unknown[] }[];
    expect(results.filter((r) => r.errors)).toEqual([]);
    const { stored, expected } = await drift();
    expect(stored).toEqual(expected);
    expect(stored.length).toBeGreaterThan(0);
  }
});
