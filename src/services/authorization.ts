/** The coarse permission checks every service method starts with. */
import { canAdminister, type Principal } from '../context/principal';
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
