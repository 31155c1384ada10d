/**
 * Migrations when several replicas start at the same moment (the normal rollout).
 *
 * Each replica that applies migrations first takes a session-level PostgreSQL advisory lock
 * ({@link MIGRATION_LOCK}) on a connection of its own: the first one migrates, the others wait on the lock, then
 * find nothing pending and only verify. The lock belongs to the session, so a replica that dies while migrating
 * releases it with its connection, and each migration runs in its own transaction, so the next replica resumes where
 * it stopped. Migrations connect with MIGRATIONS_DATABASE_URL (the owner role) when it is set. The lock is held on a
 * session of its own, opened on the migration lock URL (`DatabaseUrls.migrationLock`, src/db/open-database.ts): a direct connection, since a session lock taken through a
 * transaction pooler (PgBouncer) would land on whichever server connection the pooler picks, and outlive its owner.
 *
 * With MIGRATE_ON_START=false the gateway applies nothing: {@link waitForMigrations} polls until a pipeline step
 * (`npm run cli -- migrate`) has applied every migration this build knows, and /readyz answers 503 meanwhile.
 */
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../logger';
import { createDataSource, migrateUp } from './data-source';
import { MIGRATION_LOCK } from './locks';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Names of the migrations this build knows that the database has not recorded yet, in order. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const known = dataSource.migrations.map((m) => m.name ?? m.constructor.name);
  // No DDL (TypeORM's showMigrations creates its table when missing): a runtime role without CREATE can run this.
  const [{ present }]: { present: boolean }[] = await dataSource.query(`SELECT to_regclass('migrations') IS NOT NULL AS present`);
  if (!present) return known;
  const done = new Set(((await dataSource.query(`SELECT name FROM migrations`)) as { name: string }[]).map((r) => r.name));
  return known.filter((name) => !done.has(name));
}

export interface MigrationOutcome {
  /** Migrations this process applied (empty when another replica had applied them). */
  applied: string[];
  /** This process waited for another one holding the lock. */
  waited: boolean;
}

/**
 * Applies pending migrations on `url` under {@link MIGRATION_LOCK}, held by a session on `lockUrl`; returns what
 * this process applied. `onWait` is told when another process holds the lock; `connect` initializes the data source
 * (with retries in the gateway).
 */
export async function migrateUnderLock(
  url: string,
  onWait: () => void,
  connect: (dataSource: DataSource) => Promise<void> = async (dataSource) => void (await dataSource.initialize()),
  lockUrl: string = url,
): Promise<MigrationOutcome> {
  const dataSource = createDataSource({ url, poolSize: 1, applicationName: 'ds-access-gateway migrations' });
  await connect(dataSource);
  // The lock lives in a session of its own; it ends (and releases the lock) if this process dies.
  const lock = new Client({ connectionString: lockUrl, application_name: 'ds-access-gateway migration lock' });
  // The lock's session idles while migrations run; if it is ended then, pg reports it as an 'error' event, which
  // without a listener would end the process mid-migration. The unlock below then fails, and the run reports it.
  lock.on('error', () => undefined);
  try {
    await lock.connect();
    const [{ locked }] = (await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK])).rows;
    let waited = false;
    if (!locked) {
      waited = true;
      onWait();
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    }
    const applied = await migrateUp(dataSource);
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    return { applied, waited };
  } finally {
    await lock.end().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
  }
}

/** MIGRATE_ON_START=false: resolves once nothing is pending, saying once what it waits for. */
export async function waitForMigrations(dataSource: DataSource, log: Logger, onPending: (pending: string[]) => void, pollMs = 2000): Promise<void> {
  let told = false;
  for (;;) {
    const pending = await pendingMigrations(dataSource);
    if (pending.length === 0) return;
    onPending(pending);
    if (!told) {
      log.warn({ pending }, 'MIGRATE_ON_START=false and migrations are pending: not ready until `npm run cli -- migrate` has applied them');
      told = true;
    }
    await sleep(pollMs);
  }
}
