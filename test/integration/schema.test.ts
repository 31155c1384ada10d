import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getIntrospectionQuery, graphqlSync, isObjectType, type GraphQLSchema } from 'graphql';
import { schemaToSdl } from '../../src/graphql/print-schema';
import { buildGatewaySchema } from '../../src/graphql/schema';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

test('schema/schema.graphql is exactly the schema the code builds (run `npm run schema` when this fails)', () => {
  const committed = readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8');
  expect(committed).toBe(schemaToSdl(schema));
});

test('no output type has a field that could carry a password or hash', () => {
  const offenders: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.keys(type.getFields())) {
      if (/password|hash|secret/i.test(field)) offenders.push(`${type.name}.${field}`);
    }
  }
  expect(offenders).toEqual([]);
});

test('every type and field of our own carries a description', () => {
  const introspection = graphqlSync({ schema, source: getIntrospectionQuery() });
  const missing: string[] = [];
  // Fields whose name says everything are allowed to go without one.
  const selfExplanatory = new Set(['name', 'email', 'host', 'createdAt', 'updatedAt', 'key', 'value', 'tag', 'filters', 'edges', 'node', 'count', 'comment', 'token', 'expiresAt', 'user', 'login', 'password', 'access', 'first', 'after', 'filter', 'input', 'enabled', 'connected', 'samples', 'lockMonitoring', 'tableMonitoring', 'queryMonitoring', 'queryMonitoringOptimize', 'live360', 'ldap', 'id', 'privilege', 'profile', 'roles', 'users', 'port', 'organizationName', 'expireTime', 'me', 'role', 'collectionRate', 'pageInfo', 'dashboards', 'cursor', 'tags', 'search', 'tokenInfo']);
  const types = (introspection.data as any).__schema.types as any[];
  for (const type of types) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    if (!type.description && !['Query', 'Mutation', 'ConnectionEdge'].includes(type.name)) missing.push(type.name);
  }
  expect(missing).toEqual([]);
  // Field descriptions: checked loosely here (self-explanatory names excepted).
  const undocumented: string[] = [];
  for (const type of types) {
    if (type.name.startsWith('__')) continue;
    for (const field of [...(type.fields ?? []), ...(type.inputFields ?? [])]) {
      if (!field.description && !selfExplanatory.has(field.name)) undocumented.push(`${type.name}.${field.name}`);
    }
  }
  expect(undocumented).toEqual([]);
});
