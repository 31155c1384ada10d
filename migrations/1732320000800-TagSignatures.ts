import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tag signatures: a dictionary of the distinct tag sets of the fleet, leaving out the two automatic keys that are
 * unique to each connection (`pg_instance`, `server`). Every connection points at its signature (`signature_id`).
 *
 * Why: whether a connection matches a tag selector that names neither of those keys is decided by its signature
 * alone, and fleets have far fewer signatures than connections (every instance of one application in one
 * environment and datacenter shares one). Counting what an unsaved rule or a tag condition matches
 * (`previewAccess`, `roleChangeImpact`, filtered totals) then reads the few signatures that match and counts their
 * connections in `connections_signature_idx`, an index-only range of 4-byte keys, instead of fetching and checking
 * the heap tuple of every matching connection through the GIN index (src/services/connection-queries.ts: the
 * signature branches of `countInDatabase` and `tagSummary`). A fleet whose every connection carries a unique user tag has as many signatures as
 * connections: the count then costs what the GIN path costs, and the service keeps choosing by the terms alone.
 *
 * Exactness: `signature_id` is set by a BEFORE trigger on every insert and on every update that changes what the
 * tags are made of (`user_tags`, `pg_version`) or that touches `signature_id` itself, so no statement can leave a
 * row pointing at the wrong signature. The signature is `ds_connection_tags(...)` minus the two keys, the very
 * function the generated `tags` column uses. Signatures were never deleted here (one whose connections are all gone
 * counted zero; since migration DropUnusedSignatures it goes with its last connection); `ds_tag_signature_id`
 * finds or creates one under concurrency, and fails the statement rather than return a signature whose tags are
 * not exactly the connection's.
 *
 * Also `connections_instance_order_idx`: `pg_instance` values in code-point order, for paged tag summaries.
 *
 * Upgrade cost: one UPDATE of every connection (a full rewrite of the table) and two index builds, in the migration's
 * transaction, under an exclusive lock on `connections`: reads of connections wait for it too (minutes for a
 * million connections on 2 cores; seconds for ten thousand). Plan a maintenance window for a large fleet. On a very
 * large table create `connections_instance_order_idx` by hand with CREATE INDEX CONCURRENTLY, under that name,
 * before upgrading.
 */
/**
 * The BEFORE trigger's function as this migration defines it (migration DropUnusedSignatures replaces it, and puts
 * this one back when reverted).
 */
export const CONNECTIONS_SIGNATURE_FUNCTION = `
      CREATE OR REPLACE FUNCTION ds_connections_signature() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT'
           OR NEW.user_tags IS DISTINCT FROM OLD.user_tags
           OR NEW.pg_version IS DISTINCT FROM OLD.pg_version
           OR NEW.signature_id IS DISTINCT FROM OLD.signature_id THEN
          NEW.signature_id := ds_tag_signature_id(ds_tag_signature(NEW.user_tags, NEW.pg_version));
        END IF;
        RETURN NEW;
      END $$`;

export class TagSignatures1732320000800 implements MigrationInterface {
  name = 'TagSignatures1732320000800';

  async up(q: QueryRunner): Promise<void> {
    // Unique by SHA-256 of the tags' canonical text (jsonb prints equal values identically), not by the tags
    // themselves: a btree entry is limited to 2,704 bytes, and a connection may carry 64 tags of 256 characters.
    await q.query(`
      CREATE TABLE tag_signatures (
        id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tags        jsonb NOT NULL,
        tags_sha256 bytea NOT NULL CONSTRAINT tag_signatures_tags_sha256_key UNIQUE
      )`);
    // A signature set as large as the fleet still answers containment through the index.
    await q.query(`CREATE INDEX tag_signatures_tags_gin ON tag_signatures USING gin (tags jsonb_path_ops)`);
    await q.query(`
      CREATE FUNCTION ds_tag_signature(user_tags jsonb, pg_version text) RETURNS jsonb
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT ds_connection_tags(user_tags, '', '', pg_version) - 'pg_instance' - 'server'
      $$`);
    await q.query(`
      CREATE FUNCTION ds_tag_signature_id(signature jsonb) RETURNS integer LANGUAGE plpgsql AS $$
      DECLARE
        digest bytea := sha256(convert_to(signature::text, 'UTF8'));
        signature_id integer;
      BEGIN
        SELECT s.id INTO signature_id FROM tag_signatures s WHERE s.tags_sha256 = digest AND s.tags = signature;
        IF signature_id IS NULL THEN
          -- Waits for a concurrent transaction inserting the same signature; if it committed, the next statement
          -- (READ COMMITTED: a new snapshot) finds its row.
          INSERT INTO tag_signatures (tags, tags_sha256) VALUES (signature, digest)
          ON CONFLICT (tags_sha256) DO NOTHING
          RETURNING id INTO signature_id;
          IF signature_id IS NULL THEN
            SELECT s.id INTO signature_id FROM tag_signatures s WHERE s.tags_sha256 = digest AND s.tags = signature;
          END IF;
          IF signature_id IS NULL THEN
            -- Never a wrong signature: a snapshot that cannot see the concurrent row (REPEATABLE READ), or two tag
            -- sets with one SHA-256, fail the statement instead.
            RAISE EXCEPTION 'tag signature not recorded: retry the statement';
          END IF;
        END IF;
        RETURN signature_id;
      END $$`);
    await q.query(`ALTER TABLE connections ADD COLUMN signature_id integer`);
    await q.query(`
      INSERT INTO tag_signatures (tags, tags_sha256)
      SELECT signature, sha256(convert_to(signature::text, 'UTF8'))
        FROM (SELECT DISTINCT ds_tag_signature(user_tags, pg_version) AS signature FROM connections) AS d`);
    // The backfill changes no tag: the membership and change-notification triggers have nothing to do for it, and
    // skipping them (inside this transaction, under its exclusive lock) saves them a join of every row.
    await q.query(`ALTER TABLE connections DISABLE TRIGGER connections_membership_update`);
    await q.query(`ALTER TABLE connections DISABLE TRIGGER connections_notify_update`);
    await q.query(`
      UPDATE connections c SET signature_id = s.id
        FROM tag_signatures s
       WHERE s.tags_sha256 = sha256(convert_to(ds_tag_signature(c.user_tags, c.pg_version)::text, 'UTF8'))
         AND s.tags = ds_tag_signature(c.user_tags, c.pg_version)`);
    await q.query(`ALTER TABLE connections ENABLE TRIGGER connections_notify_update`);
    await q.query(`ALTER TABLE connections ENABLE TRIGGER connections_membership_update`);
    await q.query(`ALTER TABLE connections ALTER COLUMN signature_id SET NOT NULL`);
    await q.query(`CREATE INDEX IF NOT EXISTS connections_signature_idx ON connections (signature_id)`);
    // `pg_instance` values in code-point order (`server` has connections_host_order_idx): a tag summary reads a page
    // of them in index order, keeping the visible ones, instead of sorting every visible connection.
    await q.query(`CREATE INDEX IF NOT EXISTS connections_instance_order_idx ON connections (((host || '@' || name) COLLATE "C"))`);
    await q.query(CONNECTIONS_SIGNATURE_FUNCTION);
    await q.query(`CREATE TRIGGER connections_signature BEFORE INSERT OR UPDATE ON connections
                     FOR EACH ROW EXECUTE FUNCTION ds_connections_signature()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER connections_signature ON connections`);
    await q.query(`DROP FUNCTION ds_connections_signature()`);
    await q.query(`DROP INDEX connections_instance_order_idx`);
    await q.query(`DROP INDEX connections_signature_idx`);
    await q.query(`ALTER TABLE connections DROP COLUMN signature_id`);
    await q.query(`DROP FUNCTION ds_tag_signature_id(jsonb)`);
    await q.query(`DROP FUNCTION ds_tag_signature(jsonb, text)`);
    await q.query(`DROP TABLE tag_signatures`);
  }
}
