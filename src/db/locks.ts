/**
 * Every PostgreSQL advisory-lock key of the gateway, in one place, so two features cannot pick the same number by
 * accident and a reader can see at once what serializes what. Keys are 32-bit integers spelling four ASCII letters.
 *
 * Transaction-scoped keys (`pg_advisory_xact_lock`) are released at commit or rollback; the migration key is held by
 * a session of its own (src/db/migrate.ts).
 */
import type { EntityManager } from 'typeorm';

/**
 * "dsma": every write that can change the materialized access relation (`role_connections`): role create/update/
 * delete, connection create/update/delete, and a probe that records a new `pg_version` (an automatic tag). The
 * maintenance triggers take it too (migration RoleMembership, which spells the number out: migrations are history);
 * taking it first, before any row lock, keeps the lock order the same in every transaction, so a role rewrite and a
 * connection write wait for each other instead of deadlocking on row locks (the trigger's foreign-key checks lock
 * the rows they reference).
 */
export const ACCESS_RELATION_LOCK = 1685286241;

/** "dsmg": held (session level) while one replica applies migrations; the others wait, then find nothing to do. */
export const MIGRATION_LOCK = 1685286247;

/** "ds_a": changes that could remove the last unrestricted administrator (user update, delete, directory roles). */
export const ADMIN_INVARIANT_LOCK = 0x64735f61;

/** "ds_l": the choice of a new user's unique login (two `jean@…` created at once must not both pick `jean`). */
export const LOGIN_CHOICE_LOCK = 0x64735f6c;

/** "ds_b": the creation of the default administrator on the very first start (replicas starting together). */
export const DEFAULT_ADMIN_LOCK = 0x64735f62;

/** Takes a transaction-scoped advisory lock; `manager` must be inside a transaction (else it is released at once). */
export async function lockForTransaction(manager: EntityManager, key: number): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [key]);
}

/** {@link ACCESS_RELATION_LOCK}, the first thing every write of the access relation's inputs does. */
export function lockAccessRelation(manager: EntityManager): Promise<void> {
  return lockForTransaction(manager, ACCESS_RELATION_LOCK);
}
