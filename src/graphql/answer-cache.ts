/**
 * Whole answers of the access-model overview, kept per replica between changes, exactly (src/services/exact-cache.ts).
 *
 * Why: the administrators' overview (`roles { name connectionCount users { login } }`) reads nothing that changes
 * between two of its loads in the common case, yet costs the gateway about 10 ms of CPU for 302 roles and 4,000
 * users (5,000 result objects through resolvers, then 100 kB of JSON). With every part of it already cached
 * exactly, the GraphQL work was all that was left; this keeps the serialized answer instead.
 *
 * What makes it exact, field by field: a document is kept only when every field it selects is in
 * {@link COVERED_FIELDS}, fields whose values come only from `roles`, `users`, `user_roles`, `role_connections` and
 * `role_connection_counts`. Every committed change to those tables sends `ds_access_changed` or
 * `ds_membership_changed` from a trigger (migrations *Notifications), which empties this cache on every replica; a
 * request reads it only after the change feed's barrier (see exact-cache.ts). `Role.connectionCount` is within the
 * caller's visibility, which depends on the caller's roles (`ds_access_changed`) and on `role_connections` alone,
 * as the membership cache already relies on. Users are reached only through `Role.users` (a user without a role
 * appears in no answer kept here), and every UPDATE of `users` notifies.
 *
 * Keyed by the caller (user, privilege, profile, roles, API key), the operation name, the variables and the exact
 * text: an answer is only ever given again to the caller it was computed for. Only answers without errors are kept
 * (src/graphql/known-queries.ts), so an authorization failure is computed afresh every time.
 *
 * Off with PRINCIPAL_CACHE_TTL_MS=0, like every per-replica cache, and with GRAPHQL_KNOWN_QUERIES=false.
 */
import { TypeInfo, visit, visitWithTypeInfo, BREAK, getNamedType, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { ExactCache } from '../services/exact-cache';
import type { GraphQLContext } from './context';

/** Type → fields whose answers the feed's notifications cover (see the module comment before adding one). */
export const COVERED_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Query', new Set(['roles', 'role'])],
  ['Role', new Set(['id', 'name', 'access', 'connectionCount', 'users', 'createdAt', 'updatedAt'])],
  ['AccessGroup', new Set(['filters'])],
  ['TagFilter', new Set(['tag', 'value'])],
  ['User', new Set(['id', 'login', 'email', 'profile', 'privilege', 'live360', 'comment', 'ldap', 'createdAt', 'updatedAt'])],
]);

/**
 * The per-replica store (src/services/index.ts): answers by key, as the bytes sent, so that sending one again
 * neither encodes nor copies it.
 */
export type AnswerCache = ExactCache<Buffer>;

/**
 * Whether every field of `document` is covered. Asked once per query text, when the known-query lane registers it.
 */
export function isCoveredDocument(schema: GraphQLSchema, document: DocumentNode): boolean {
  let covered = true;
  const types = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(types, {
      Field(node) {
        if (node.name.value === '__typename') return;
        const parent = types.getParentType();
        if (!parent || !COVERED_FIELDS.get(getNamedType(parent).name)?.has(node.name.value)) {
          covered = false;
          return BREAK;
        }
      },
    }),
  );
  return covered;
}

/** What one request may read from and write to the cache, or null when the cache cannot serve it now. */
export interface AnswerSlot {
  hit: Buffer | undefined;
  /** Keeps an answer's bytes (encoded once, sent as they are) and returns them. */
  store(bytes: Buffer): Buffer;
}

/**
 * The slot of one request's answer: after the change feed's barrier for this request, keyed by caller, operation,
 * variables and text. `null` without a caller or when the cache cannot be trusted now.
 */
export async function answerSlot(
  cache: AnswerCache,
  context: GraphQLContext,
  query: string,
  operationName: string | null,
  variables: Record<string, unknown> | undefined,
): Promise<AnswerSlot | null> {
  const caller = context.principal;
  if (!caller) return null;
  const view = await cache.view(context.freshness.mark, context.manager);
  if (!view) return null;
  const key = [
    caller.userId,
    caller.privilege,
    caller.profile,
    caller.roleIds.join(','),
    caller.apiKey ? `${caller.apiKey.id}:${caller.apiKey.readOnly}` : '',
    operationName ?? '',
    JSON.stringify(variables ?? null),
    query,
  ].join('\u0000');
  return {
    hit: view.get(key),
    store: (bytes) => {
      view.set(key, bytes);
      return bytes;
    },
  };
}
