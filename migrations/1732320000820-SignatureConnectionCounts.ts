import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many connections carry each tag signature, maintained: `signature_connection_counts` is kept equal to
 * `count(*) ... GROUP BY signature_id` of `connections` by statement triggers on that table, in the transaction that
 * changes it.
 *
 * Why: a count decided by signatures (a restricted caller's total when the per-replica caches are cold or off, a
 * `previewAccess` or `roleChangeImpact` count, a tag summary's weights) summed the matching signatures' entries of
 * `connections_signature_idx`: index-only, but one entry per visible connection (110k for the bench's dashboard
 * user at a million connections, about 15 ms). With the counts it reads one row per matching signature (hundreds),
 * whatever the fleet size.
 *
 * Exactness: the counts change in the same statement as the rows they count, so any snapshot sees both agree.
 * An UPDATE that leaves `signature_id` alone (probe results, settings) changes no count and takes no lock. A
 * signature whose connections are all gone kept its row, at 0, until migration DropUnusedSignatures (which drops
 * it with its last connection); readers still skip zeros where a signature's presence matters (tag summaries).
 *
 * Concurrency: every write that adds, removes or re-tags a connection holds the access-relation advisory lock
 * (src/db/locks.ts, taken first by the services; the membership triggers take it too), and so does this trigger
 * before touching a counter: counter rows are updated by one transaction at a time, so two writers cannot deadlock
 * on them whatever order their statements take.
 *
 * Upgrade cost: one pass over `connections_signature_idx` to fill the table (a few seconds at a million
 * connections), in the migration's transaction, which holds off writes to connections (not reads) until it commits.
 */
/**
 * The counting trigger's function as this migration defines it (migration DropUnusedSignatures replaces it, and puts
 * this one back when reverted).
 */
export const SIGNATURE_COUNTS_FUNCTION = `
      CREATE OR REPLACE FUNCTION ds_signature_connection_counts() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_advisory_xact_lock(1685286241); -- "dsma": the access-relation lock (src/db/locks.ts)
          UPDATE signature_connection_counts SET connection_count = 0 WHERE connection_count <> 0;
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
            UPDATE signature_connection_counts c SET connection_count = c.connection_count - d.n
              FROM (SELECT signature_id, count(*)::int AS n FROM old_rows GROUP BY signature_id) AS d
             WHERE c.signature_id = d.signature_id;
          END IF;
        ELSIF EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE o.signature_id <> n.signature_id) THEN
          PERFORM pg_advisory_xact_lock(1685286241);
          -- Losses first (those signatures have their rows), then gains (a new signature gets its row).
          UPDATE signature_connection_counts c SET connection_count = c.connection_count - d.n
            FROM (SELECT o.signature_id, count(*)::int AS n FROM new_rows n JOIN old_rows o ON o.id = n.id
                   WHERE o.signature_id <> n.signature_id GROUP BY o.signature_id) AS d
           WHERE c.signature_id = d.signature_id;
          INSERT INTO signature_connection_counts (signature_id, connection_count)
          SELECT n.signature_id, count(*)::int FROM new_rows n JOIN old_rows o ON o.id = n.id
           WHERE o.signature_id <> n.signature_id GROUP BY n.signature_id ORDER BY n.signature_id
          ON CONFLICT (signature_id) DO UPDATE SET connection_count = signature_connection_counts.connection_count + EXCLUDED.connection_count;
        END IF;
        RETURN NULL;
      END $$`;

export class SignatureConnectionCounts1732320000820 implements MigrationInterface {
  name = 'SignatureConnectionCounts1732320000820';

  async up(q: QueryRunner): Promise<void> {
    // No write to connections between the count below and the triggers that take over from it (a replica of the
    // previous version may still be serving): reads go on, writes wait for this transaction.
    await q.query(`LOCK TABLE connections IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`
      CREATE TABLE signature_connection_counts (
        signature_id     integer PRIMARY KEY REFERENCES tag_signatures (id),
        connection_count integer NOT NULL CHECK (connection_count >= 0)
      )`);
    await q.query(`
      INSERT INTO signature_connection_counts (signature_id, connection_count)
      SELECT signature_id, count(*) FROM connections GROUP BY signature_id`);
    // One function for every event; the lock is taken only when a count changes.
    await q.query(SIGNATURE_COUNTS_FUNCTION);
    await q.query(`CREATE TRIGGER signature_connection_counts_insert AFTER INSERT ON connections
                     REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_signature_connection_counts()`);
    await q.query(`CREATE TRIGGER signature_connection_counts_update AFTER UPDATE ON connections
                     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_signature_connection_counts()`);
    await q.query(`CREATE TRIGGER signature_connection_counts_delete AFTER DELETE ON connections
                     REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ds_signature_connection_counts()`);
    await q.query(`CREATE TRIGGER signature_connection_counts_truncate AFTER TRUNCATE ON connections
                     FOR EACH STATEMENT EXECUTE FUNCTION ds_signature_connection_counts()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER signature_connection_counts_truncate ON connections`);
    await q.query(`DROP TRIGGER signature_connection_counts_delete ON connections`);
    await q.query(`DROP TRIGGER signature_connection_counts_update ON connections`);
    await q.query(`DROP TRIGGER signature_connection_counts_insert ON connections`);
    await q.query(`DROP FUNCTION ds_signature_connection_counts()`);
    await q.query(`DROP TABLE signature_connection_counts`);
  }
}
