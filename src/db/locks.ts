import type { EntityManager } from 'typeorm';

/**
 * Transaction-scoped advisory lock serializing every write that can change the materialized access relation
 * (`role_connections`): role create/update/delete and connection create/update/delete. The maintenance triggers
 * take it too (migration RoleMembership); taking it first, before any row lock, keeps the lock order the same in
 * every transaction, so a role rewrite and a connection write wait for each other instead of deadlocking on row
 * locks (the trigger's foreign-key checks lock the rows they reference).
 */
export const ACCESS_RELATION_LOCK = 1685286241; // "dsma"

export async function lockAccessRelation(manager: EntityManager): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [ACCESS_RELATION_LOCK]);
}
