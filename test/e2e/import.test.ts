/** Bulk import: all or nothing, every problem reported together, and much faster than one mutation per item. */
import { errorCode, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let admin: string;
beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
});
afterAll(() => gw.stop());

const IMPORT = `mutation($inputs: [ImportConnectionInput!]!) { importConnections(inputs: $inputs, probe: false) { created names } }`;
const item = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  host: 'db.corp.test',
  port: 5432,
  user: 'monitor',
  password: 'secret',
  tags: [{ key: 'env', value: 'prod' }],
  ...extra,
});

test('imports many connections in one call, with defaults and tags, readable at once', async () => {
  const inputs = Array.from({ length: 250 }, (_, i) =>
    item(`bulk-${String(i).padStart(3, '0')}`, i % 2 ? { samples: true, tags: [{ key: 'env', value: 'dev' }] } : {}),
  );
  const data = await gw.gqlOk(IMPORT, { inputs }, admin);
  expect(data.importConnections.created).toBe(250);
  expect(data.importConnections.names.slice(0, 2)).toEqual(['bulk-000', 'bulk-001']);
  const read = await gw.gqlOk(
    `{ a: connection(name: "bulk-000") { host port user tagString samples enabled connected lockMonitoringDelay tags { key value automatic } }
       dev: connections(filter: { access: [{ filters: [{ tag: "env", value: "dev" }] }] }) { totalCount } }`,
    {},
    admin,
  );
  expect(read.a).toEqual({
    host: 'db.corp.test',
    port: 5432,
    user: 'monitor',
    tagString: 'env=prod',
    samples: false,
    enabled: true,
    connected: false,
    lockMonitoringDelay: 30,
    tags: [
      { key: 'env', value: 'prod', automatic: false },
      { key: 'pg_instance', value: 'db.corp.test@bulk-000', automatic: true },
      { key: 'server', value: 'db.corp.test', automatic: true },
    ],
  });
  expect(read.dev.totalCount).toBe(125);
});

test('every bad item is reported together and nothing is written', async () => {
  const before = (await gw.gqlOk(`{ connections { totalCount } }`, {}, admin)).connections.totalCount;
  const result = await gw.gql(
    IMPORT,
    {
      inputs: [
        item('fine-1'),
        item('bad port', { port: 70000 }),
        item('fine-2', { tags: [{ key: 'pg_instance', value: 'x' }] }),
        item('bulk-000'),
        item('fine-1'),
        item('fine-3'),
      ],
    },
    admin,
  );
  expect(errorCode(result)).toBe('BAD_USER_INPUT');
  const problems = result.errors![0]!.extensions!.problems as { index: number; name: string; message: string }[];
  expect(problems.map((p) => [p.index, p.name])).toEqual([
    [1, 'bad port'],
    [2, 'fine-2'],
    [3, 'bulk-000'],
    [4, 'fine-1'],
  ]);
  expect(problems[2]!.message).toBe('Connection "bulk-000" already exists');
  expect((await gw.gqlOk(`{ connections { totalCount } }`, {}, admin)).connections.totalCount).toBe(before);
  expect((await gw.gqlOk(`{ connection(name: "fine-3") { name } }`, {}, admin)).connection).toBeNull();
});

test('only administrators may import', async () => {
  await gw.gqlOk(`mutation { createUser(email: "reader@corp.test", input: { password: "reader-pass", privilege: READ }) { login } }`, {}, admin);
  const reader = await gw.token('reader', 'reader-pass');
  expect(errorCode(await gw.gql(IMPORT, { inputs: [item('x')] }, reader))).toBe('FORBIDDEN');
});
