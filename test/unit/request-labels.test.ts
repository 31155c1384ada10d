import { parse } from 'graphql';
import { REST_OPERATIONS } from '../../src/rest/routes';
import { BoundedLabels, classifyRequest, operationNameOf, restRouteName } from '../../src/ops/request-labels';

test('REST paths become route templates, never the names or emails they carry', () => {
  expect(restRouteName('PUT', '/ds-api/roles/sales-role')).toBe('PUT /ds-api/roles/:role');
  expect(restRouteName('GET', '/ds-api/roles/sales-role/users')).toBe('GET /ds-api/roles/:role/users');
  expect(restRouteName('PATCH', '/ds-api/pool/pg-instances/db.1/disable')).toBe('PATCH /ds-api/pool/pg-instances/:name/disable');
  expect(restRouteName('DELETE', '/ds-api/users/jean%40corp.com')).toBe('DELETE /ds-api/users/:email');
  expect(restRouteName('POST', '/ds-api/user-token/ds-data')).toBe('POST /ds-api/user-token/:organization');
  expect(restRouteName('GET', '/ds-api/')).toBe('GET /ds-api/');
  expect(restRouteName('GET', '/ds-api/no/such/thing')).toBe('GET /ds-api/*');
  expect(restRouteName('BREW', '/ds-api/roles')).toBe('OTHER /ds-api/roles');
});

test('requests are classified by route kind', () => {
  expect(classifyRequest('POST', '/graphql')).toEqual({ kind: 'graphql', route: '/graphql' });
  expect(classifyRequest('GET', '/graphql/assets/graphiql.css')).toEqual({ kind: 'other', route: 'playground-assets' });
  expect(classifyRequest('GET', '/ds-api/roles')).toEqual({ kind: 'rest', route: 'GET /ds-api/roles' });
  expect(classifyRequest('GET', '/metrics')).toEqual({ kind: 'other', route: '/metrics' });
  expect(classifyRequest('GET', '/wp-admin/setup.php')).toEqual({ kind: 'other', route: 'unmatched' });
});

test('the operation name comes from the parsed document', () => {
  expect(operationNameOf(parse('query Dashboard { me { login } }'))).toBe('Dashboard');
  expect(operationNameOf(parse('{ me { login } }'))).toBe('anonymous');
  expect(operationNameOf(parse('query A { me { login } } query B { me { email } }'), 'B')).toBe('B');
  expect(operationNameOf(parse('query A { me { login } } query B { me { email } }'))).toBe('A');
  expect(operationNameOf(parse('query A { me { login } }'), 'Missing')).toBe('anonymous');
  expect(operationNameOf(parse(`query ${'X'.repeat(100)} { me { login } }`))).toHaveLength(64);
});

test('at most N distinct labels are kept apart', () => {
  const labels = new BoundedLabels(2);
  expect([labels.label('a'), labels.label('b'), labels.label('c'), labels.label('a')]).toEqual(['a', 'b', 'other', 'a']);
});

test('every path of the REST route table is labelled with its own template, and nothing else is', () => {
  const paths = [...new Set(REST_OPERATIONS.map((operation) => operation.path))];
  for (const path of paths) {
    // A sample request path: each parameter replaced by a value, with and without a trailing slash.
    const sample = `/ds-api${path.replace(/:[A-Za-z]+/g, 'some.value%40x')}`;
    expect(restRouteName('GET', sample)).toBe(`GET /ds-api${path}`);
    expect(restRouteName('DELETE', `${sample.replace(/\/$/, '')}/`)).toBe(`DELETE /ds-api${path}`);
  }
  expect(restRouteName('GET', '/ds-api/openapi.json')).toBe('GET /ds-api/openapi.json');
  expect(restRouteName('GET', '/ds-api/openapiXjson')).toBe('GET /ds-api/*');
  expect(restRouteName('GET', '/ds-api/roles/a/b/c')).toBe('GET /ds-api/*');
});
