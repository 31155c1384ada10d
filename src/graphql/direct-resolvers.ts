/**
 * Field resolvers called directly instead of through type-graphql's generic wrapper.
 *
 * Why: for every call, the wrapper copies the parent object into a new instance of the object type's class
 * (`convertToType`: a constructor call, `Object.keys` and `Object.assign` of every column read), builds the
 * resolver's data and parameter arrays (sorting the parameter list each time), then dispatches. `Connection.tags`
 * is called once per connection of a page, 50 times per dashboard request, for a function that only reads three
 * properties of its parent.
 *
 * Only fields that take nothing but their parent are listed, and the build refuses to go on if one of them carries
 * a guard (`@Authorized`) or a middleware (`@UseMiddleware`), which only the wrapper would apply: the direct call
 * is then exactly what the wrapper ends up calling.
 */
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import type { getMetadataStorage } from 'type-graphql';
import type { ConnectionEntity } from '../entities/connection.entity';
import { connectionTags } from './resolvers/connection.resolver';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;

/** Type → field → the function that computes it from the parent alone. */
const DIRECT: Record<string, Record<string, GraphQLFieldResolver<never, unknown>>> = {
  Connection: { tags: (connection: ConnectionEntity) => connectionTags(connection) },
};

export function installDirectResolvers(schema: GraphQLSchema, storage: Pick<MetadataStorage, 'authorizedFields' | 'middlewares'>): GraphQLSchema {
  for (const [typeName, fields] of Object.entries(DIRECT)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`direct resolvers: no object type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field?.resolve || field.args.length > 0) throw new Error(`direct resolvers: ${typeName}.${fieldName} is not a field resolver without arguments`);
      const guarded = [...storage.authorizedFields, ...storage.middlewares].some((guard) => guard.fieldName === fieldName);
      if (guarded) throw new Error(`direct resolvers: ${typeName}.${fieldName} has a guard or middleware, which a direct call would skip`);
      field.resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
    }
  }
  return schema;
}
