import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SELECTORS_ONCE_MEMBERSHIP_FUNCTION } from './1732320000840-MembershipSelectorsOnce';

/**
 * Each role's selectors, stored with the role: `roles.group_selectors`, a generated column (the distinct non-null
 * `ds_group_selector` of its groups, as a JSON array), which the membership of written connections reads instead of
 * computing every role's selectors again in every statement.
 *
 * Why: after migration MembershipSelectorsOnce, computing the 402 selectors of the bench's 302 roles (about 20 µs a
 * call of `ds_group_selector`) was most of what the membership trigger cost a one-connection write: 5.1 ms of it,
 * against 0.83 ms when they are read from the roles (PostgreSQL 15, a million connections; a 10,000-connection
 * retag's membership 1.5 → 0.87 s; BENCHMARKS.md, "Writes at a million connections").
 *
 * Exact by construction: PostgreSQL computes a generated column on every INSERT and UPDATE of the row, whoever
 * writes it, so no trigger can miss a change, and the role's groups mean what `ds_group_selector` says, as
 * everywhere else. `ds_group_selector` is IMMUTABLE, as a generated column requires; a future migration that
 * redefines it must also rewrite the roles (`UPDATE roles SET access = access`) and refresh `role_connections`, which
 * is materialized from it too.
 *
 * Upgrade cost: a rewrite of `roles` (one row per role) under an exclusive lock on it, milliseconds for hundreds of
 * roles.
 */
export class RoleGroupSelectors1732320000850 implements MigrationInterface {
  name = 'RoleGroupSelectors1732320000850';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ds_role_selectors(access jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(jsonb_agg(DISTINCT s.selector), '[]'::jsonb)
          FROM (SELECT ds_group_selector(g) AS selector FROM jsonb_array_elements(access) AS g) AS s
         WHERE s.selector IS NOT NULL
      $$`);
    await q.query(`ALTER TABLE roles ADD COLUMN group_selectors jsonb NOT NULL GENERATED ALWAYS AS (ds_role_selectors(access)) STORED`);
    await q.query(`
      CREATE OR REPLACE FUNCTION ds_connections_membership(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF cardinality(ids) = 0 THEN RETURN; END IF;
        PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": the access-relation lock (src/db/locks.ts)
        DELETE FROM role_connections WHERE connection_id = ANY(ids);
        WITH selectors AS MATERIALIZED (
               SELECT r.id AS role_id, s.selector FROM roles r CROSS JOIN LATERAL jsonb_array_elements(r.group_selectors) AS s(selector)),
             changed AS MATERIALIZED (SELECT c.id, c.name, c.tags FROM connections c WHERE c.id = ANY(ids))
        INSERT INTO role_connections (role_id, connection_id, name)
        SELECT DISTINCT s.role_id, x.id, x.name
          FROM changed x JOIN selectors s ON x.tags @> s.selector;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(SELECTORS_ONCE_MEMBERSHIP_FUNCTION);
    await q.query(`ALTER TABLE roles DROP COLUMN group_selectors`);
    await q.query(`DROP FUNCTION ds_role_selectors(jsonb)`);
  }
}
