/**
 * `npm run bench:ab -- [--a <checkout>] [--b <checkout>] [--a-env K=V,…] [--b-env K=V,…] [--screen dashboard]
 *                      [--size 10000] [--rounds 8] [--duration 5] [--connections 8]`
 *
 * Two gateway builds (or one build under two environments) on the same seeded world, under the same load, in
 * alternating rounds (A B, B A, A B, …), with each side's CPU per request read from `/proc`: the gateway process's,
 * and PostgreSQL's (every process named `postgres` on the machine). A checkout is a directory with a built
 * `dist/src/main.js` (`git worktree add /tmp/a <commit> && cd /tmp/a && npm ci && npm run build`); both default to
 * this one, so `--b-env GRAPHQL_KNOWN_QUERIES=false` compares a flag within one build.
 *
 * Why: on a shared two-core machine, the speed of a whole `npm run bench` drifts by a third between runs and within
 * one, so a change of a few percent is invisible in it. Alternating rounds compare like with like, and CPU per request
 * is what a change to the gateway moves (its throughput then follows, bounded by the rest of the machine). The
 * verdict to quote is the count of pairs in which B was cheaper, beside the medians (BENCHMARKS.md).
 *
 * Uses DATABASE_URL when set (a database `ds_bench_ab` is created and dropped), else an embedded PostgreSQL.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded-postgres';
import { loadInOwnProcess, type LoadResult } from './load-process';
import { cpuMs, dataOf, gqlAt, spawnGateway, tokenAt, type GatewayChild } from './process';
import { DASHBOARD_ROLES, FIXED_ROLES, seedWorld } from './world';

const SCREENS: Record<string, { query: string; caller: 'user' | 'fixed' | 'admin' }> = {
  dashboard: {
    query: `query Dashboard { connections(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags { key value automatic } } } }`,
    caller: 'user',
  },
  dashboardFixed: {
    query: `query Dashboard { connections(first: 50) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags { key value automatic } } } }`,
    caller: 'fixed',
  },
  admin: { query: `query AdminRoles { roles { name connectionCount users { login } } }`, caller: 'admin' },
  tagsUserKeys: { query: `query TagMenu { tags(automatic: false) { key valueCount values(first: 20) { value count } } }`, caller: 'user' },
};
const ADMIN_PASSWORD = 'bench-admin-password';
const USER_PASSWORD = 'bench-user-password';
const DATABASE = 'ds_bench_ab';

interface Side {
  name: 'A' | 'B';
  root: string;
  env: Record<string, string>;
}

interface Options {
  sides: [Side, Side];
  screen: string;
  size: number;
  rounds: number;
  duration: number;
  connections: number;
}

function parseArgs(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const here = resolve(__dirname, '../..');
  const env = (text: string | undefined) =>
    Object.fromEntries(
      (text ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          if (at <= 0) throw new Error(`bench:ab: expected KEY=VALUE, got "${pair}"`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
    );
  const screen = value('--screen') ?? 'dashboard';
  if (!SCREENS[screen]) throw new Error(`bench:ab: --screen is one of ${Object.keys(SCREENS).join(', ')}`);
  const number = (flag: string, fallback: number) => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bench:ab: ${flag} must be a positive integer`);
    return n;
  };
  return {
    sides: [
      { name: 'A', root: resolve(value('--a') ?? here), env: env(value('--a-env')) },
      { name: 'B', root: resolve(value('--b') ?? here), env: env(value('--b-env')) },
    ],
    screen,
    size: number('--size', 10_000),
    rounds: number('--rounds', 8),
    duration: number('--duration', 5),
    connections: number('--connections', 8),
  };
}

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

interface Round extends LoadResult {
  side: 'A' | 'B';
  requests: number;
  gatewayMsPerRequest: number;
  postgresMsPerRequest: number;
}

async function measure(side: Side, gateway: GatewayChild, token: string, options: Options): Promise<Round> {
  const body = JSON.stringify({ query: SCREENS[options.screen]!.query, variables: {} });
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

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function report(rounds: Round[], options: Options): string {
  const lines = [
    '| round | side | req/s | p50 ms | p99 ms | gateway CPU ms/request | PostgreSQL CPU ms/request | errors |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  rounds.forEach((r, i) =>
    lines.push(
      `| ${Math.floor(i / 2) + 1} | ${r.side} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.gatewayMsPerRequest.toFixed(3)} | ${r.postgresMsPerRequest.toFixed(3)} | ${r.errors} |`,
    ),
  );
  const of = (side: 'A' | 'B') => rounds.filter((r) => r.side === side);
  const [a, b] = [of('A'), of('B')];
  const pairs = a.map((ra, i) => [ra, b[i]!] as const);
  const cheaper = pairs.filter(([ra, rb]) => rb.gatewayMsPerRequest < ra.gatewayMsPerRequest).length;
  const faster = pairs.filter(([ra, rb]) => rb.rps > ra.rps).length;
  const m = (side: Round[], key: 'rps' | 'p50' | 'gatewayMsPerRequest' | 'postgresMsPerRequest') => median(side.map((r) => r[key]));
  const describe = (side: Side) =>
    `${side.root}${
      Object.keys(side.env).length
        ? ` with ${Object.entries(side.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : ''
    }`;
  return [
    `A: ${describe(options.sides[0])}`,
    `B: ${describe(options.sides[1])}`,
    `screen ${options.screen}, ${options.size.toLocaleString('en')} connections, ${options.rounds} rounds of ${options.duration} s per side, concurrency ${options.connections}, Node ${process.version}`,
    '',
    ...lines,
    '',
    '| median | req/s | p50 ms | gateway CPU ms/request | PostgreSQL CPU ms/request |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...(['A', 'B'] as const).map((name) => {
      const side = of(name);
      return `| ${name} | ${m(side, 'rps').toFixed(0)} | ${m(side, 'p50').toFixed(2)} | ${m(side, 'gatewayMsPerRequest').toFixed(3)} | ${m(side, 'postgresMsPerRequest').toFixed(3)} |`;
    }),
    '',
    `B used less gateway CPU per request in ${cheaper} of ${pairs.length} pairs, and answered more requests in ${faster} of ${pairs.length}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let embedded: EmbeddedDatabase | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-bench-ab-'));
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    embedded = await startEmbeddedPostgres({ dataDir, ephemeral: true, database: 'postgres' });
    serverUrl = embedded.url;
  }
  const urlOf = (database: string) => Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString();
  const gateways: GatewayChild[] = [];
  try {
    const admin = new Client({ connectionString: urlOf('postgres') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.end();
    const databaseUrl = urlOf(DATABASE);
    const env = { DATABASE_URL: databaseUrl, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '10' };
    // A gateway of A's build migrates the database and is stopped once the world is seeded: the two measured
    // gateways then start alike, on the same seeded database (B's migrations, if it has more, run on top). When the
    // first of them had migrated and watched the seed, PostgreSQL spent about 12% more CPU per request on it than on
    // the other, whichever build it ran: a bias in favour of B that made two swapped runs both favour B.
    const migrator = await spawnGateway({ ...env, ...options.sides[0].env }, options.sides[0].root);
    try {
      process.stderr.write(`bench:ab: seeding ${options.size.toLocaleString('en')} connections…\n`);
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      await seedWorld(db, options.size);
      await db.end();
    } finally {
      await migrator.stop();
    }
    for (const side of options.sides) gateways.push(await spawnGateway({ ...env, ...side.env }, side.root));

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
    const caller = SCREENS[options.screen]!.caller;
    const [login, password] = caller === 'admin' ? ['datasentinel', ADMIN_PASSWORD] : [caller === 'user' ? 'bench.user' : 'bench.core', USER_PASSWORD];
    const tokens = await Promise.all(gateways.map((g) => tokenAt(g.url, login, password)));
    for (const [i, gateway] of gateways.entries()) {
      const answer = await gqlAt(gateway.url, SCREENS[options.screen]!.query, {}, tokens[i]);
      if (answer.errors) throw new Error(`${options.sides[i]!.name}: ${JSON.stringify(answer.errors)}`);
      // Warm-up, not measured: V8 and graphql-jit compile on first use, the caches fill.
      await loadInOwnProcess({
        kind: 'http',
        url: gateway.url,
        token: tokens[i]!,
        body: JSON.stringify({ query: SCREENS[options.screen]!.query }),
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
    process.stdout.write(`${report(rounds, options)}\n`);
  } finally {
    await Promise.all(gateways.map((g) => g.stop()));
    if (embedded) await embedded.stop();
    else {
      const admin = new Client({ connectionString: urlOf('postgres') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
      await admin.end();
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
