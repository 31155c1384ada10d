import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getIntrospectionQuery, graphqlSync, isObjectType, type GraphQLSchema } from 'graphql';
import { schemaToSdl } from '../../src/graphql/print-schema';
import { buildGatewaySchema, guardsOnPlainFields } from '../../src/graphql/schema';

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

test('schema/schema.graphql is exactly the schema the code builds (run `npm run schema` when this fails)', () => {
  const committed = readFileSync(join(__dirname, '../../schema/schema.graphql'), 'utf8');
  expect(committed).toBe(schemaToSdl(schema));
});

test('no output type has a field that could carry a password or hash', () => {
  // The one exception, by contract: a new API key's secret, returned once by `createApiKey` and never stored.
  const shownOnce = new Set(['ApiKeySecret.secret']);
  const offenders: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.keys(type.getFields())) {
      if (/password|hash|secret/i.test(field) && !shownOnce.has(`${type.name}.${field}`)) offenders.push(`${type.name}.${field}`);
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

describe('plain fields are read directly (simpleResolvers), and guarded fields keep their resolvers', () => {
  const fieldOf = (type: string, field: string) => {
    const t = schema.getType(type);
    if (!isObjectType(t)) throw new Error(`${type} is not an object type`);
    return t.getFields()[field]!;
  };

  test('plain fields have no per-field resolver', () => {
    for (const [type, field] of [['Tag', 'key'], ['Tag', 'value'], ['Connection', 'name'], ['User', 'login'], ['Role', 'name'], ['PageInfo', 'endCursor']] as const) {
      expect([type, field, fieldOf(type, field).resolve]).toEqual([type, field, undefined]);
    }
  });

  test('administrator-only fields are field resolvers, so @Authorized applies', () => {
    for (const [type, field] of [['Connection', 'lastProbeError'], ['Connection', 'lastProbeAt'], ['Role', 'users']] as const) {
      expect(typeof fieldOf(type, field).resolve).toBe('function');
    }
  });

  test('@Authorized or @UseMiddleware on a plain field (which type-graphql would ignore) is found', () => {
    class Secretive {}
    class Resolver {}
    const storage = {
      objectTypes: [{ target: Secretive, name: 'Secretive' }],
      authorizedFields: [{ target: Secretive, fieldName: 'secret', roles: ['ADMIN'] }, { target: Resolver, fieldName: 'fine', roles: [] }],
      middlewares: [{ target: Secretive, fieldName: 'logged', middlewares: [] }],
    } as unknown as Parameters<typeof guardsOnPlainFields>[0];
    expect(guardsOnPlainFields(storage)).toEqual(['Secretive.secret', 'Secretive.logged']);
  });
});
