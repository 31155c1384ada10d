/**
 * `npm run bench:subscriptions [-- --subscribers 1000 --changes 100 --connections 10000]`
 *
 * Fan-out of live events (issue 17): `--subscribers` graphql-ws sockets of the dashboard user (the roles of
 * bench/world.ts, so they share one visible set), then an administrator changes `--changes` connections they can see,
 * one after the other, as fast as the gateway answers. Reported: events delivered per second over all sockets, and
 * the delay from a change's request to its event on each socket (p50, p99). Every event must arrive, exactly once per
 * socket and change; a lost or duplicated event fails the run. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import { createClient, type Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import WebSocket from 'ws';
import { dataOf, gqlAt, spawnGateway, tokenAt } from './process';
import { startBenchServer } from './server';
import { DASHBOARD_ROLES, seedWorld } from './world';

const ADMIN_PASSWORD = 'bench-admin-password';
const USER_PASSWORD = 'bench-user-password';
const DATABASE = 'ds_bench_live';

function option(argv: string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer`);
  return value;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

interface Socket {
  client: WsClient;
  /** Arrival time of each CHANGED event, by connection name. */
  arrivals: Map<string, number[]>;
}

function openSocket(url: string, token: string): Socket {
  const arrivals = new Map<string, number[]>();
  const client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  client.subscribe<{ connectionEvents: { kind: string; name: string } }>(
    { query: 'subscription { connectionEvents { kind name } }' },
    {
      next: ({ data }) => {
        if (data?.connectionEvents.kind !== 'CHANGED') return;
        const name = data.connectionEvents.name;
        arrivals.set(name, [...(arrivals.get(name) ?? []), performance.now()]);
      },
      error: (error) => process.stderr.write(`subscription error: ${JSON.stringify(error)}\n`),
      complete: () => undefined,
    },
  );
  return { client, arrivals };
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const subscribers = option(argv, '--subscribers', 1000);
  const changes = option(argv, '--changes', 100);
  const size = option(argv, '--connections', 10_000);

  const server = await startBenchServer('ds-bench-live-');
  const databaseUrl = await server.freshDatabase(DATABASE);
  const gateway = await spawnGateway({
    DATABASE_URL: databaseUrl,
    ADMIN_PASSWORD,
    PROBE_TIMEOUT_MS: '0',
    LOG_LEVEL: 'info', // spawnGateway waits for the "ready at" line
    SUBSCRIPTIONS_PER_USER: String(Math.min(subscribers, 10_000)),
  });
  const sockets: Socket[] = [];
  try {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    await seedWorld(db, size);
    await db.end();
    const adminToken = await tokenAt(gateway.url, 'datasentinel', ADMIN_PASSWORD);
    dataOf(
      await gqlAt(
        gateway.url,
        `mutation($roles: [String!]!) { createUser(email: "live.user@corp.example", input: { password: "${USER_PASSWORD}", privilege: READ, roles: $roles }) { login } }`,
        { roles: DASHBOARD_ROLES },
        adminToken,
      ),
    );
    const userToken = await tokenAt(gateway.url, 'live.user', USER_PASSWORD);
    const visible = dataOf(
      await gqlAt<{ connections: { nodes: { name: string; tags: { key: string; value: string; automatic: boolean }[] }[] } }>(
        gateway.url,
        `query($first: Int) { connections(first: $first) { nodes { name tags { key value automatic } } } }`,
        { first: changes + 1 },
        userToken,
      ),
    ).connections.nodes;
    if (visible.length < changes + 1) throw new Error(`the user sees only ${visible.length} connections`);
    // A change of user tags that keeps the match (one more key): CHANGED for every subscriber, and no probe.
    const update = (connection: (typeof visible)[number], mark: number) =>
      gqlAt(
        gateway.url,
        `mutation($name: String!, $tags: [TagInput!]!) { updateConnection(name: $name, input: { tags: $tags }) { name } }`,
        {
          name: connection.name,
          tags: [
            ...connection.tags.filter((t) => !t.automatic && t.key !== 'bench').map(({ key, value }) => ({ key, value })),
            { key: 'bench', value: String(mark) },
          ],
        },
        adminToken,
      ).then(dataOf);

    process.stderr.write(`bench: ${subscribers} subscribers on ${size.toLocaleString('en')} connections…\n`);
    for (let i = 0; i < subscribers; i += 1) sockets.push(openSocket(gateway.url, userToken));
    // The protocol does not confirm a subscription: a canary change tells when every socket is listening.
    const canary = visible[changes]!;
    for (let mark = 1; ; mark += 1) {
      await update(canary, mark);
      try {
        await until(() => sockets.every((s) => s.arrivals.has(canary.name)), 2000, 'the canary');
        break;
      } catch {
        if (mark > 30) throw new Error('some sockets never received the canary event');
      }
    }

    // Sent time of each change: its NOTIFY fires at commit, so an event may arrive before the mutation's answer.
    const answered = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < changes; i += 1) {
      const target = visible[i]!;
      answered.set(target.name, performance.now());
      await update(target, i);
    }
    const expected = subscribers * changes;
    const received = () => sockets.reduce((n, s) => n + [...answered.keys()].reduce((m, name) => m + (s.arrivals.get(name)?.length ?? 0), 0), 0);
    await until(() => received() >= expected, 120_000, `${expected} events`);
    const elapsedS = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500)); // late duplicates would show here
    if (received() !== expected) throw new Error(`expected ${expected} events, received ${received()}`);

    const delays = sockets.flatMap((s) => [...answered].map(([name, at]) => s.arrivals.get(name)![0]! - at)).sort((a, b) => a - b);
    process.stdout.write(
      [
        '| connections | subscribers | changes | events delivered | events/s | delay p50 ms | delay p99 ms |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        `| ${size.toLocaleString('en')} | ${subscribers} | ${changes} | ${expected} | ${Math.round(expected / elapsedS)} | ${percentile(delays, 50).toFixed(1)} | ${percentile(delays, 99).toFixed(1)} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all(sockets.map((s) => s.client.dispose()));
    await gateway.stop();
    await server.asAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
