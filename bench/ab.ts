/**
 * `npm run bench:ab -- [--a <checkout>] [--b <checkout>] [--a-env K=V,…] [--b-env K=V,…] [--a-node <node>]
 *                      [--b-node <node>] [--screen dashboard] [--size 10000] [--rounds 8] [--duration 5] [--connections 8]`
 * (screens: `SCREENS` in bench/ab-report.ts: dashboard, dashboardFixed, admin, tagsUserKeys, preview, roleImpact)
 *
 * Two gateway builds (or one build under two environments) on the same seeded world, under the same load, in
 * alternating rounds (A B, B A, A B, …), with each side's CPU per request read from `/proc`: the gateway process's,
 * and PostgreSQL's (every process named `postgres` on the machine). A checkout is a directory with a built
 * `dist/src/main.js` (`git worktree add /tmp/a <commit> && cd /tmp/a && npm ci && npm run build`); both default to
 * this one, so `--b-env GRAPHQL_KNOWN_QUERIES=false` compares a flag within one build, and `--b-node <path>` one build
 * on two Node.js binaries (the load generators run on the bench's own).
 *
 * Why: on a shared two-core machine, the speed of a whole `npm run bench` drifts by a third between runs and within
 * one, so a change of a few percent is invisible in it. Alternating rounds compare like with like, and CPU per request
 * is what a change to the gateway moves (its throughput then follows, bounded by the rest of the machine). The
 * verdict to quote is the count of pairs in which B was cheaper, beside the medians (BENCHMARKS.md).
 *
 * Uses DATABASE_URL when set (a database `ds_bench_ab` is created and dropped), else an embedded PostgreSQL.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { loadInOwnProcess } from './load-process';
import { abReport, parseAbArgs, SCREENS, type AbOptions, type Round, type Side } from './ab-report';
import { startBenchServer } from './server';
import { cpuMs, dataOf, gqlAt, spawnGateway, tokenAt, type GatewayChild } from './process';
import { DASHBOARD_ROLES, FIXED_ROLES, seedWorld } from './world';

const ADMIN_PASSWORD = 'bench-admin-password';
const USER_PASSWORD = 'bench-user-password';
const DATABASE = 'ds_bench_ab';

/** CPU used so far by every PostgreSQL process on the machine (the backends come and go with the pool). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres') total += cpuMs(Number(entry));
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

async function measure(side: Side, gateway: GatewayChild, token: string, options: AbOptions): Promise<Round> {
  const screen = SCREENS[options.screen]!;
  const body = JSON.stringify({ query: screen.query, variables: screen.variables ?? {} });
  const gatewayBefore = cpuMs(gateway.pid);
  const postgresBefore = postgresCpuMs();
  const result = await loadInOwnProcess({ kind: 'http', url: gateway.url, token, body, connections: options.connections, duration: options.duration });
  const requests = result.rps * options.duration;
  return {
    ...result,
    side: side.name,
    requests,
    gatewayMsPerRequest: (cpuMs(gateway.pid) - gatewayBefore) / requests,
    postgresMsPerRequest: (postgresCpuMs() - postgresBefore) / requests,
  };
}

async function main(): Promise<void> {
  const options = parseAbArgs(process.argv.slice(2), resolve(__dirname, '../..'));
  const server = await startBenchServer('ds-bench-ab-');
  const gateways: GatewayChild[] = [];
  try {
    const databaseUrl = await server.freshDatabase(DATABASE);
    const env = { DATABASE_URL: databaseUrl, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '10' };
    // A gateway of A's build migrates the database and is stopped once the world is seeded: the two measured
    // gateways then start alike, on the same seeded database (B's migrations, if it has more, run on top). When the
    // first of them had migrated and watched the seed, PostgreSQL spent about 12% more CPU per request on it than on
    // the other, whichever build it ran: a bias in favour of B that made two swapped runs both favour B.
    const migrator = await spawnGateway({ ...env, ...options.sides[0].env }, options.sides[0].root, options.sides[0].node);
    try {
      process.stderr.write(`bench:ab: seeding ${options.size.toLocaleString('en')} connections…\n`);
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      await seedWorld(db, options.size);
      await db.end();
    } finally {
      await migrator.stop();
    }
    for (const side of options.sides) gateways.push(await spawnGateway({ ...env, ...side.env }, side.root, side.node));

    const first = gateways[0]!.url;
    const adminToken = await tokenAt(first, 'datasentinel', ADMIN_PASSWORD);
    for (const [email, roles] of [
      ['bench.user@corp.example', DASHBOARD_ROLES],
      ['bench.core@corp.example', FIXED_ROLES],
    ] as const) {
      dataOf(
        await gqlAt(
          first,
          `mutation($roles: [String!]!) { createUser(email: "${email}", input: { password: "${USER_PASSWORD}", privilege: READ, roles: $roles }) { login } }`,
          { roles },
          adminToken,
        ),
      );
    }
    const screen = SCREENS[options.screen]!;
    const caller = screen.caller;
    const [login, password] = caller === 'admin' ? ['datasentinel', ADMIN_PASSWORD] : [caller === 'user' ? 'bench.user' : 'bench.core', USER_PASSWORD];
    const tokens = await Promise.all(gateways.map((g) => tokenAt(g.url, login, password)));
    for (const [i, gateway] of gateways.entries()) {
      const answer = await gqlAt(gateway.url, screen.query, screen.variables ?? {}, tokens[i]);
      if (answer.errors) throw new Error(`${options.sides[i]!.name}: ${JSON.stringify(answer.errors)}`);
      // Warm-up, not measured: V8 and graphql-jit compile on first use, the caches fill.
      await loadInOwnProcess({
        kind: 'http',
        url: gateway.url,
        token: tokens[i]!,
        body: JSON.stringify({ query: screen.query, variables: screen.variables ?? {} }),
        connections: options.connections,
        duration: 3,
      });
    }
    const rounds: Round[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      // A B, then B A: neither side always runs first after the other's load.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      const pair: Round[] = [];
      for (const i of order) {
        pair[i] = await measure(options.sides[i]!, gateways[i]!, tokens[i]!, options);
        process.stderr.write(
          `bench:ab: round ${round + 1} ${options.sides[i]!.name}: ${pair[i]!.rps.toFixed(0)} req/s, gateway ${pair[i]!.gatewayMsPerRequest.toFixed(3)} ms/request\n`,
        );
      }
      rounds.push(pair[0]!, pair[1]!);
    }
    process.stdout.write(`${abReport(rounds, options)}\n`);
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    // Leave an external server as it was found.
    if (!server.embedded) await server.asAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
