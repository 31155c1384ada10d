/**
 * Starts the PostgreSQL the tests use and prepares a migrated template database that every test file clones.
 * - DATABASE_URL set: that server (the role needs CREATEDB).
 * - Otherwise: an embedded PostgreSQL in a temporary folder, removed afterwards.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource, migrateUp } from '../../src/db/data-source';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres';

declare global {
  var __EMBEDDED_PG__: EmbeddedDatabase | undefined;
  var __EMBEDDED_PG_DIR__: string | undefined;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function globalSetup(): Promise<void> {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, 'postgres');
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-gateway-test-'));
    const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true, database: 'postgres' });
    globalThis.__EMBEDDED_PG__ = embedded;
    globalThis.__EMBEDDED_PG_DIR__ = dataDir;
    adminUrl = embedded.url;
  }
  const runId = String(process.pid);
  const template = `ds_test_${runId}_template`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  const dataSource = createDataSource({ url: withDatabase(adminUrl, template), poolSize: 1 });
  await dataSource.initialize();
  await migrateUp(dataSource);
  await dataSource.destroy();
  process.env.TEST_PG_ADMIN_URL = adminUrl;
  process.env.TEST_PG_TEMPLATE = template;
  process.env.TEST_RUN_ID = runId;
}
