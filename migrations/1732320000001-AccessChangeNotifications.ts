import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change that can alter what a signed-in user may do or see sends a NOTIFY on `ds_access_changed`, from the
 * database itself, so each replica's principal cache is invalidated whoever made the change (another replica, the
 * CLI, or plain SQL). Payloads: `user:<id>` for one user, `all` for role changes and truncations.
 */
export class AccessChangeNotifications1732320000001 implements MigrationInterface {
  name = 'AccessChangeNotifications1732320000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ds_notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('ds_access_changed', 'all');
        ELSIF TG_TABLE_NAME = 'users' THEN
          PERFORM pg_notify('ds_access_changed', 'user:' || OLD.id);
        ELSE
          IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM pg_notify('ds_access_changed', 'user:' || NEW.user_id); END IF;
          IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM pg_notify('ds_access_changed', 'user:' || OLD.user_id); END IF;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER roles_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON roles
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_notify_access_change()`);
    await q.query(`CREATE TRIGGER users_notify AFTER UPDATE OR DELETE ON users
                     FOR EACH ROW EXECUTE FUNCTION ds_notify_access_change()`);
    await q.query(`CREATE TRIGGER users_truncate_notify AFTER TRUNCATE ON users
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_notify_access_change()`);
    await q.query(`CREATE TRIGGER user_roles_notify AFTER INSERT OR UPDATE OR DELETE ON user_roles
                     FOR EACH ROW EXECUTE FUNCTION ds_notify_access_change()`);
    await q.query(`CREATE TRIGGER user_roles_truncate_notify AFTER TRUNCATE ON user_roles
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_notify_access_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER user_roles_truncate_notify ON user_roles`);
    await q.query(`DROP TRIGGER user_roles_notify ON user_roles`);
    await q.query(`DROP TRIGGER users_truncate_notify ON users`);
    await q.query(`DROP TRIGGER users_notify ON users`);
    await q.query(`DROP TRIGGER roles_notify ON roles`);
    await q.query(`DROP FUNCTION ds_notify_access_change()`);
  }
}
