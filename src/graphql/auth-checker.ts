import type { AuthChecker } from 'type-graphql';
import { unauthenticated } from '../errors/app-error';
import { requireAdministrator, requireWritable } from '../services/authorization';
import type { GraphQLContext } from './context';

/** Role names used with `@Authorized(...)`. */
export const ADMIN = 'ADMIN';

/**
 * The coarse, per-field check: `@Authorized()` needs a signed-in caller, `@Authorized(ADMIN)` an administrator.
 * It throws our own errors (instead of returning false) so the codes are UNAUTHENTICATED and FORBIDDEN, never
 * type-graphql's ambiguous `UNAUTHORIZED`. Services check again: this is the first of two locks.
 * A read-only API key is refused every guarded mutation here, before its arguments are validated (the services
 * refuse it again in `inTransaction`).
 */
export const authChecker: AuthChecker<GraphQLContext> = ({ context, info }, roles) => {
  const principal = context.principal;
  if (!principal) throw context.authFailure ?? unauthenticated();
  if (info.operation.operation === 'mutation') requireWritable(context);
  // The service layer's rule and message, so GraphQL and REST refuse a non-administrator in the same words.
  if (roles.includes(ADMIN)) requireAdministrator(context);
  return true;
};
