import { isInterfaceType, type GraphQLSchema } from 'graphql';
import { Field, ID, InterfaceType } from 'type-graphql';
import { ApiKeyEntity } from '../../entities/api-key.entity';
import { ConnectionEntity } from '../../entities/connection.entity';
import { RoleEntity } from '../../entities/role.entity';
import { UserEntity } from '../../entities/user.entity';

/** The GraphQL type of an entity the node resolvers hand over (they load entity instances only). */
export function nodeTypeOf(value: unknown): string | undefined {
  if (value instanceof ConnectionEntity) return 'Connection';
  if (value instanceof RoleEntity) return 'Role';
  if (value instanceof UserEntity) return 'User';
  if (value instanceof ApiKeyEntity) return 'ApiKey';
  return undefined;
}

@InterfaceType('Node', {
  description:
    'An object with a global id (Relay). Ids are opaque and unique across types: `node(id)` finds the object again, and ' +
    'caches (Apollo Client, Relay) normalize by `__typename` and `id` without any configuration.',
})
export abstract class NodeInterface {
  @Field(() => ID, { description: 'Opaque global identifier.' })
  id!: string;
}

/**
 * Gives `Node` a synchronous type resolver. type-graphql wraps a `resolveType` option in an async function, and
 * graphql-jit (the compiled executor, src/graphql/executor.ts) takes a promise there for no type at all.
 */
export function installNodeTypeResolver(schema: GraphQLSchema): GraphQLSchema {
  const node = schema.getType('Node');
  if (isInterfaceType(node)) node.resolveType = nodeTypeOf;
  return schema;
}
