import { errorCode, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

test('the administrator signs in and sees an empty fleet', async () => {
  const token = await gw.token();
  const data = await gw.gqlOk(`{ me { login restricted permissions { administer } } connections { totalCount nodes { name } } }`, {}, token);
  expect(data).toEqual({ me: { login: 'datasentinel', restricted: false, permissions: { administer: true } }, connections: { totalCount: 0, nodes: [] } });
});

test('anonymous callers get UNAUTHENTICATED', async () => {
  expect(errorCode(await gw.gql(`{ me { login } }`))).toBe('UNAUTHENTICATED');
});
