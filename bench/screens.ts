/** The GraphQL documents the bench asks (bench/run.ts) and the A/B command compares (bench/ab.ts). */

/** The dashboard's page size. */
export const DASHBOARD_FIRST = 50;
export const DASHBOARD = `query Dashboard { connections(first: ${DASHBOARD_FIRST}) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags { key value automatic } } } }`;
export const ADMIN = `query AdminRoles { roles { name connectionCount users { login } } }`;
export const TAGS = `query Tags { tags { key values { value count } } }`;
export const TAGS_USER_KEYS = `query TagMenu { tags(automatic: false) { key valueCount values(first: 20) { value count } } }`;
/** Asked with `{ access: PREVIEW_ACCESS }` (bench/world.ts). */
export const ROLE_IMPACT = `query RoleImpact($access: [AccessGroupInput!]!) {
  roleChangeImpact(name: "app-7", access: $access) { addedCount removedCount added(first: 50) { nodes { name } } removed(first: 50) { nodes { name } } affectedUsers { login } }
}`;
/** Asked with `{ access: PREVIEW_ACCESS }` (bench/world.ts). */
export const PREVIEW = `query Preview($access: [AccessGroupInput!]!) { previewAccess(access: $access, first: 50) { totalCount nodes { name } } }`;
