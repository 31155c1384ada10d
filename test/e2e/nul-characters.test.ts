/** Text PostgreSQL cannot store is the caller's fault on every path: BAD_USER_INPUT, never an internal error. */
import { startTestGateway, type TestGateway } from '../support/gateway';
import { restClient } from './rest-client';

let gw: TestGateway;
let admin: string;
beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
});
afterAll(() => gw.stop());

test.each([
  ['connection lookup', `query($v: String!) { connection(name: $v) { name } }`],
  ['role lookup', `query($v: String!) { role(name: $v) { name } }`],
  ['user lookup', `query($v: String!) { user(email: $v) { login } }`],
  ['user comment', `mutation($v: String!) { createUser(email: "nul@corp.test", input: { password: "long-enough", comment: $v }) { login } }`],
  ['sign-in', `mutation($v: String!) { createToken(login: $v, password: "whatever-pass") { token } }`],
])('%s with a NUL character', async (_what, query) => {
  const result = await gw.gql(query, { v: 'a\u0000b' }, admin);
  expect(result.errors).toEqual([
    expect.objectContaining({ message: 'Text contains a character that cannot be stored (such as NUL)', extensions: { code: 'BAD_USER_INPUT' } }),
  ]);
});

test('REST answers 400 for a NUL in a path', async () => {
  const response = await restClient(gw.url).get('/ds-api/roles/a%00b', { token: admin });
  expect(response.status).toBe(400);
  expect(Object.keys(response.body as object)).toEqual(['error']);
});
