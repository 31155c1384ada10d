import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, getIntrospectionQuery, graphqlSync, isObjectType, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { ConnectionEntity } from '../../src/entities/connection.entity';
import { installDirectResolvers } from '../../src/graphql/direct-resolvers';
import { ConnectionResolver } from '../../src/graphql/resolvers/connection.resolver';
import { schemaToSdl } from '../../src/graphql/print-schema';
import { buildGatewaySchema, guardsOnPlainFields } from '../../src/graphql/schema';
import { breakingChangesSince, newestRelease } from '../../src/graphql/schema-compat';

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
    for (const [type, field] of [
      ['Tag', 'key'],
      ['Tag', 'value'],
      ['Connection', 'name'],
      ['User', 'login'],
      ['Role', 'name'],
      ['PageInfo', 'endCursor'],
    ] as const) {
      expect([type, field, fieldOf(type, field).resolve]).toEqual([type, field, undefined]);
    }
  });

  test('administrator-only fields are field resolvers, so @Authorized applies', () => {
    for (const [type, field] of [
      ['Connection', 'lastProbeError'],
      ['Connection', 'lastProbeAt'],
      ['Role', 'users'],
    ] as const) {
      expect(typeof fieldOf(type, field).resolve).toBe('function');
    }
  });

  test('@Authorized or @UseMiddleware on a plain field (which type-graphql would ignore) is found', () => {
    class Secretive {}
    class Resolver {}
    const storage = {
      objectTypes: [{ target: Secretive, name: 'Secretive' }],
      authorizedFields: [
        { target: Secretive, fieldName: 'secret', roles: ['ADMIN'] },
        { target: Resolver, fieldName: 'fine', roles: [] },
      ],
      middlewares: [{ target: Secretive, fieldName: 'logged', middlewares: [] }],
    } as unknown as Parameters<typeof guardsOnPlainFields>[0];
    expect(guardsOnPlainFields(storage)).toEqual(['Secretive.secret', 'Secretive.logged']);
  });

  test("Connection.tags is resolved directly, with the field resolver's very answer", () => {
    const connection = Object.assign(new ConnectionEntity(), {
      name: 'db-1',
      host: 'h1',
      pgVersion: '16.4',
      userTags: [
        { key: 'env', value: 'prod' },
        { key: 'team', value: 'core' },
      ],
    });
    const tags = fieldOf('Connection', 'tags').resolve!(connection, {}, {}, {} as never);
    expect(tags).toEqual(new ConnectionResolver().tags(connection));
    expect(tags).toEqual([
      { key: 'env', value: 'prod', automatic: false },
      { key: 'team', value: 'core', automatic: false },
      { key: 'pg_instance', value: 'h1@db-1', automatic: true },
      { key: 'server', value: 'h1', automatic: true },
      { key: 'pg_version', value: '16.4', automatic: true },
    ]);
  });

  test('a field resolved directly may carry no guard or middleware (the direct call would skip it)', () => {
    const built = buildSchema(`type Connection { tags: [String!] } type Query { a: Int }`);
    (built.getType('Connection') as GraphQLObjectType).getFields().tags!.resolve = () => [];
    const guarded = { authorizedFields: [{ target: class {}, fieldName: 'tags', roles: ['ADMIN'] }], middlewares: [] } as unknown as Parameters<
      typeof installDirectResolvers
    >[1];
    expect(() => installDirectResolvers(built, guarded)).toThrow(/Connection\.tags has a guard or middleware/);
    expect(() => installDirectResolvers(built, { authorizedFields: [], middlewares: [] })).not.toThrow();
  });
});

describe('compatibility with the released schema', () => {
  const releasedDir = join(__dirname, '../../schema/released');

  test('the served schema breaks nothing of the newest released schema', () => {
    const newest = newestRelease(readdirSync(releasedDir));
    expect(newest).toBeDefined();
    expect(breakingChangesSince(readFileSync(join(releasedDir, newest!), 'utf8'), schema)).toEqual([]);
  });

  test('a removed field, a narrowed argument and a new required argument are each reported', () => {
    const released = `type Query { me: String  user(email: String): String  users: [String] }`;
    const current = buildSchema(`type Query { user(email: String!): String  users(first: Int!): [String] }`);
    const changes = breakingChangesSince(released, current);
    expect(changes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^FIELD_REMOVED: Query\.me was removed/),
        expect.stringMatching(/^ARG_CHANGED_KIND: .*Query\.user/),
        expect.stringMatching(/^REQUIRED_ARG_ADDED: .*first.*Query\.users/),
      ]),
    );
    expect(changes).toHaveLength(3);
  });

  test('the newest release is chosen by version number, not by name', () => {
    expect(newestRelease(['0.9.1.graphql', '0.10.0.graphql', 'README.md', '1.0.0-rc.1.graphql'])).toBe('0.10.0.graphql');
    expect(newestRelease([])).toBeUndefined();
  });
});
