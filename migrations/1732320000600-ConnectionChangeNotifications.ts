import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to a connection row sends a NOTIFY on `ds_connection_changed` with the changed ids
 * (comma-separated, at most 500 per notification; `all` for a statement touching more than 2,000 rows or a
 * TRUNCATE), from the database itself, so the live-dashboard subscriptions of every replica
 * (src/subscriptions/) hear of a created, edited, retagged, enabled, probed or deleted connection whoever made the
 * change. The payload names ids only: what a subscriber may learn is decided by each replica, per subscriber.
 *
 * Statement-level triggers with transition tables: a bulk import sends a few notifications, not one per row.
 * Columns that change on every probe without meaning anything to a reader (`probe_generation`, `last_probe_at`,
 * `updated_at`) do not count: a probe that finds the instance as it was sends nothing; one that flips `connected`
 * does.
 */
export class ConnectionChangeNotifications1732320000600 implements MigrationInterface {
  name = 'ConnectionChangeNotifications1732320000600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ds_notify_connection_ids(ids integer[]) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        n integer := coalesce(cardinality(ids), 0);
        i integer := 1;
      BEGIN
        IF n = 0 THEN RETURN; END IF;
        IF n > 2000 THEN
          PERFORM pg_notify('ds_connection_changed', 'all');
          RETURN;
        END IF;
        WHILE i <= n LOOP
          PERFORM pg_notify('ds_connection_changed', array_to_string(ids[i:i + 499], ','));
          i := i + 500;
        END LOOP;
      END $$`);
    await q.query(`
      CREATE FUNCTION ds_connections_notify_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          PERFORM ds_notify_connection_ids(ARRAY(SELECT id FROM new_rows ORDER BY id));
        ELSIF TG_OP = 'DELETE' THEN
          PERFORM ds_notify_connection_ids(ARRAY(SELECT id FROM old_rows ORDER BY id));
        ELSE
          PERFORM ds_notify_connection_ids(ARRAY(
            SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (to_jsonb(n) - 'probe_generation' - 'last_probe_at' - 'updated_at')
                   IS DISTINCT FROM (to_jsonb(o) - 'probe_generation' - 'last_probe_at' - 'updated_at')
             ORDER BY n.id));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION ds_connections_notify_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('ds_connection_changed', 'all');
        RETURN NULL;
      END $$`);
    // A trigger with transition tables serves one event, hence three.
    await q.query(`CREATE TRIGGER connections_notify_insert AFTER INSERT ON connections
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_notify_rows()`);
    await q.query(`CREATE TRIGGER connections_notify_update AFTER UPDATE ON connections
                     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_notify_rows()`);
    await q.query(`CREATE TRIGGER connections_notify_delete AFTER DELETE ON connections
                     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_notify_rows()`);
    await q.query(`CREATE TRIGGER connections_notify_truncate AFTER TRUNCATE ON connections
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_connections_notify_truncate()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER connections_notify_truncate ON connections`);
    await q.query(`DROP TRIGGER connections_notify_delete ON connections`);
    await q.query(`DROP TRIGGER connections_notify_update ON connections`);
    await q.query(`DROP TRIGGER connections_notify_insert ON connections`);
    await q.query(`DROP FUNCTION ds_connections_notify_truncate()`);
    await q.query(`DROP FUNCTION ds_connections_notify_rows()`);
    await q.query(`DROP FUNCTION ds_notify_connection_ids(integer[])`);
  }
}
