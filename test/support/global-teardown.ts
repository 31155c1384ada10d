import { rmSync } from 'node:fs';
import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (adminUrl && process.env.DATABASE_URL) {
    // Leave an external server as we found it.
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const rows = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
        `ds\\_test\\_${process.env.TEST_RUN_ID}\\_%`,
      ]);
      for (const { datname } of rows.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await globalThis.__EMBEDDED_PG__?.stop();
  // The server removes its own data folder; this removes the temporary folder around it.
  if (globalThis.__EMBEDDED_PG_DIR__) rmSync(globalThis.__EMBEDDED_PG_DIR__, { recursive: true, force: true });
}
