import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { ConnectionPageResolver } from './resolvers/connection-page.resolver';
import { ConnectionResolver } from './resolvers/connection.resolver';
import { ImportResolver } from './resolvers/import.resolver';
import { RoleResolver } from './resolvers/role.resolver';
import { TagResolver } from './resolvers/tag.resolver';
import { TokenResolver } from './resolvers/token.resolver';
import { UserResolver } from './resolvers/user.resolver';

export const resolvers = [
  ConnectionResolver,
  ConnectionPageResolver,
  ImportResolver,
  TagResolver,
  RoleResolver,
  UserResolver,
  TokenResolver,
] as const;

let cached: Promise<GraphQLSchema> | undefined;

/** Builds the executable schema once per process (it depends on nothing but the code). */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers,
    authChecker,
    // Validation lives in the service layer, shared with REST; type-graphql only maps types.
    validate: false,
  }).then(describeRootTypes);
  return cached;
}

/** type-graphql has no option for the root types' descriptions; they are shown first in every IDE's docs. */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  if (query) {
    query.description =
      'Reads. Every query needs a token (`Authorization: Bearer <token>` or `user-token: <token>`). `me`, ' +
      '`connections`, `connection`, `tags` and `tokenInfo` serve any signed-in user, always limited to the connections ' +
      'they can see; `roles`, `role`, `users`, `user` and `previewAccess` need an administrator.';
  }
  if (mutation) {
    mutation.description =
      'Writes. `createToken` signs in; every other mutation needs an administrator ' +
      '(privilege ADMIN, profile DATA_ADMIN, no role) and fails with FORBIDDEN otherwise.';
  }
  return schema;
}
