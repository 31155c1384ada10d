/**
 * The one error taxonomy of the gateway.
 *
 * Services throw {@link AppError}s; the GraphQL adapter copies `code` into `extensions.code` and the REST adapter
 * maps it to an HTTP status through {@link httpStatusOf}. Anything that is not an AppError is an internal fault
 * and is masked before it leaves the process.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'BAD_USER_INPUT',
  'ROLE_IN_USE',
  'LAST_ADMIN',
  // Sign-in throttling (src/services/login-throttle.ts); `retryAfterSeconds` in the details.
  'RATE_LIMITED',
  // The directory (LDAP_URL) did not answer in time or refused the service account: not the caller's fault.
  'DIRECTORY_UNAVAILABLE',
  // GraphQL request limits (src/graphql/limits.ts), refused before anything runs.
  'QUERY_TOO_DEEP',
  'QUERY_TOO_COSTLY',
  'TOO_MANY_ALIASES',
  'TOO_MANY_DIRECTIVES',
  'DOCUMENT_TOO_LARGE',
  'BATCHING_DISABLED',
  // PERSISTED_QUERIES=trusted (src/graphql/persisted-queries.ts): the document is not in the manifest.
  'PERSISTED_QUERY_NOT_ALLOWED',
  // HTTP transport (src/http/transport-errors.ts): the request could not be read (body too large, malformed JSON,
  // unsupported encoding), before any adapter ran.
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Machine-readable details safe to show the caller (e.g. the offending field). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const notFound = (message: string) => new AppError('NOT_FOUND', message);
export const conflict = (message: string) => new AppError('CONFLICT', message);
export const badInput = (message: string, field?: string) => new AppError('BAD_USER_INPUT', message, field === undefined ? {} : { field });

/** The single table from error code to HTTP status: REST answers, and GraphQL requests refused before they run. */
const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_USER_INPUT: 400,
  ROLE_IN_USE: 400,
  LAST_ADMIN: 400,
  RATE_LIMITED: 429,
  DIRECTORY_UNAVAILABLE: 503,
  QUERY_TOO_DEEP: 400,
  QUERY_TOO_COSTLY: 400,
  TOO_MANY_ALIASES: 400,
  TOO_MANY_DIRECTIVES: 400,
  DOCUMENT_TOO_LARGE: 400,
  BATCHING_DISABLED: 400,
  PERSISTED_QUERY_NOT_ALLOWED: 400,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_SERVER_ERROR: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}
