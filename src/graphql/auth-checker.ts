import type { AuthChecker } from 'type-graphql';
import { canAdminister } from '../context/principal';
import { forbidden, unauthenticated } from '../errors/app-error';
import { requireWritable } from '../services/authorization';
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
  if (roles.includes(ADMIN) && !canAdminister(principal)) {
    throw forbidden('Administration needs privilege ADMIN, profile DATA_ADMIN and no role');
  }
  return true;
};
