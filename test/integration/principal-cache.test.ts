/** The principal cache really caches, and forgets on every kind of access change (in-process, two replicas). */
import { startGateway, type RunningGateway } from '../../src/gateway';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ChangeFeed } from '../../src/db/change-feed';
import { PrincipalCache } from '../../src/services/principal-cache';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { gqlAt } from '../support/processes';

let db: TestDatabase;
let a: RunningGateway;
let b: RunningGateway;
let admin: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config: Config = {
    ...loadConfig({ NODE_ENV: 'test' }),
    databaseUrl: db.url,
    port: 0,
    adminPassword: 'cache-test-admin',
    probeTimeoutMs: 0,
    principalCacheTtlMs: 600_000,
  };
  a = await startGateway(config, createLogger(config));
  b = await startGateway(config, createLogger(config));
  admin = (await gqlAt(a.url, `mutation { createToken(login: "datasentinel", password: "cache-test-admin") { token } }`)).data.createToken.token;
  await gqlAt(a.url, `mutation { createRole(name: "r", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin);
  await gqlAt(a.url, `mutation { createUser(email: "eve@corp.test", input: { password: "eve-password-1", roles: ["r"] }) { login } }`, {}, admin);
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await db?.drop();
});

test('repeated requests hit the cache, a role change on A invalidates B by NOTIFY', async () => {
  const eve = (await gqlAt(b.url, `mutation { createToken(login: "eve", password: "eve-password-1") { token } }`)).data.createToken.token;
  const cache = b.services.principalCache;
  expect(cache.active).toBe(true);
  const before = { ...cache.stats };
  for (let i = 0; i < 5; i += 1) await gqlAt(b.url, `{ me { login } }`, {}, eve);
  expect(cache.stats.misses - before.misses).toBe(1);
  expect(cache.stats.hits - before.hits).toBe(4);

  const invalidations = cache.stats.invalidations;
  await gqlAt(a.url, `mutation { updateRole(name: "r", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, {}, admin);
  // B learns about it from PostgreSQL, not from A.
  await waitFor(() => cache.stats.invalidations > invalidations);
  const misses = cache.stats.misses;
  await gqlAt(b.url, `{ me { login } }`, {}, eve);
  expect(cache.stats.misses).toBe(misses + 1);
});

test('with the LISTEN connection gone, the cache is bypassed until it is back', async () => {
  const cache = b.services.principalCache;
  await b.dataSource.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ds-access-gateway listener' AND datname = current_database()`,
  );
  await waitFor(() => !cache.active);
  const misses = cache.stats.misses;
  const eve = (await gqlAt(b.url, `mutation { createToken(login: "eve", password: "eve-password-1") { token } }`)).data.createToken.token;
  await gqlAt(b.url, `{ me { login } }`, {}, eve);
  await gqlAt(b.url, `{ me { login } }`, {}, eve);
  expect(cache.stats.misses - misses).toBeGreaterThanOrEqual(1);
  await waitFor(() => cache.active, 10_000);
});

test('the change barrier keeps running after concurrent bursts: every catch-up after one is a real round trip', async () => {
  // The barrier belongs to the change feed; the principal cache subscribes to it as in the gateway.
  const feed = new ChangeFeed(db.url, true);
  const cache = new PrincipalCache(feed, 600_000);
  await feed.start();
  try {
    expect(cache.active).toBe(true);
    for (let round = 0; round < 5; round += 1) {
      // A burst: one barrier in flight, the rest share one queued behind it.
      const burst = await Promise.all(Array.from({ length: 8 }, () => feed.catchUp(feed.mark())));
      expect(burst).toEqual(Array(8).fill(true));
      // After the burst, a request arriving later needs its own barrier, which must really reach PostgreSQL.
      const before = feed.stats.barriers;
      expect(await feed.catchUp(feed.mark())).toBe(true);
      expect(feed.stats.barriers).toBe(before + 1);
      // And a notification committed before that catch-up has been processed when it returns.
      const invalidations = cache.stats.invalidations;
      await a.dataSource.query(`SELECT pg_notify('ds_access_changed', 'all')`);
      expect(await feed.catchUp(feed.mark())).toBe(true);
      expect(cache.stats.invalidations).toBe(invalidations + 1);
    }
  } finally {
    await feed.stop();
  }
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
