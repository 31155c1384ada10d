import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CONNECTIONS_SIGNATURE_FUNCTION } from './1732320000800-TagSignatures';
import { SIGNATURE_COUNTS_FUNCTION } from './1732320000820-SignatureConnectionCounts';

/**
 * A tag signature goes when its last connection does: `tag_signatures` holds the fleet's live tag sets, not every
 * tag set the fleet has ever had.
 *
 * Why: signatures used to be kept forever (migrations TagSignatures and SignatureConnectionCounts), so a fleet that
 * retags often (a version tag bumped on every upgrade, a tag of its own per connection) piled up signatures without
 * connections. Every unsaved rule counted (`previewAccess`, `roleChangeImpact`) and every tag summary still read
 * them through the GIN index, and the choice between counting by signature and by `role_connections`
 * (`signaturesAreShared`, src/services/connection-queries.ts) counted them as if they were live.
 *
 * Exactness and concurrency: a signature is chosen (the BEFORE trigger) and counted (the statement trigger) by a
 * writer, and dropped by another writer's statement trigger once its count reaches zero. All three now happen under
 * the access-relation lock (src/db/locks.ts): the BEFORE trigger takes it before it looks a signature up, where it
 * used to take it only at the end of the statement. So no writer can hold a signature it has chosen but not counted
 * yet while another drops it: the dropper either commits first (the chooser, waiting for the lock, then finds no
 * such signature and creates a new one) or waits for the chooser's commit (and then finds the signature counted).
 * The lock is the one every such write takes anyway, and the services take it first (before any row lock), so
 * their writes wait no longer than they did; a plain SQL statement now holds it from its first retagged row. A signature is dropped only when its maintained count is zero *and* no connection
 * points at it (one index probe each), so a wrong count could never take a used signature away.
 *
 * Also: the look-up of a signature by digest (`ds_tag_signature_id`) runs with sequential scans off, so it goes
 * through the unique index whatever plan PostgreSQL cached. Once `tag_signatures` had been analyzed while empty (a
 * fresh schema after `ANALYZE`), the plan cached for that look-up scanned the whole table, for every row of the
 * statement that filled it: a bulk insert of connections with new tag sets went quadratic (20,000 connections of
 * distinct tags in 31 s instead of 4.5 s on PostgreSQL 15; test/integration/signature-lookup-plan.test.ts).
 *
 * Upgrade cost: writes to connections wait (reads go on) while the signatures without connections are deleted, one
 * anti-join over `connections_signature_idx` (3.6 s for a million connections and 1.01M signatures on PostgreSQL 15,
 * 2 cores).
 */
const DROP_UNUSED_SIGNATURES_FUNCTION = `
  CREATE FUNCTION ds_drop_unused_signatures(candidates integer[]) RETURNS void LANGUAGE sql AS $$
    WITH emptied AS (
      DELETE FROM signature_connection_counts c
       WHERE c.signature_id = ANY(candidates) AND c.connection_count = 0
         AND NOT EXISTS (SELECT 1 FROM connections x WHERE x.signature_id = c.signature_id)
      RETURNING c.signature_id)
    DELETE FROM tag_signatures s USING emptied e WHERE s.id = e.signature_id
  $$`;

export class DropUnusedSignatures1732320000830 implements MigrationInterface {
  name = 'DropUnusedSignatures1732320000830';

  async up(q: QueryRunner): Promise<void> {
    // No writer may be between choosing a signature and committing while the unused ones go (writes wait, reads go on).
    await q.query(`LOCK TABLE connections IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(DROP_UNUSED_SIGNATURES_FUNCTION);
    await q.query(`
      CREATE OR REPLACE FUNCTION ds_connections_signature() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT'
           OR NEW.user_tags IS DISTINCT FROM OLD.user_tags
           OR NEW.pg_version IS DISTINCT FROM OLD.pg_version
           OR NEW.signature_id IS DISTINCT FROM OLD.signature_id THEN
          -- Before the look-up, so that no statement trigger drops the signature between this choice and its count.
          PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": the access-relation lock (src/db/locks.ts)
          NEW.signature_id := ds_tag_signature_id(ds_tag_signature(NEW.user_tags, NEW.pg_version));
        END IF;
        RETURN NEW;
      END $$`);
    // As before, plus: the signatures a statement emptied are dropped, after its gains (a signature that lost
    // connections and gained others in one statement stays).
    await q.query(`
      CREATE OR REPLACE FUNCTION ds_signature_connection_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        losers integer[];
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": the access-relation lock (src/db/locks.ts)
          -- TRUNCATE holds connections exclusively: no other writer has chosen a signature.
          DELETE FROM signature_connection_counts;
          DELETE FROM tag_signatures;
        ELSIF TG_OP = 'INSERT' THEN
          IF EXISTS (SELECT 1 FROM new_rows) THEN
            PERFORM pg_advisory_xact_lock(1685286241);
            INSERT INTO signature_connection_counts (signature_id, connection_count)
            SELECT signature_id, count(*)::int FROM new_rows GROUP BY signature_id ORDER BY signature_id
            ON CONFLICT (signature_id) DO UPDATE SET connection_count = signature_connection_counts.connection_count + EXCLUDED.connection_count;
          END IF;
        ELSIF TG_OP = 'DELETE' THEN
          IF EXISTS (SELECT 1 FROM old_rows) THEN
            PERFORM pg_advisory_xact_lock(1685286241);
            WITH lost AS (
              UPDATE signature_connection_counts c SET connection_count = c.connection_count - d.n
                FROM (SELECT signature_id, count(*)::int AS n FROM old_rows GROUP BY signature_id) AS d
               WHERE c.signature_id = d.signature_id
              RETURNING c.signature_id, c.connection_count)
            SELECT array_agg(signature_id) INTO losers FROM lost WHERE connection_count = 0;
            IF losers IS NOT NULL THEN PERFORM ds_drop_unused_signatures(losers); END IF;
          END IF;
        ELSIF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.signature_id <> n.signature_id) THEN
          PERFORM pg_advisory_xact_lock(1685286241);
          -- Losses first (those signatures have their rows), then gains (a new signature gets its row).
          WITH lost AS (
            UPDATE signature_connection_counts c SET connection_count = c.connection_count - d.n
              FROM (SELECT o.signature_id, count(*)::int AS n FROM new_rows n JOIN old_rows o ON o.id = n.id
                     WHERE o.signature_id <> n.signature_id GROUP BY o.signature_id) AS d
             WHERE c.signature_id = d.signature_id
            RETURNING c.signature_id, c.connection_count)
          SELECT array_agg(signature_id) INTO losers FROM lost WHERE connection_count = 0;
          INSERT INTO signature_connection_counts (signature_id, connection_count)
          SELECT n.signature_id, count(*)::int FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE o.signature_id <> n.signature_id GROUP BY n.signature_id ORDER BY n.signature_id
          ON CONFLICT (signature_id) DO UPDATE SET connection_count = signature_connection_counts.connection_count + EXCLUDED.connection_count;
          -- The drop reads the counts again: a loser that gained in this statement is no longer at zero.
          IF losers IS NOT NULL THEN PERFORM ds_drop_unused_signatures(losers); END IF;
        END IF;
        RETURN NULL;
      END $$`);
    // The look-up by digest through its unique index, whatever plan was cached (see above).
    await q.query(`ALTER FUNCTION ds_tag_signature_id(jsonb) SET enable_seqscan = off`);
    // The signatures left behind so far (a count row at zero, or none: signatures emptied before the counts existed).
    await q.query(`DELETE FROM signature_connection_counts c WHERE NOT EXISTS (SELECT 1 FROM connections x WHERE x.signature_id = c.signature_id)`);
    await q.query(`DELETE FROM tag_signatures s WHERE NOT EXISTS (SELECT 1 FROM connections x WHERE x.signature_id = s.id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(SIGNATURE_COUNTS_FUNCTION);
    await q.query(CONNECTIONS_SIGNATURE_FUNCTION);
    await q.query(`DROP FUNCTION ds_drop_unused_signatures(integer[])`);
    await q.query(`ALTER FUNCTION ds_tag_signature_id(jsonb) RESET enable_seqscan`);
  }
}
