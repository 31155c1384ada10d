import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access relation, materialized: `role_connections` holds, for every role, the connections its rule matches
 * now, kept exact by triggers:
 * - a role's rule changes (or the role is created): its rows are recomputed, one GIN-indexed query per group;
 * - connections are created or their tags change (user tags, host, name, probed version): their rows are recomputed
 *   against every role;
 * - deletes cascade.
 * Both recomputations take one transaction-scoped advisory lock (src/db/locks.ts; the services take it first, before
 * any row lock) and re-read with a fresh snapshot, so a rule rewrite and a concurrent connection write cannot miss
 * each other (READ COMMITTED gives each statement a new snapshot once the lock is held).
 *
 * Readers get what used to cost a scan of every visible connection as index ranges kept in name order: a page of a
 * user's connections reads `first` entries per role, a count reads one range per role (index-only), and a role's
 * `connectionCount` is a single range. The rule semantics live in `ds_group_selector`, which mirrors
 * `compileRules` in src/access/predicate.ts (contradictory or empty groups match nothing), the source of the rule;
 * test/integration/rule-parity.test.ts checks both give the same answer on every case, and the property-based access
 * tests check both against an independent oracle.
 */
/**
 * The membership of changed connections as this migration defines it (migration RoleGroupSelectors replaces it, and
 * puts this one back when reverted).
 */
export const CONNECTIONS_MEMBERSHIP_FUNCTION = `
      CREATE OR REPLACE FUNCTION ds_connections_membership(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(1685286241);
        DELETE FROM role_connections WHERE connection_id = ANY(ids);
        INSERT INTO role_connections (role_id, connection_id, name)
        SELECT DISTINCT r.id, c.id, c.name
          FROM connections c
          JOIN roles r ON EXISTS (
                 SELECT 1 FROM jsonb_array_elements(r.access) AS g
                  WHERE ds_group_selector(g) IS NOT NULL AND c.tags @> ds_group_selector(g))
         WHERE c.id = ANY(ids);
      END $$`;

export class RoleMembership1732320000020 implements MigrationInterface {
  name = 'RoleMembership1732320000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ds_group_selector(grp jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE
                 WHEN count(*) = 0 THEN NULL
                 WHEN count(DISTINCT f->>'tag') <> count(DISTINCT jsonb_build_array(f->>'tag', f->>'value')) THEN NULL
                 ELSE jsonb_object_agg(f->>'tag', f->>'value')
               END
          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(grp->'filters') = 'array' THEN grp->'filters' ELSE '[]'::jsonb END) AS f
      $$`);

    await q.query(`
      CREATE TABLE role_connections (
        role_id       integer NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
        connection_id integer NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
        name          text COLLATE "C" NOT NULL,
        CONSTRAINT role_connections_pkey PRIMARY KEY (role_id, name) INCLUDE (connection_id)
      )`);
    await q.query(`CREATE INDEX role_connections_connection_idx ON role_connections (connection_id, role_id)`);

    // One role: recompute from its current rule, one indexed containment query per group.
    await q.query(`
      CREATE FUNCTION ds_refresh_role_connections(target integer) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        selector jsonb;
      BEGIN
        DELETE FROM role_connections WHERE role_id = target;
        FOR selector IN
          SELECT DISTINCT ds_group_selector(g) FROM roles r CROSS JOIN LATERAL jsonb_array_elements(r.access) AS g
           WHERE r.id = target AND ds_group_selector(g) IS NOT NULL
        LOOP
          INSERT INTO role_connections (role_id, connection_id, name)
          SELECT target, c.id, c.name FROM connections c WHERE c.tags @> selector
          ON CONFLICT DO NOTHING;
        END LOOP;
      END $$`);

    await q.query(`
      CREATE FUNCTION ds_roles_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": membership maintenance
        PERFORM ds_refresh_role_connections(n.id) FROM new_rows n;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION ds_roles_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(1685286241);
        PERFORM ds_refresh_role_connections(n.id) FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.access IS DISTINCT FROM n.access;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER roles_membership_insert AFTER INSERT ON roles
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_roles_after_insert()`);
    await q.query(`CREATE TRIGGER roles_membership_update AFTER UPDATE ON roles
                     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_roles_after_update()`);

    // Connections: recompute the rows of those whose tags or name changed, against every role.
    await q.query(CONNECTIONS_MEMBERSHIP_FUNCTION);
    await q.query(`
      CREATE FUNCTION ds_connections_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM ds_connections_membership(ARRAY(SELECT id FROM new_rows));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION ds_connections_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ids integer[];
      BEGIN
        -- Probe results and settings change often and leave tags alone: those take no lock and do no work.
        ids := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                      WHERE o.tags IS DISTINCT FROM n.tags OR o.name IS DISTINCT FROM n.name);
        IF cardinality(ids) > 0 THEN
          PERFORM ds_connections_membership(ids);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER connections_membership_insert AFTER INSERT ON connections
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_after_insert()`);
    await q.query(`CREATE TRIGGER connections_membership_update AFTER UPDATE ON connections
                     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_after_update()`);

    await q.query(`SELECT ds_refresh_role_connections(id) FROM roles`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER connections_membership_update ON connections`);
    await q.query(`DROP TRIGGER connections_membership_insert ON connections`);
    await q.query(`DROP TRIGGER roles_membership_update ON roles`);
    await q.query(`DROP TRIGGER roles_membership_insert ON roles`);
    await q.query(`DROP FUNCTION ds_connections_after_update()`);
    await q.query(`DROP FUNCTION ds_connections_after_insert()`);
    await q.query(`DROP FUNCTION ds_connections_membership(integer[])`);
    await q.query(`DROP FUNCTION ds_roles_after_update()`);
    await q.query(`DROP FUNCTION ds_roles_after_insert()`);
    await q.query(`DROP FUNCTION ds_refresh_role_connections(integer)`);
    await q.query(`DROP TABLE role_connections`);
    await q.query(`DROP FUNCTION ds_group_selector(jsonb)`);
  }
}
