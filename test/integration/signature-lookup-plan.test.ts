/**
 * The trigger that gives each new connection its tag signature looks the signature up by digest, once per row. That
 * look-up must go through `tag_signatures_tags_sha256_key` whatever the planner believes about the table: once
 * `tag_signatures` had been analyzed while empty (a fresh schema after `ANALYZE` or `vacuumdb --analyze`), the plan
 * cached for the look-up was a sequential scan, kept for the whole statement that then filled the table, so a bulk
 * insert of connections with new tag sets went quadratic (20,000 in 31 s instead of 4.5 s on the machine's
 * PostgreSQL 15; migration DropUnusedSignatures). The plans of the nested statements are read from auto_explain,
 * sent to this session as notices.
 */
import { Client } from 'pg';
import { useTestDatabaseClient } from '../support/database';

const database = useTestDatabaseClient();

it('a bulk insert right after the empty table was analyzed looks every signature up through its unique index', async () => {
  const session = new Client({ connectionString: database.db.url });
  await session.connect();
  const plans: string[] = [];
  session.on('notice', (notice) => {
    if (notice.message?.includes('FROM tag_signatures s WHERE s.tags_sha256 = digest')) plans.push(notice.message);
  });
  try {
    await session.query(`ANALYZE tag_signatures`);
    expect((await session.query(`SELECT reltuples FROM pg_class WHERE relname = 'tag_signatures'`)).rows).toEqual([{ reltuples: 0 }]);
    await session.query(`LOAD 'auto_explain'`);
    await session.query(`SET auto_explain.log_min_duration = 0`);
    await session.query(`SET auto_explain.log_nested_statements = on`);
    await session.query(`SET auto_explain.log_level = notice`);
    // More rows than the five custom plans PostgreSQL makes before it settles on a cached generic one.
    await session.query(
      `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
       SELECT 'c-' || i, 'h', 5432, 'u', 'v1.x', jsonb_build_array(jsonb_build_object('key', 'cluster', 'value', 'c-' || i))
         FROM generate_series(1, 12) AS i`,
    );
  } finally {
    await session.end();
  }
  // The first look-up of each row (the one after the insert of a new signature is not reached: no conflict).
  expect(plans).toHaveLength(12);
  for (const plan of plans) {
    expect(plan).toContain('Index Scan using tag_signatures_tags_sha256_key on tag_signatures s');
    expect(plan).not.toContain('Seq Scan');
  }
});
