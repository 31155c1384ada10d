import { createDataSource, migrateDown, migrateUp } from '../../src/db/data-source';
import { migrations } from '../../migrations';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertConnection, userTagsJson } from '../support/seed';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ template: false });
});
afterAll(() => db.drop());

async function tables(ds: ReturnType<typeof createDataSource>): Promise<string[]> {
  const rows: { table_name: string }[] = await ds.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
  return rows.map((r) => r.table_name);
}

test('every migration applies on an empty database, reverts completely, and applies again', async () => {
  const ds = createDataSource({ url: db.url, poolSize: 1 });
  await ds.initialize();
  try {
    expect(await migrateUp(ds)).toEqual(migrations.map((m) => new m().name));
    expect(await tables(ds)).toEqual(expect.arrayContaining(['connections', 'migrations', 'roles', 'settings', 'user_roles', 'users']));
    expect(await migrateUp(ds)).toEqual([]); // idempotent

    for (let i = 0; i < migrations.length; i += 1) await migrateDown(ds);
    expect(await tables(ds)).toEqual(['migrations']);
    const functions: unknown[] = await ds.query(`SELECT proname FROM pg_proc WHERE proname LIKE 'ds\\_%'`);
    expect(functions).toEqual([]);

    expect((await migrateUp(ds)).length).toBe(migrations.length);
    expect(await tables(ds)).toContain('connections');
  } finally {
    await ds.destroy();
  }
});

test('the tag index is a GIN index the matching predicate can use', async () => {
  const ds = createDataSource({ url: db.url, poolSize: 1 });
  await ds.initialize();
  try {
    const [index] = await ds.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'connections_tags_gin'`);
    expect(index.indexdef).toContain('USING gin (tags jsonb_path_ops)');
    // With sequential scans off, the planner must still be able to answer @> through the index.
    await ds.query(`SET enable_seqscan = off`);
    const plan: { 'QUERY PLAN': string }[] = await ds.query(
      `EXPLAIN SELECT name FROM connections c WHERE (c.tags @> '{"env":"prod"}'::jsonb OR c.tags @> '{"dc":"lyon"}'::jsonb)`,
    );
    expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/Bitmap Index Scan on connections_tags_gin/);
  } finally {
    await ds.destroy();
  }
});

test('upgrading drops the tag signatures left without connections, and only those', async () => {
  const ds = createDataSource({ url: db.url, poolSize: 1 });
  await ds.initialize();
  try {
    // Back to signatures that were never dropped: DropUnusedSignatures reverted, with the migrations after it.
    const later = migrations.slice(migrations.findIndex((m) => new m().name === 'DropUnusedSignatures1732320000830')).map((m) => new m().name);
    for (let i = 0; i < later.length; i += 1) await migrateDown(ds);
    await insertConnection(ds, 'kept', { env: 'prod' });
    await insertConnection(ds, 'moved', { env: 'v1' });
    await ds.query(`UPDATE connections SET user_tags = $1::jsonb WHERE name = 'moved'`, [userTagsJson({ env: 'v2' })]);
    await insertConnection(ds, 'gone', { env: 'dev' });
    await ds.query(`DELETE FROM connections WHERE name = 'gone'`);
    const signatures = async () => ((await ds.query(`SELECT tags->>'env' AS env FROM tag_signatures ORDER BY 1`)) as { env: string }[]).map((r) => r.env);
    expect(await signatures()).toEqual(['dev', 'prod', 'v1', 'v2']);
    expect(await migrateUp(ds)).toEqual(later);
    expect(await signatures()).toEqual(['prod', 'v2']);
    expect(await ds.query(`SELECT count(*)::int AS n FROM signature_connection_counts WHERE connection_count = 0`)).toEqual([{ n: 0 }]);
  } finally {
    await ds.destroy();
  }
});
