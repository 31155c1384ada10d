import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for ordered connection lists and tag conditions (src/services/connections/order.ts,
 * src/access/tag-conditions.ts):
 * - one btree per sort key, with the name as tiebreaker, so a page in any order is one index range (the name order
 *   already has the unique index of `name`); `host` sorts in the "C" collation, as names do;
 * - a second GIN index on `tags` with the default jsonb_ops operator class: it indexes keys, which answers
 *   `tags ? 'key'` (`EXISTS`, and `PREFIX` before its value check). The jsonb_path_ops index of InitialSchema keeps
 *   answering the containments (`@>`) of roles and `EQ`/`IN` conditions: it is smaller and faster for them, but has
 *   no entry for a key alone.
 *
 * Plain CREATE INDEX (migrations run in a transaction, where CONCURRENTLY is not allowed): each build blocks writes
 * to `connections` while it runs, a matter of seconds for a hundred thousand connections. On a much larger table,
 * create these indexes by hand with CREATE INDEX CONCURRENTLY, under the same names, before upgrading: IF NOT EXISTS
 * then skips them here.
 */
export class ConnectionOrderIndexes1732320000700 implements MigrationInterface {
  name = 'ConnectionOrderIndexes1732320000700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS connections_host_order_idx ON connections (host COLLATE "C", name)`);
    await q.query(`CREATE INDEX IF NOT EXISTS connections_created_at_order_idx ON connections (created_at, name)`);
    await q.query(`CREATE INDEX IF NOT EXISTS connections_updated_at_order_idx ON connections (updated_at, name)`);
    await q.query(`CREATE INDEX IF NOT EXISTS connections_tags_keys_gin ON connections USING gin (tags)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX connections_tags_keys_gin`);
    await q.query(`DROP INDEX connections_updated_at_order_idx`);
    await q.query(`DROP INDEX connections_created_at_order_idx`);
    await q.query(`DROP INDEX connections_host_order_idx`);
  }
}
