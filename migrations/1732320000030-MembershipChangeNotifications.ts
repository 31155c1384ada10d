import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every statement that changes the materialized access relation (`role_connections`: a rule rewritten, a connection
 * created, retagged, renamed or deleted, a role deleted) sends a NOTIFY on `ds_membership_changed`, so each replica's
 * cache of membership counts (src/services/membership-cache.ts) is emptied whoever made the change. The triggers
 * that maintain the relation only write to it when membership can change (not for probe results or settings), so
 * this fires exactly then; notifications with the same payload in one transaction are sent once.
 */
export class MembershipChangeNotifications1732320000030 implements MigrationInterface {
  name = 'MembershipChangeNotifications1732320000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ds_notify_membership_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('ds_membership_changed', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER role_connections_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON role_connections
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_notify_membership_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER role_connections_notify ON role_connections`);
    await q.query(`DROP FUNCTION ds_notify_membership_change()`);
  }
}
