/** The coarse permission checks every service method starts with. */
import { canAdminister, isReadOnly, type Principal } from '../context/principal';
import type { RequestContext } from '../context/request-context';
import { forbidden, unauthenticated } from '../errors/app-error';

export function requireSignedIn(ctx: RequestContext): Principal {
  if (!ctx.principal) throw ctx.authFailure ?? unauthenticated();
  return ctx.principal;
}

/** Administration: privilege admin, profile data admin, no role. */
export function requireAdministrator(ctx: RequestContext): Principal {
  const principal = requireSignedIn(ctx);
  if (!canAdminister(principal)) {
    throw forbidden(
      principal.roleIds.length > 0
        ? 'Administration needs an account without roles: a role-restricted user cannot administer the platform'
        : 'Administration needs privilege "admin" and profile "data admin"',
    );
  }
  return principal;
}

export const READ_ONLY_KEY = 'This API key is read-only: it cannot change anything (create a key without readOnly to write)';

/**
 * The one rule for read-only API keys: no write of any kind. Enforced by {@link inTransaction} (the door every
 * service write goes through, whichever API called it), and checked early by the adapters for the same answer
 * before a body is read or validated (REST `administrator`, the GraphQL auth checker on mutations).
 */
export function requireWritable(ctx: Pick<RequestContext, 'principal'>): void {
  if (isReadOnly(ctx.principal)) throw forbidden(READ_ONLY_KEY);
}
