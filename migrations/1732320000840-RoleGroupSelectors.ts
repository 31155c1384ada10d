import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CONNECTIONS_MEMBERSHIP_FUNCTION } from './1732320000020-RoleMembership';

/**
 * Each role's selectors, stored with the role, and the membership of written connections read from them: every
 * changed connection is tested against the stored selectors of every role, instead of computing them again for each
 * connection and role.
 *
 * Why: `ds_connections_membership` (migration RoleMembership), which the triggers run for every statement that
 * creates connections or changes their tags or names, joined the changed connections to every role and called
 * `ds_group_selector` twice per group inside that join. A call of that SQL function costs about 20 µs (its
 * aggregate is set up anew each time), so with the bench's 302 roles (402 groups) a connection cost about 16 ms of
 * triggers, whatever the fleet's size, and a statement retagging 10,000 connections 64 s (PostgreSQL 15, a million
 * connections). Computing the selectors once per statement brought that statement to 5.4-6.6 s; reading them from
 * the roles then brought a one-connection retag from 8.25 to 3.06 ms of triggers (BENCHMARKS.md, "Writes at a
 * million connections").
 *
 * `roles.group_selectors` is a generated column: the distinct non-null `ds_group_selector` of the role's groups, as
 * a JSON array. Exact by construction: PostgreSQL computes it on every INSERT and UPDATE of the row, whoever writes
 * it, so no trigger can miss a change, and a group means what `ds_group_selector` says, as everywhere else.
 * `ds_group_selector` is IMMUTABLE, as a generated column requires; a future migration that redefines it must also
 * rewrite the roles (`UPDATE roles SET access = access`) and refresh `role_connections`, which is materialized from
 * it too. Both sides of the membership join are materialized, so it is always changed connections × selectors: the
 * planner would otherwise be free to read each selector's matches through the GIN index (a hundred thousand rows
 * each at a million connections) and keep the changed ones.
 *
 * Upgrade cost: a rewrite of `roles` (one row per role) under an exclusive lock on it, milliseconds for hundreds of
 * roles.
 */
export class RoleGroupSelectors1732320000840 implements MigrationInterface {
  name = 'RoleGroupSelectors1732320000840';

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
    await q.query(CONNECTIONS_MEMBERSHIP_FUNCTION);
    await q.query(`ALTER TABLE roles DROP COLUMN group_selectors`);
    await q.query(`DROP FUNCTION ds_role_selectors(jsonb)`);
  }
}
