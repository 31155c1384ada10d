import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many connections each role matches, maintained: `role_connection_counts` is kept equal to
 * `count(*) ... GROUP BY role_id` of `role_connections` by statement triggers on that table, in the transaction that
 * changes it. `Role.connectionCount` (the administrators' overview: one count per role) then reads one row per role
 * instead of counting each role's range of the access relation, which at a million connections is over a million
 * index entries for 302 roles, and no longer depends on a warm per-replica cache.
 *
 * Every write to `role_connections` comes from the membership triggers (migration RoleMembership), which hold the
 * membership advisory lock: the counter rows are therefore updated by one transaction at a time, in no order that
 * could deadlock. A role that never matched has no row (0). A deleted role's row stays, at 0 (its rows of
 * role_connections went with it); no foreign key, so that TRUNCATE of roles keeps working as before (ids are never
 * reused).
 */
export class RoleConnectionCounts1732320000810 implements MigrationInterface {
  name = 'RoleConnectionCounts1732320000810';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE role_connection_counts (
        role_id          integer PRIMARY KEY,
        connection_count integer NOT NULL CHECK (connection_count >= 0)
      )`);
    await q.query(`
      INSERT INTO role_connection_counts (role_id, connection_count)
      SELECT role_id, count(*) FROM role_connections GROUP BY role_id`);
    await q.query(`
      CREATE FUNCTION ds_role_connection_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          UPDATE role_connection_counts SET connection_count = 0;
          RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE role_connection_counts c SET connection_count = c.connection_count - d.n
            FROM (SELECT role_id, count(*)::int AS n FROM old_rows GROUP BY role_id) AS d
           WHERE c.role_id = d.role_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
          INSERT INTO role_connection_counts (role_id, connection_count)
          SELECT role_id, count(*)::int FROM new_rows GROUP BY role_id
          ON CONFLICT (role_id) DO UPDATE SET connection_count = role_connection_counts.connection_count + EXCLUDED.connection_count;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER role_connection_counts_insert AFTER INSERT ON role_connections
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_role_connection_counts()`);
    await q.query(`CREATE TRIGGER role_connection_counts_update AFTER UPDATE ON role_connections
                     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_role_connection_counts()`);
    await q.query(`CREATE TRIGGER role_connection_counts_delete AFTER DELETE ON role_connections
                     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_role_connection_counts()`);
    await q.query(`CREATE TRIGGER role_connection_counts_truncate AFTER TRUNCATE ON role_connections
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_role_connection_counts()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER role_connection_counts_truncate ON role_connections`);
    await q.query(`DROP TRIGGER role_connection_counts_delete ON role_connections`);
    await q.query(`DROP TRIGGER role_connection_counts_update ON role_connections`);
    await q.query(`DROP TRIGGER role_connection_counts_insert ON role_connections`);
    await q.query(`DROP FUNCTION ds_role_connection_counts()`);
    await q.query(`DROP TABLE role_connection_counts`);
  }
}
