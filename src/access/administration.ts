/**
 * Who may administer the platform, and who keeps it administrable: the one source of the "unrestricted
 * administrator" rule, in TypeScript for one account and in SQL for counting accounts (the last-administrator
 * guard). test/integration/rule-parity.test.ts evaluates both over every combination and requires equal answers.
 */
import type { Privilege, Profile } from '../entities/user.entity';

export interface AdministrationState {
  privilege: Privilege;
  profile: Profile;
  /** How many roles the account holds: any role restricts it, and a restricted user must not widen access. */
  roleCount: number;
}

/** May administer users, roles and connections: privilege admin, profile data admin, and no role. */
export function mayAdminister(state: AdministrationState): boolean {
  return state.privilege === 'admin' && state.profile === 'data admin' && state.roleCount === 0;
}

/**
 * An unrestricted administrator who can always sign in: {@link mayAdminister} and a local password. LDAP accounts
 * do not count: they depend on the directory (LDAP_URL), and an outage or a misconfiguration must never lock every
 * administrator out (`reset-admin-password` makes one local again).
 */
export function countsAsAdministrator(state: AdministrationState & { ldap: boolean }): boolean {
  return !state.ldap && mayAdminister(state);
}

/**
 * {@link countsAsAdministrator} as a SQL condition over the `users` row `alias` (its roles read from `user_roles`).
 * `password_hash IS NOT NULL` is implied by `NOT ldap` (a CHECK of the users table) and spelled out for the reader.
 */
export function countsAsAdministratorSql(alias: string): string {
  return (
    `(${alias}.privilege = 'admin' AND ${alias}.profile = 'data admin' AND NOT ${alias}.ldap AND ${alias}.password_hash IS NOT NULL ` +
    `AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = ${alias}.id))`
  );
}
