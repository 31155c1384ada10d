/**
 * A lone surrogate (the JSON escape "\ud800" or "\udc00", valid JSON but not well-formed Unicode) in a tag value or
 * any other string is the caller's fault: BAD_USER_INPUT on GraphQL, 400 on REST, with a message naming the field.
 * PostgreSQL refuses one inside jsonb (SQLSTATE 22P02, once an anonymous 500) and silently stores U+FFFD for one in
 * text; the validators refuse it first, and the database error is mapped as a net under any path they miss.
 */
import { callerFaultFromDatabase } from '../../src/db/pg-errors';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { restClient, type RestClient } from './rest-client';

const HIGH = '\ud800';
const LOW = '\udc00';
const PROBLEM = 'is not well-formed Unicode (it contains a lone surrogate, such as "\\ud800")';
const CONNECTION = { host: 'db.test', port: 5432, user: 'monitor', password: 'secret' };

let gw: TestGateway;
let admin: string;
let rest: RestClient;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  rest = restClient(gw.url);
  await gw.gqlOk(
    `mutation($i: CreateConnectionInput!) { createConnection(name: "target", input: $i) { name } }`,
    { i: { ...CONNECTION, tags: [{ key: 'env', value: 'prod' }] } },
    admin,
  );
});
afterAll(() => gw?.stop());

const errorsOf = (result: { errors?: { message: string; extensions?: { code?: string } }[] }) =>
  result.errors?.map((e) => ({ code: e.extensions?.code, message: e.message }));

describe('GraphQL: BAD_USER_INPUT naming the field', () => {
  test.each([
    [
      'a tag value of a new connection',
      `mutation($v: String!) { createConnection(name: "c1", input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "env", value: $v }] }) { name } }`,
      /^tags\.0\.value: is not well-formed Unicode/,
    ],
    [
      'a tag value of an update',
      `mutation($v: String!) { updateConnection(name: "target", input: { tags: [{ key: "env", value: $v }] }) { name } }`,
      /^tags\.0\.value: is not well-formed/,
    ],
    [
      'a role filter',
      `mutation($v: String!) { createRole(name: "r1", access: [{ filters: [{ tag: "env", value: $v }] }]) { name } }`,
      /^access\[1\]\.filters\[1\] "env=[^"]+": the value is not well-formed Unicode/,
    ],
    [
      'a preview',
      `query($v: String!) { previewAccess(access: [{ filters: [{ tag: "env", value: $v }] }]) { totalCount } }`,
      /^access\[1\]\.filters\[1\] "env=[^"]+": the value is not well-formed Unicode/,
    ],
    [
      'a connection filter',
      `query($v: String!) { connections(filter: { access: [{ filters: [{ tag: "env", value: $v }] }] }) { totalCount } }`,
      /^filter\.access\[1\]\.filters\[1\] "env=[^"]+": the value is not well-formed Unicode/,
    ],
    [
      'a user comment',
      `mutation($v: String!) { createUser(email: "u1@corp.test", input: { password: "long-enough", comment: $v }) { login } }`,
      /^comment: is not well-formed Unicode/,
    ],
    [
      'a user password',
      `mutation($v: String!) { updateUser(email: "datasentinel@datasentinel.local", input: { password: $v }) { login } }`,
      /^password: is not well-formed Unicode/,
    ],
    ['a monitoring user', `mutation($v: String!) { updateConnection(name: "target", input: { user: $v }) { name } }`, /^user: is not well-formed Unicode/],
    [
      'a connection password',
      `mutation($v: String!) { updateConnection(name: "target", input: { password: $v }) { name } }`,
      /^password: is not well-formed Unicode/,
    ],
  ])('%s', async (_what, query, message) => {
    for (const bad of [HIGH, `x${LOW}`, `${HIGH}y${HIGH}`]) {
      const errors = errorsOf(await gw.gql(query, { v: bad }, admin));
      expect(errors).toEqual([{ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) }]);
    }
  });

  test('nothing was stored, and a well-formed pair (an emoji) is still accepted', async () => {
    const data = await gw.gqlOk(`{ connection(name: "target") { user tagString } roles { name } }`, {}, admin);
    expect(data).toEqual({ connection: { user: 'monitor', tagString: 'env=prod' }, roles: [] });
    const emoji = '\ud83d\ude00';
    expect(
      (
        await gw.gqlOk(
          `mutation($v: String!) { updateConnection(name: "target", input: { tags: [{ key: "env", value: $v }] }) { tagString } }`,
          { v: emoji },
          admin,
        )
      ).updateConnection.tagString,
    ).toBe(`env=${emoji}`);
    await gw.gqlOk(`mutation { updateConnection(name: "target", input: { tags: [{ key: "env", value: "prod" }] }) { name } }`, {}, admin);
  });
});

describe('REST: 400 naming the field', () => {
  // Raw bodies: the escape must reach the server as written.
  const body = (fields: string) => `{${fields}}`;
  test.each([
    [
      'a tag of a new connection',
      'POST',
      '/ds-api/pool/pg-instances/c2',
      body(`"host":"db.test","port":5432,"user":"m","password":"p","tags":"env=\\ud800"`),
      'tags',
    ],
    ['a tag of an update', 'PUT', '/ds-api/pool/pg-instances/target', body(`"tags":"env=x\\udc00"`), 'tags'],
    ['a role filter', 'POST', '/ds-api/roles/r2', body(`"access":[{"filters":[{"tag":"env","value":"\\ud800"}]}]`), 'access[1].filters[1].value'],
    ['a user comment', 'PUT', '/ds-api/users/datasentinel@datasentinel.local', body(`"comment":"\\ud800"`), 'comment'],
    ['a key', 'PUT', '/ds-api/users/datasentinel@datasentinel.local', body(`"\\ud800":"x"`), '\\ud800'],
  ])('%s', async (_what, method, path, raw, field) => {
    const response = await (method === 'POST' ? rest.post(path, { token: admin, raw }) : rest.put(path, { token: admin, raw }));
    expect({ status: response.status, body: response.body }).toEqual({ status: 400, body: { error: `${field}: ${PROBLEM}` } });
  });
});

test('the database refusal itself is a client error (the net under any path a validator misses)', async () => {
  const refusal = await gw.gateway.dataSource.query(`SELECT $1::jsonb AS v`, [JSON.stringify({ env: HIGH })]).then(
    () => null,
    (error: unknown) => error,
  );
  expect(refusal).toMatchObject({ code: '22P02' });
  const mapped = callerFaultFromDatabase(refusal);
  expect({ code: mapped?.code, message: mapped?.message }).toEqual({ code: 'BAD_USER_INPUT', message: `Text ${PROBLEM}` });
  // Other 22P02 (not JSON) are not the caller's fault by default.
  const notJson = await gw.gateway.dataSource.query(`SELECT 'x'::int`).then(
    () => null,
    (error: unknown) => error,
  );
  expect(notJson).toMatchObject({ code: '22P02' });
  expect(callerFaultFromDatabase(notJson)).toBeNull();
});
