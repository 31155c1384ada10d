/**
 * The one table of the REST API: every path, method, who may call it, its body and its answers. The router
 * (src/rest/router.ts) mounts exactly these operations (and derives 405 + `Allow` from them); the OpenAPI document
 * (src/rest/openapi.ts) is generated from the same rows. Handlers are bound by `id`, so a row without a handler, or
 * a handler without a row, does not compile.
 */
import { z } from 'zod';
import {
  connectionBody,
  connectionCreateBody,
  connectionList,
  connectionUpdateBody,
  roleDisplayBody,
  roleInputBody,
  roleList,
  serviceInfoBody,
  statusBody,
  tokenBody,
  tokenDetailsBody,
  userDisplayBody,
  userInputBody,
  userList,
} from './schemas';

export type RestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * - `none`: anyone;
 * - `basic`: HTTP Basic credentials (login or email);
 * - `possession`: the token in the query proves itself, Basic credentials optional;
 * - `token`: a signed-in caller (`user-token` header or `Authorization: Bearer`);
 * - `admin`: a signed-in administrator (403 otherwise, checked before the body).
 */
export type RestAuth = 'none' | 'basic' | 'possession' | 'token' | 'admin';

export type RestTag = 'meta' | 'token' | 'pool' | 'roles' | 'users';

export interface RestOperation {
  id: string;
  method: RestMethod;
  /** Express syntax (`/roles/:role`), relative to `/ds-api`. */
  path: string;
  tag: RestTag;
  summary: string;
  description?: string;
  auth: RestAuth;
  query?: readonly { name: string; description: string }[];
  /** The JSON body, validated by the handler with this very schema. */
  body?: z.ZodType;
  success: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Failure statuses, each answered with `{"error": "..."}`. */
  failures: readonly number[];
}

const name = 'name';

/** Every operation under /ds-api. */
export const REST_OPERATIONS = [
  {
    id: 'serviceInfo',
    method: 'GET',
    path: '/',
    tag: 'meta',
    summary: 'Service name and version',
    auth: 'none',
    success: { status: 200, description: 'The gateway answers.', schema: serviceInfoBody },
    failures: [],
  },
  {
    id: 'openApiDocument',
    method: 'GET',
    path: '/openapi.json',
    tag: 'meta',
    summary: 'This OpenAPI document',
    auth: 'none',
    success: { status: 200, description: 'The OpenAPI 3.1 document of /ds-api.', schema: z.object({ openapi: z.string() }).loose() },
    failures: [],
  },
  {
    id: 'apiReference',
    method: 'GET',
    path: '/docs',
    tag: 'meta',
    summary: 'API reference page (HTML, works offline)',
    auth: 'none',
    success: { status: 200, description: 'The reference page.', contentType: 'text/html' },
    failures: [],
  },
  {
    id: 'createToken',
    method: 'POST',
    path: '/user-token',
    tag: 'token',
    summary: 'Create a 24-hour token',
    description:
      'Exchanges HTTP Basic credentials (login or email, and password) for a token. Throttled like every sign-in (429). ' +
      'An `ldap` user is checked by the directory (LDAP_URL): when it cannot be reached in time, 503.',
    auth: 'basic',
    success: { status: 201, description: 'A new token.', schema: tokenBody },
    failures: [401, 429, 503],
  },
  {
    id: 'tokenDetails',
    method: 'GET',
    path: '/user-token',
    tag: 'token',
    summary: 'Token details (with `token`), or a new token (without)',
    description:
      'With `?token=T`: the details of `T` to whoever holds it; no credentials are needed, Basic credentials are ' +
      'checked when sent. An invalid, expired or revoked `T` is a 401 and counts, per client address, like a failed ' +
      'sign-in. Without `token`: Basic credentials give a token, as `POST` does.',
    auth: 'possession',
    query: [{ name: 'token', description: 'The token to describe.' }],
    success: { status: 200, description: "The token's details, or a new token.", schema: z.union([tokenDetailsBody, tokenBody]) },
    failures: [400, 401, 429, 503],
  },
  {
    id: 'createTokenForOrganization',
    method: 'POST',
    path: '/user-token/:organization',
    tag: 'token',
    summary: 'Create a 24-hour token, naming the organization',
    description: 'Only the configured organization (`ORGANIZATION_NAME`); any other is a 401. A directory that cannot be reached is a 503.',
    auth: 'basic',
    success: { status: 201, description: 'A new token.', schema: tokenBody },
    failures: [401, 429, 503],
  },
  {
    id: 'listConnections',
    method: 'GET',
    path: '/pool/pg-instances',
    tag: 'pool',
    summary: 'Connections the caller can see, sorted by name',
    auth: 'token',
    success: { status: 200, description: "The caller's visible connections.", schema: connectionList },
    failures: [401],
  },
  {
    id: 'displayConnection',
    method: 'GET',
    path: `/pool/pg-instances/:${name}`,
    tag: 'pool',
    summary: 'Display a connection',
    description: "A connection outside the caller's roles is a 404, like one that does not exist.",
    auth: 'token',
    success: { status: 200, description: 'The connection (password masked).', schema: connectionBody },
    failures: [400, 401, 404],
  },
  {
    id: 'createConnection',
    method: 'POST',
    path: `/pool/pg-instances/:${name}`,
    tag: 'pool',
    summary: 'Add a connection',
    description: 'Probes the instance (bounded by PROBE_TIMEOUT_MS); the status says whether it answered.',
    auth: 'admin',
    body: connectionCreateBody,
    success: { status: 201, description: '`Connection created and connected!` or `Connection created!`.', schema: statusBody },
    failures: [400, 401, 403, 409, 413],
  },
  {
    id: 'updateConnection',
    method: 'PUT',
    path: `/pool/pg-instances/:${name}`,
    tag: 'pool',
    summary: 'Update a connection',
    auth: 'admin',
    body: connectionUpdateBody,
    success: { status: 200, description: '`Connection updated!`', schema: statusBody },
    failures: [400, 401, 403, 404, 413],
  },
  {
    id: 'deleteConnection',
    method: 'DELETE',
    path: `/pool/pg-instances/:${name}`,
    tag: 'pool',
    summary: 'Delete a connection',
    auth: 'admin',
    success: { status: 200, description: '`Connection deleted!`', schema: statusBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'disableConnection',
    method: 'PATCH',
    path: `/pool/pg-instances/:${name}/disable`,
    tag: 'pool',
    summary: 'Disable a connection',
    auth: 'admin',
    success: { status: 200, description: '`Connection disabled!`', schema: statusBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'enableConnection',
    method: 'PATCH',
    path: `/pool/pg-instances/:${name}/enable`,
    tag: 'pool',
    summary: 'Enable a connection (and probe it)',
    auth: 'admin',
    success: { status: 200, description: '`Connection enabled!`', schema: statusBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'listRoles',
    method: 'GET',
    path: '/roles',
    tag: 'roles',
    summary: 'Every role, sorted by name',
    auth: 'token',
    success: { status: 200, description: 'The roles.', schema: roleList },
    failures: [401, 403],
  },
  {
    id: 'displayRole',
    method: 'GET',
    path: '/roles/:role',
    tag: 'roles',
    summary: 'Display a role',
    auth: 'token',
    success: { status: 200, description: 'The role.', schema: roleDisplayBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'createRole',
    method: 'POST',
    path: '/roles/:role',
    tag: 'roles',
    summary: 'Create a role',
    auth: 'admin',
    body: roleInputBody,
    success: { status: 201, description: '`Role name {role} created successfully`', schema: statusBody },
    failures: [400, 401, 403, 409, 413],
  },
  {
    id: 'updateRole',
    method: 'PUT',
    path: '/roles/:role',
    tag: 'roles',
    summary: "Replace a role's access rule",
    auth: 'admin',
    body: roleInputBody,
    success: { status: 200, description: '`Role name {role} updated successfully`', schema: statusBody },
    failures: [400, 401, 403, 404, 413],
  },
  {
    id: 'deleteRole',
    method: 'DELETE',
    path: '/roles/:role',
    tag: 'roles',
    summary: 'Delete a role',
    description: 'A role that users still hold cannot be deleted (400).',
    auth: 'admin',
    success: { status: 200, description: '`Role name {role} deleted successfully`', schema: statusBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'usersOfRole',
    method: 'GET',
    path: '/roles/:role/users',
    tag: 'roles',
    summary: 'Users holding a role',
    auth: 'token',
    success: { status: 200, description: 'The users, sorted by login.', schema: userList },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'listUsers',
    method: 'GET',
    path: '/users',
    tag: 'users',
    summary: 'Every user, sorted by login',
    auth: 'token',
    success: { status: 200, description: 'The users.', schema: userList },
    failures: [401, 403],
  },
  {
    id: 'displayUser',
    method: 'GET',
    path: '/users/:email',
    tag: 'users',
    summary: 'Display a user',
    auth: 'token',
    success: { status: 200, description: 'The user.', schema: userDisplayBody },
    failures: [400, 401, 403, 404],
  },
  {
    id: 'createUser',
    method: 'POST',
    path: '/users/:email',
    tag: 'users',
    summary: 'Create a user',
    description: 'The login is derived from the email (`jean.lapioffe@corp.com` → `jean.lapioffe`).',
    auth: 'admin',
    body: userInputBody,
    success: { status: 201, description: '`User with login {login} created successfully`', schema: statusBody },
    failures: [400, 401, 403, 409, 413],
  },
  {
    id: 'updateUser',
    method: 'PUT',
    path: '/users/:email',
    tag: 'users',
    summary: 'Update a user',
    auth: 'admin',
    body: userInputBody,
    success: { status: 200, description: '`User with login {login} updated successfully`', schema: statusBody },
    failures: [400, 401, 403, 404, 413],
  },
  {
    id: 'deleteUser',
    method: 'DELETE',
    path: '/users/:email',
    tag: 'users',
    summary: 'Delete a user',
    description: 'The last unrestricted administrator cannot be deleted (400).',
    auth: 'admin',
    success: { status: 200, description: '`User with login {login} deleted successfully`', schema: statusBody },
    failures: [400, 401, 403, 404],
  },
] as const satisfies readonly RestOperation[];

export type RestOperationId = (typeof REST_OPERATIONS)[number]['id'];

export const REST_TAGS: { name: RestTag; description: string }[] = [
  { name: 'meta', description: 'The API itself: service info, this document, the reference page.' },
  { name: 'token', description: 'Access tokens (24 hours), from HTTP Basic credentials.' },
  { name: 'pool', description: 'Monitored PostgreSQL connections (agentless).' },
  { name: 'roles', description: 'Tag-based roles (administration).' },
  { name: 'users', description: 'Users (administration).' },
];
