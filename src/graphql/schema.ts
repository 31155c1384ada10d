import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { authChecker } from './auth-checker';
import { ConnectionPageResolver } from './resolvers/connection-page.resolver';
import { ConnectionResolver } from './resolvers/connection.resolver';
import { RoleResolver } from './resolvers/role.resolver';
import { TagResolver } from './resolvers/tag.resolver';
import { TokenResolver } from './resolvers/token.resolver';
import { UserResolver } from './resolvers/user.resolver';

export const resolvers = [
  ConnectionResolver,
  ConnectionPageResolver,
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
  });
  return cached;
}
