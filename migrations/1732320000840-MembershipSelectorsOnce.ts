import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CONNECTIONS_MEMBERSHIP_FUNCTION } from './1732320000020-RoleMembership';

/**
 * The roles a written connection belongs to: every role's selectors are computed once per statement, then tested
 * against each changed connection, instead of once per connection and role.
 *
 * Why: `ds_connections_membership` (migration RoleMembership), which the triggers run for every statement that
 * creates connections or changes their tags or names, joined the changed connections to every role and called
 * `ds_group_selector` twice per group inside that join. A call of that SQL function costs about 20 µs (its
 * aggregate is set up anew each time), so with the bench's 302 roles (402 groups) a connection cost about 16 ms
 * of triggers, whatever the fleet's size, and a statement retagging 10,000 connections 78 s (on PostgreSQL 15, a
 * million connections). Now the 402 selectors are computed once (about 8 ms) and each changed connection is tested
 * against them with one containment each: one connection 14 → 3.7 ms, 1,000 connections 8.0 → 0.55 s, 10,000
 * 78 → 2.0 s (BENCHMARKS.md, "Writes at a million connections").
 *
 * Same answer: a role holds a connection exactly when one of its groups has a selector the connection's tags
 * contain, as before (`ds_group_selector` stays the one definition of a group's meaning). Both sides are
 * materialized so the join is always changed connections × selectors: the planner would otherwise be free to read
 * each selector's matches through the GIN index (a hundred thousand rows each at a million connections) and keep
 * the changed ones.
 */
/**
 * The membership of changed connections as this migration defines it (migration RoleGroupSelectors replaces it, and
 * puts this one back when reverted).
 */
export const SELECTORS_ONCE_MEMBERSHIP_FUNCTION = `
      CREATE OR REPLACE FUNCTION ds_connections_membership(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF cardinality(ids) = 0 THEN RETURN; END IF;
        PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": the access-relation lock (src/db/locks.ts)
        DELETE FROM role_connections WHERE connection_id = ANY(ids);
        WITH selectors AS MATERIALIZED (
               SELECT DISTINCT r.id AS role_id, ds_group_selector(g) AS selector
                 FROM roles r CROSS JOIN LATERAL jsonb_array_elements(r.access) AS g),
             changed AS MATERIALIZED (SELECT c.id, c.name, c.tags FROM connections c WHERE c.id = ANY(ids))
        INSERT INTO role_connections (role_id, connection_id, name)
        SELECT DISTINCT s.role_id, x.id, x.name
          FROM changed x JOIN selectors s ON x.tags @> s.selector
         WHERE s.selector IS NOT NULL;
      END $$`;

export class MembershipSelectorsOnce1732320000840 implements MigrationInterface {
  name = 'MembershipSelectorsOnce1732320000840';

  async up(q: QueryRunner): Promise<void> {
    await q.query(SELECTORS_ONCE_MEMBERSHIP_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(CONNECTIONS_MEMBERSHIP_FUNCTION);
  }
}
