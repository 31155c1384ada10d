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

test('every type, field, argument and enum value of our own carries a description', () => {
  const introspection = graphqlSync({ schema, source: getIntrospectionQuery({ inputValueDeprecation: true }) });
  const types = (introspection.data as any).__schema.types as any[];
  const missing: string[] = [];
  for (const type of types) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
    if (!type.description?.trim()) missing.push(type.name);
    for (const field of [...(type.fields ?? []), ...(type.inputFields ?? [])]) {
      if (!field.description?.trim()) missing.push(`${type.name}.${field.name}`);
      for (const arg of field.args ?? []) {
        if (!arg.description?.trim()) missing.push(`${type.name}.${field.name}(${arg.name})`);
      }
    }
    for (const value of type.enumValues ?? []) {
      if (!value.description?.trim()) missing.push(`${type.name}.${value.name}`);
    }
  }
  expect(missing).toEqual([]);
});
