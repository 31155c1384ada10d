/**
 * The signed-in caller as the services see it: who they are, what they may do, and which connections they may see
 * (the union of what their roles match, read from the materialized access relation). Resolved from the database on every request, so privilege, profile and role changes
 * apply to the very next request.
 */
import { mayAdminister } from '../access/administration';
import { visibilityOfRoles, type ConnectionPredicate } from '../access/predicate';
import type { Privilege, Profile } from '../entities/user.entity';

export interface Principal {
  userId: number;
  login: string;
  email: string;
  profile: Profile;
  privilege: Privilege;
  live360: boolean;
  roleIds: number[];
  /** What the caller may see: {@link visibilityOfRoles} of `roleIds`, computed once. */
  scope: ConnectionPredicate;
  /**
   * Set when the caller authenticated with an API key (src/services/api-key.service.ts) rather than a token: the
   * key acts as its owner, and a read-only key may not write ({@link isReadOnly}).
   */
  apiKey?: { id: string; readOnly: boolean };
}

/** A caller signed in with a read-only API key: every write is refused (src/services/authorization.ts). */
export function isReadOnly(p: Pick<Principal, 'apiKey'> | null): boolean {
  return p?.apiKey?.readOnly === true;
}

export function buildPrincipal(user: Omit<Principal, 'roleIds' | 'scope'>, roles: readonly { id: number }[]): Principal {
  const roleIds = roles.map((r) => r.id);
  return { ...user, roleIds, scope: visibilityOfRoles(roleIds) };
}

/** Whether the caller may administer (the rule is {@link mayAdminister}). */
export function canAdminister(p: Pick<Principal, 'privilege' | 'profile' | 'roleIds'>): boolean {
  return mayAdminister({ privilege: p.privilege, profile: p.profile, roleCount: p.roleIds.length });
}

/** What a principal may see, as a predicate to AND into every connection query. */
export function visibility(p: Pick<Principal, 'scope'>): ConnectionPredicate {
  return p.scope;
}
