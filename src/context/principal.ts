/**
 * The signed-in caller as the services see it: who they are, what they may do, and the compiled selector set of the
 * connections they may see. Resolved from the database on every request, so privilege, profile and role changes
 * apply to the very next request.
 */
import { compileRules, MATCH_EVERYTHING, type ConnectionPredicate, type SelectorSet } from '../access/predicate';
import type { AccessRule } from '../access/access-rule';
import type { Privilege, Profile } from '../entities/user.entity';

export interface Principal {
  userId: number;
  login: string;
  email: string;
  profile: Profile;
  privilege: Privilege;
  live360: boolean;
  roleIds: number[];
  /** `null`: no role, sees every connection. Otherwise the union of what the roles match. */
  scope: SelectorSet | null;
}

export function buildPrincipal(
  user: Omit<Principal, 'roleIds' | 'scope'>,
  roles: readonly { id: number; access: AccessRule }[],
): Principal {
  return {
    ...user,
    roleIds: roles.map((r) => r.id),
    scope: roles.length === 0 ? null : compileRules(roles.map((r) => r.access)),
  };
}

/** Administration needs privilege admin, profile data admin and no role (a restricted user must not widen access). */
export function canAdminister(p: Pick<Principal, 'privilege' | 'profile' | 'roleIds'>): boolean {
  return p.privilege === 'admin' && p.profile === 'data admin' && p.roleIds.length === 0;
}

/** What a principal may see, as a predicate to AND into every connection query. */
export function visibility(p: Pick<Principal, 'scope'>): ConnectionPredicate {
  return p.scope === null ? MATCH_EVERYTHING : [p.scope];
}
