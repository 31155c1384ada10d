/**
 * Two gateway processes on one database: a change made through one replica is seen by the other on its very next
 * request, although each caches resolved callers (invalidation by PostgreSQL LISTEN/NOTIFY). The scenarios live in
 * test/support/replica-scenarios.ts; test/e2e/pooler.test.ts runs them again through PgBouncer.
 */
import { replicaScenarios } from '../support/replica-scenarios';

replicaScenarios(async (db) => ({ a: { DATABASE_URL: db.url }, b: { DATABASE_URL: db.url } }));
