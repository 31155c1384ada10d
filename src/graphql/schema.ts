import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage } from 'type-graphql';
import { authChecker } from './auth-checker';
import { installDirectResolvers } from './direct-resolvers';
import { NodeResolver } from './node';
import { installNodeTypeResolver } from './types/node.types';
import { ApiKeyResolver } from './resolvers/api-key.resolver';
import { AuditEventPageResolver, AuditEventResolver, AuditResolver } from './resolvers/audit.resolver';
import { ConnectionPageResolver } from './resolvers/connection-page.resolver';
import { ConnectionResolver } from './resolvers/connection.resolver';
import { AccessImpactResolver, ConnectionAudienceResolver, GovernanceResolver, UserPageResolver } from './resolvers/governance.resolver';
import { ImportResolver } from './resolvers/import.resolver';
import { RoleResolver } from './resolvers/role.resolver';
import { SubscriptionResolver } from './resolvers/subscription.resolver';
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
  ApiKeyResolver,
  GovernanceResolver,
  AccessImpactResolver,
  ConnectionAudienceResolver,
  UserPageResolver,
  AuditResolver,
  AuditEventResolver,
  AuditEventPageResolver,
  NodeResolver,
  SubscriptionResolver,
] as const;

let cached: Promise<GraphQLSchema> | undefined;

const UNUSED_PUB_SUB = {
  publish: (): void => undefined,
  subscribe: (): AsyncIterable<never> => {
    throw new Error('No subscription of this schema uses topics');
  },
};

type MetadataStorage = ReturnType<typeof getMetadataStorage>;

/**
 * Every object type is declared with `simpleResolvers: true`: a plain field is read as `parent[name]` with no
 * per-field wrapper (a dashboard page has about 1,500 of them, and graphql-jit inlines such reads). type-graphql then
 * skips `@Authorized` and `@UseMiddleware` on plain fields without a word, so such a field would be served to anyone:
 * this lists them (they belong on a `@FieldResolver`), and the schema refuses to build while there is one.
 */
export function guardsOnPlainFields(storage: Pick<MetadataStorage, 'objectTypes' | 'authorizedFields' | 'middlewares'>): string[] {
  const objectTypes = new Map(storage.objectTypes.map((t) => [t.target, t.name]));
  return [...storage.authorizedFields, ...storage.middlewares]
    .filter((guard) => objectTypes.has(guard.target))
    .map((guard) => `${objectTypes.get(guard.target)}.${guard.fieldName}`);
}

/** Builds the executable schema once per process (it depends on nothing but the code). */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  const misplaced = guardsOnPlainFields(getMetadataStorage());
  if (misplaced.length) {
    throw new Error(`@Authorized/@UseMiddleware on plain fields (${misplaced.join(', ')}) would be ignored: put them on a @FieldResolver`);
  }
  cached ??= buildSchema({
    resolvers,
    authChecker,
    // Validation lives in the service layer, shared with REST; type-graphql only maps types.
    validate: false,
    // type-graphql insists on a PubSub as soon as there is a subscription, although `connectionEvents` brings its own
    // event source (src/subscriptions/): this one is never used.
    pubSub: UNUSED_PUB_SUB,
  })
    .then(describeRootTypes)
    .then(installNodeTypeResolver)
    .then((schema) => installDirectResolvers(schema, getMetadataStorage()));
  return cached;
}

/** type-graphql has no option for the root types' descriptions; they are shown first in every IDE's docs. */
function describeRootTypes(schema: GraphQLSchema): GraphQLSchema {
  const query = schema.getQueryType();
  const mutation = schema.getMutationType();
  const subscription = schema.getSubscriptionType();
  if (subscription) {
    subscription.description =
      'Live changes over WebSocket (graphql-ws protocol) at /graphql, authenticated in `connection_init` with ' +
      '`{"authorization": "Bearer <token or API key>"}`; see docs/dashboards.md.';
  }
  if (query) {
    query.description =
      'Reads. Every query needs a token (`Authorization: Bearer <token>` or `user-token: <token>`). `me`, ' +
      '`connections`, `connection`, `tags` and `tokenInfo` serve any signed-in user, always limited to the connections ' +
      'they can see; `roles`, `role`, `users`, `user` and `previewAccess` need an administrator.';
  }
  if (mutation) {
    mutation.description =
      'Writes. `createToken` signs in; `createApiKey` and `revokeApiKey` serve any signed-in user for their own keys; ' +
      'every other mutation needs an administrator (privilege ADMIN, profile DATA_ADMIN, no role) and fails with ' +
      'FORBIDDEN otherwise. A read-only API key is refused every mutation (FORBIDDEN).';
  }
  return schema;
}
