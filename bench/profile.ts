/**
 * `node --cpu-prof dist/bench/profile.js [size] [requests]`: an in-process gateway, the bench world, and the
 * dashboard query sent sequentially, for CPU profiles of the request path. Not part of `npm run bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { startGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { gqlAt, tokenAt } from './process';
import { DASHBOARD_ROLES, seedWorld } from './world';

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 10_000);
  const requests = Number(process.argv[3] ?? 2000);
  const query =
    process.argv[4] ??
    `{ connections(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags { key value automatic } } } }`;
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-prof-'));
  const embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  const config = {
    ...loadConfig({ NODE_ENV: 'production', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' }),
    databaseUrl: embedded.url,
    port: 0,
    probeTimeoutMs: 0,
    adminPassword: 'profile-admin',
  };
  const gateway = await startGateway(config, createLogger(config));
  const db = new Client({ connectionString: embedded.url });
  await db.connect();
  await seedWorld(db, size);
  await db.end();
  const admin = await tokenAt(gateway.url, 'datasentinel', 'profile-admin');
  await gqlAt(
    gateway.url,
    `mutation($r: [String!]!) { createUser(email: "p@x.io", input: { password: "profile-user", roles: $r }) { login } }`,
    { r: DASHBOARD_ROLES },
    admin,
  );
  const token = process.env.AS_ADMIN ? admin : await tokenAt(gateway.url, 'p', 'profile-user');
  const first = await gqlAt(gateway.url, query, {}, token);
  if (first.errors) throw new Error(JSON.stringify(first.errors));
  const started = process.hrtime.bigint();
  for (let i = 0; i < requests; i += 1) await gqlAt(gateway.url, query, {}, token);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${requests} requests, ${(ms / requests).toFixed(2)} ms each\n`);
  await gateway.stop();
  await embedded.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
