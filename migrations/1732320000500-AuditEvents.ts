import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (src/audit/audit-log.ts): one row per change and per sign-in, written in the change's transaction.
 *
 * Append-only for the application, enforced twice:
 * - a statement trigger refuses UPDATE and TRUNCATE always, and DELETE unless the transaction has set
 *   `ds.audit_purge = 'on'` (only the `audit-purge` CLI does, and audits the purge in the same transaction);
 * - the runtime role gets only INSERT and SELECT on the table (src/db/runtime-grants.ts). Default privileges
 *   given by an earlier `grant-runtime` would hand it UPDATE and DELETE on this new table: they are taken back here.
 *
 * Ordered by `id` (newest first in the API); `at` is the change's transaction time. The indexes serve the filters
 * of `auditEvents` (actor, action, target, time range), each ending with `id` so a filtered page is an index scan.
 */
export class AuditEvents1732320000500 implements MigrationInterface {
  name = 'AuditEvents1732320000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at          timestamptz NOT NULL DEFAULT now(),
        actor       text NOT NULL CHECK (char_length(actor) BETWEEN 1 AND 200),
        channel     text NOT NULL CHECK (channel IN ('graphql', 'rest', 'cli', 'system')),
        request_id  text CHECK (char_length(request_id) <= 100),
        action      text NOT NULL CHECK (action ~ '^[a-z]+\\.[a-z-]+$'),
        target_type text NOT NULL CHECK (action LIKE target_type || '.%'),
        target      text NOT NULL CHECK (char_length(target) <= 200),
        before      jsonb,
        after       jsonb
      )`);
    await q.query(`CREATE INDEX audit_events_at_idx ON audit_events (at)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor, id)`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events (action, id)`);
    await q.query(`CREATE INDEX audit_events_target_idx ON audit_events (target_type, target, id)`);
    await q.query(`
      CREATE FUNCTION ds_audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('ds.audit_purge', true) = 'on' THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: % refused (purge with the audit-purge command)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_audit_events_append_only()`);
    // Roles that received UPDATE/DELETE/TRUNCATE through default privileges (the runtime role): INSERT and SELECT only.
    await q.query(`
      DO $$
      DECLARE grantee text;
      BEGIN
        FOR grantee IN
          SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
           WHERE g.table_schema = current_schema() AND g.table_name = 'audit_events'
             AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND g.grantee NOT IN (current_user, 'PUBLIC')
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', grantee);
        END LOOP;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION ds_audit_events_append_only()`);
  }
}
