/**
 * `npm run bench [-- --sizes 1000,10000,100000] [--million] [--duration 5] [--connections 8]`
 *
 * For each fleet size: a fresh database, the world of bench/world.ts seeded in bulk SQL, the built gateway started as
 * its own process (`dist/src/main.js`), then, at a fixed concurrency, over HTTP with autocannon (each load in a new
 * process of its own, bench/load-process.ts):
 *   dashboard  a restricted user's connections(first: 50) with tags and totalCount (they see ~11% of the fleet)
 *   dashboardFixed  the same query for a user who sees 50 connections at every fleet size
 *   admin      roles { name connectionCount users { login } } over all 302 roles (run last: it has the largest answers)
 *   tags       the tag summary for the restricted user
 *   tagsUserKeys  the same for user keys only, 20 values per key (what a filter menu asks; its size does not grow with the fleet)
 *   preview    previewAccess of a three-group rule
 *   explainAccess  why the dashboard user sees one connection (administrator; matches and misses of their 3 roles)
 *   roleImpact     roleChangeImpact of `app-7` to the three-group preview rule: counts, first pages, affected users
 *   audience   one connection's roles and the first page of the users who see it (of 3000)
 *   dashboardUncached  the dashboard on a gateway without per-replica caches (PRINCIPAL_CACHE_TTL_MS=0)
 *   dashboardTwoReplicas  the dashboard again, same total concurrency split over two gateway processes (one size)
 *   raw SQL    the very statements the gateway sends for the dashboard query (captured from a gateway instance),
 *              replayed through `pg` at the same concurrency: the floor the gateway is compared with. The dashboard
 *              and the floor alternate over 5 rounds; each figure is the median of its rounds.
 *   bareNode   the same statements behind a bare Node.js HTTP server that writes the gateway's answer byte for byte
 *              and does nothing else (bench/bare-server.ts): how far from the floor any Node.js server on this machine
 *              is. Checked equal to the gateway's answer first; in the same alternating rounds.
 *   peer       the same dashboard served by PostGraphile v5 with row-level security on the same database (bench/peer/:
 *              its own package.json, installed on demand with `npm ci --prefix bench/peer`; the policy in
 *              bench/peer/rls.sql). Before measuring, the peer must give the gateway's answer (totalCount, hasNextPage,
 *              first 50 names) for both dashboard users. It alternates with the dashboard in the same rounds, each
 *              round of it long enough for about 8 requests per client (more than --duration when it is slow); its
 *              peak RSS is the peer process's.
 * Latencies are each response's exact duration (autocannon's own percentiles are whole milliseconds). Every screen
 * gets SCENARIO_WARM_UP_SECONDS of the same load, not measured, before it is timed. Peak RSS is the gateway
 * process's VmHWM. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 *
 * `--scenarios dashboard,rawSql` runs only those (for quick before/after checks; `--import 0` skips the import
 * ratio). Such partial runs are written to `bench/results/partial.*`, never over `latest.*`.
 * `--world diverse` seeds the fleet of bench/world.ts with one more tag that gives every connection a tag signature of
 * its own; its runs are written to `bench/results/diverse.*` and `explain-diverse-<size>.txt`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../src/config';
import { startGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { drawChart } from './chart';
import { targetsTable } from './targets';
import { ADMIN, DASHBOARD, DASHBOARD_FIRST, PREVIEW, ROLE_IMPACT, TAGS, TAGS_USER_KEYS } from './screens';
import { DASHBOARD_ROLES, FIXED_ROLES, PREVIEW_ACCESS, seedWorld, WORLDS, type World } from './world';
import { applyPeerPolicy, ensurePeerInstalled, explainPeer, PEER_DASHBOARD, spawnPeer, type PeerChild } from './peer-process';
import { cpuMs, spawnGateway, spawnServer, gqlAt, dataOf, tokenAt, type GatewayChild } from './process';
import type { BareSpec } from './bare-server';
import { loadInOwnProcess } from './load-process';
import { startBenchServer, type BenchServer } from './server';

interface Options {
  sizes: number[];
  duration: number;
  connections: number;
  importCount: number;
  /** The fleet size at which the dashboard is also measured on two replicas. */
  replicaSize: number;
  /** Scenarios to run; all of {@link SCENARIOS} by default. */
  scenarios: Set<string>;
  /** The fleet seeded (bench/world.ts). */
  world: World;
}

/** Alternating rounds of the dashboard and its raw SQL floor. */
const ROUNDS = 5;
const SCENARIOS = [
  'dashboard',
  'dashboardFixed',
  'tags',
  'tagsUserKeys',
  'preview',
  'explainAccess',
  'roleImpact',
  'audience',
  'admin',
  'dashboardUncached',
  'dashboardTwoReplicas',
  'rawSql',
  'bareNode',
  'peer',
];

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** The gateway process's peak RSS once this scenario has run (scenarios run in table order). */
  peakRssMb?: number;
}

interface SizeResult {
  size: number;
  visible: number;
  seedSeconds: number;
  scenarios: Record<string, Measure>;
  peakRssMb: number;
}

/** Seconds of load on each screen before it is measured (see `measure` in runSize). */
const SCENARIO_WARM_UP_SECONDS = 2;
const ADMIN_PASSWORD = 'bench-admin-password';
const USER_PASSWORD = 'bench-user-password';

const EXPLAIN = `query Explain($login: String!, $connection: String!) {
  explainAccess(login: $login, connection: $connection) { visible reason matches { role group filters { tag value } } misses { role group filter { tag value } actual } }
}`;
const AUDIENCE = `query Audience($connection: String!) { connection(name: $connection) { name roles { name } visibleTo(first: 50) { totalCount nodes { login } } } }`;
/** A connection of every fleet size that the dashboard user sees (application app-7). */
const EXPLAINED = { login: 'bench.user', connection: 'pg-0000007' };

function parseArgs(argv: string[]): Options {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (get('--sizes') ?? '1000,10000,100000').split(',').map(Number);
  if (argv.includes('--million')) sizes.push(1_000_000);
  const scenarios = (get('--scenarios') ?? SCENARIOS.join(',')).split(',');
  const unknown = scenarios.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  const world = (get('--world') ?? 'standard') as World;
  if (!WORLDS.includes(world)) throw new Error(`unknown world ${world}; known: ${WORLDS.join(', ')}`);
  return {
    world,
    sizes,
    duration: Number(get('--duration') ?? 5),
    connections: Number(get('--connections') ?? 8),
    importCount: Number(get('--import') ?? 1000),
    replicaSize: Number(get('--replicas-at') ?? 10_000),
    scenarios: new Set(scenarios),
  };
}

function load(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  options: Options,
  duration = options.duration,
  /** Run until this many responses have come, however long it takes (instead of for `duration` seconds). */
  amount?: number,
): Promise<Measure> {
  return loadInOwnProcess({ kind: 'http', url, token, body: JSON.stringify({ query, variables }), connections: options.connections, duration, amount });
}

/** The median of each figure over alternating rounds. */
function medianMeasure(rounds: Measure[]): Measure {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
  };
}

interface Captured {
  sql: string;
  params: unknown[];
}

/**
 * The statements one request sends once the caller is cached (the second of two identical requests), with their
 * parameters. `cachesOff`: on a gateway without per-replica caches (PRINCIPAL_CACHE_TTL_MS=0), where totals and
 * summaries are computed in SQL every time.
 */
async function captureStatements(
  databaseUrl: string,
  caller: { login: string; password: string },
  query: string,
  variables: Record<string, unknown> = {},
  cachesOff = false,
): Promise<Captured[]> {
  const config = {
    ...loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }),
    databaseUrl,
    port: 0,
    probeTimeoutMs: 0,
    ...(cachesOff ? { principalCacheTtlMs: 0 } : {}),
  };
  let capturing = false;
  const captured: Captured[] = [];
  const gateway = await startGateway(config, createLogger(config), {
    onQuery: (sql, params) => {
      if (capturing) captured.push({ sql, params: params ?? [] });
    },
  });
  try {
    const token = await tokenAt(gateway.url, caller.login, caller.password);
    await gqlAt(gateway.url, query, variables, token); // warms the caller cache
    capturing = true;
    await gqlAt(gateway.url, query, variables, token);
    capturing = false;
    // A cached caller costs one barrier query on the listener connection (outside TypeORM, so not captured).
    if (gateway.services.principalCache.active) captured.unshift({ sql: 'SELECT 1', params: [] });
    return captured;
  } finally {
    await gateway.stop();
  }
}

/** The statements one dashboard request sends once the caller is cached, with their parameters. */
function captureDashboardStatements(databaseUrl: string): Promise<Captured[]> {
  return captureStatements(databaseUrl, { login: 'bench.user', password: USER_PASSWORD }, DASHBOARD);
}

/**
 * The statements behind the other screens, for EXPLAIN: a preview's page and count, a role change's impact, the full
 * tag summary and the uncached dashboard (caches off, so the summary and the total are computed in SQL), and the
 * overview.
 */
async function captureScreenStatements(databaseUrl: string): Promise<{ title: string; statements: Captured[] }[]> {
  const user = { login: 'bench.user', password: USER_PASSWORD };
  const admin = { login: 'datasentinel', password: ADMIN_PASSWORD };
  return [
    { title: 'previewAccess of the three-group rule', statements: await captureStatements(databaseUrl, admin, PREVIEW, { access: PREVIEW_ACCESS }) },
    {
      title: 'roleChangeImpact of app-7 to the three-group rule',
      statements: await captureStatements(databaseUrl, admin, ROLE_IMPACT, { access: PREVIEW_ACCESS }),
    },
    { title: 'full tag summary of the dashboard user (caches off)', statements: await captureStatements(databaseUrl, user, TAGS, {}, true) },
    { title: 'dashboard without caches (PRINCIPAL_CACHE_TTL_MS=0)', statements: await captureStatements(databaseUrl, user, DASHBOARD, {}, true) },
    { title: "administrators' overview (caches off)", statements: await captureStatements(databaseUrl, admin, ADMIN, {}, true) },
  ];
}

/** The raw SQL floor: the captured statements replayed as the gateway sends them (bench/load-process.ts). */
function rawFloor(databaseUrl: string, statements: Captured[], options: Options): Promise<Measure> {
  return loadInOwnProcess({ kind: 'sql', databaseUrl, statements, connections: options.connections, duration: options.duration });
}

/**
 * Waits until no other session runs a statement in the bench database (at most 60 s): what a scenario left running
 * when its load generator stopped must not be measured as part of the next one.
 */
async function untilDatabaseIdle(databaseUrl: string): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ busy: number }>(
        `SELECT count(*)::int AS busy FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      if (rows[0]!.busy === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.stderr.write('bench: the database was still busy after 60 s; measuring anyway\n');
  } finally {
    await db.end();
  }
}

/**
 * Waits until each of these processes has been nearly idle (at most one 10 ms clock tick per 100 ms) for 200 ms, at most 20 s: a server
 * still finishing the requests cut off at the end of its round, or collecting their garbage, must not share the two
 * cores with the next measurement (the peer's heap at a million connections takes seconds to settle).
 */
async function untilProcessesIdle(pids: number[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  let quiet = 0;
  let last = pids.map(cpuMs);
  while (Date.now() < deadline && quiet < 2) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = pids.map(cpuMs);
    quiet = now.every((used, i) => used - last[i]! <= 10) ? quiet + 1 : 0;
    last = now;
  }
}

/** EXPLAIN ANALYZE of the dashboard's statements and the other screens', kept next to the results to show index use. */
async function explain(databaseUrl: string, name: string, statements: Captured[], peerUserId?: number): Promise<void> {
  const sections = [{ title: 'dashboard (cached caller)', statements }, ...(await captureScreenStatements(databaseUrl))];
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const parts: string[] = [];
  for (const section of sections) {
    parts.push(`-- ==== ${section.title} ====`);
    for (const { sql, params } of section.statements) {
      if (sql === 'SELECT 1' || /^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)/i.test(sql)) continue;
      const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
      parts.push(
        `-- ${sql.replace(/\s+/g, ' ').slice(0, 300)}…\n-- parameters: ${JSON.stringify(params).slice(0, 300)}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`,
      );
    }
  }
  if (peerUserId !== undefined) parts.push(`-- ==== peer (PostGraphile with row-level security) ====`, await explainPeer(db, peerUserId));
  await db.end();
  mkdirSync(join(__dirname, '../../bench/results'), { recursive: true });
  writeFileSync(join(__dirname, `../../bench/results/explain-${name}.txt`), `${parts.join('\n\n')}\n`);
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

interface DashboardPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean };
  nodes: { name: string }[];
}

/**
 * The peer must answer each dashboard user as the gateway does (same count, same next-page flag, same first 50
 * names) before it is measured: a faster wrong answer compares nothing. Returns the first user's id and peer token.
 */
async function verifyPeer(
  gatewayUrl: string,
  peer: PeerChild,
  databaseUrl: string,
  callers: { login: string; token: string }[],
): Promise<{ userId: number; token: string }> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const ids = await db.query<{ login: string; id: number }>('SELECT login, id FROM users WHERE login = ANY($1)', [callers.map((c) => c.login)]);
  await db.end();
  const tokens: { userId: number; token: string }[] = [];
  for (const { login, token } of callers) {
    const id = ids.rows.find((row) => row.login === login)?.id;
    if (id === undefined) throw new Error(`peer check: no user ${login}`);
    const peerToken = peer.tokenFor(id);
    tokens.push({ userId: id, token: peerToken });
    const page = `totalCount pageInfo { hasNextPage } nodes { name }`;
    const ours = dataOf(await gqlAt<{ connections: DashboardPage }>(gatewayUrl, `{ connections(first: 50) { ${page} } }`, {}, token)).connections;
    const theirs = dataOf(
      await gqlAt<{ allConnections: DashboardPage }>(peer.url, `{ allConnections(first: 50, orderBy: NAME_ASC) { ${page} } }`, {}, peerToken),
    ).allConnections;
    const summary = (p: DashboardPage) => ({ totalCount: p.totalCount, hasNextPage: p.pageInfo.hasNextPage, names: p.nodes.map((n) => n.name).sort() });
    const [a, b] = [summary(ours), summary(theirs)];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`the peer disagrees with the gateway for ${login}:\ngateway ${JSON.stringify(a)}\npeer    ${JSON.stringify(b)}`);
    }
    if (a.names.length === 0) throw new Error(`peer check: ${login} sees no connection, which compares nothing`);
  }
  return tokens[0]!;
}

/**
 * The bare Node.js server of the dashboard (bench/bare-server.ts) on the captured statements, started once its answer
 * has been checked equal, byte for byte, to the gateway's.
 */
async function startBare(gatewayUrl: string, token: string, databaseUrl: string, statements: Captured[]): Promise<GatewayChild> {
  const post = async (url: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: DASHBOARD, variables: {} }),
    });
    return { status: response.status, text: await response.text() };
  };
  const expected = await post(gatewayUrl);
  const head = (JSON.parse(expected.text) as { data: { connections: BareSpec['head'] } }).data.connections;
  const folder = mkdtempSync(join(tmpdir(), 'ds-bench-bare-'));
  const specFile = join(folder, 'spec.json');
  const spec: BareSpec = { databaseUrl, statements, head: { totalCount: head.totalCount, pageInfo: head.pageInfo }, first: DASHBOARD_FIRST };
  writeFileSync(specFile, JSON.stringify(spec));
  const bare = await spawnServer('bare', [join(__dirname, 'bare-server.js')], { BARE_SPEC_FILE: specFile }, /ready at (http:\/\/[^\s"]+)\/graphql/);
  const stop = bare.stop;
  bare.stop = async () => {
    await stop();
    rmSync(folder, { recursive: true, force: true });
  };
  const answer = await post(bare.url);
  if (answer.status !== expected.status || answer.text !== expected.text) {
    await bare.stop();
    throw new Error(`the bare server's answer differs from the gateway's:\ngateway ${expected.text.slice(0, 300)}\nbare    ${answer.text.slice(0, 300)}`);
  }
  return bare;
}

async function runSize(server: BenchServer, size: number, options: Options): Promise<SizeResult> {
  const databaseUrl = await server.freshDatabase('ds_bench');

  const gateway = await spawnGateway({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '10' });
  let peer: PeerChild | undefined;
  let bare: GatewayChild | undefined;
  try {
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const seedStarted = Date.now();
    await seedWorld(db, size, options.world);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    // The peer's policy is on the table for every scenario of a run that has it; the gateway, the table's owner, is
    // not subject to it.
    if (options.scenarios.has('peer')) await applyPeerPolicy(db);
    await db.end();

    const adminToken = await tokenAt(gateway.url, 'datasentinel', ADMIN_PASSWORD);
    const created = await gqlAt<{ createUser: { connections: { totalCount: number } } }>(
      gateway.url,
      `mutation($roles: [String!]!) { createUser(email: "bench.user@corp.example", input: { password: "${USER_PASSWORD}", privilege: READ, roles: $roles }) { connections { totalCount } } }`,
      { roles: DASHBOARD_ROLES },
      adminToken,
    );
    const visible = dataOf(created).createUser.connections.totalCount;
    const userToken = await tokenAt(gateway.url, 'bench.user', USER_PASSWORD);
    await gqlAt(
      gateway.url,
      `mutation($roles: [String!]!) { createUser(email: "bench.core@corp.example", input: { password: "${USER_PASSWORD}", privilege: READ, roles: $roles }) { login } }`,
      { roles: FIXED_ROLES },
      adminToken,
    );
    const fixedToken = await tokenAt(gateway.url, 'bench.core', USER_PASSWORD);

    // Correctness before speed: each operation must answer without errors.
    for (const [query, variables, token] of [
      [DASHBOARD, {}, userToken],
      [ADMIN, {}, adminToken],
      [TAGS, {}, userToken],
      [TAGS_USER_KEYS, {}, userToken],
      [PREVIEW, { access: PREVIEW_ACCESS }, adminToken],
      [EXPLAIN, EXPLAINED, adminToken],
      [ROLE_IMPACT, { access: PREVIEW_ACCESS }, adminToken],
      [AUDIENCE, { connection: EXPLAINED.connection }, adminToken],
    ] as const) {
      const answer = await gqlAt(gateway.url, query, variables, token);
      if (answer.errors) throw new Error(`${query}: ${JSON.stringify(answer.errors)}`);
    }

    let peerToken = '';
    let peerUserId: number | undefined;
    let peerDuration = options.duration;
    if (options.scenarios.has('peer')) {
      peer = await spawnPeer(databaseUrl);
      ({ token: peerToken, userId: peerUserId } = await verifyPeer(gateway.url, peer, databaseUrl, [
        { login: 'bench.user', token: userToken },
        { login: 'bench.core', token: fixedToken },
      ]));
      // Warm-up, as the gateway's below, but counted in responses: at a million connections, one peer request under
      // load can outlast the whole warm-up. Its latency sets the peer's measuring time: long enough for each of the
      // concurrent clients to complete about 8 requests, so that the ones cut off at the end weigh little.
      const warm = await load(peer.url, peerToken, PEER_DASHBOARD, {}, options, undefined, options.connections * 3);
      peerDuration = Math.max(options.duration, Math.ceil((8 * warm.p50) / 1000));
      if (peerDuration > options.duration)
        process.stderr.write(`bench: the peer answers in ${warm.p50.toFixed(0)} ms; measured for ${peerDuration} s a round\n`);
    }

    const scenarios: Record<string, Measure> = {};
    const servers = [gateway.pid, ...(peer ? [peer.pid] : [])];
    await load(gateway.url, userToken, DASHBOARD, {}, options, 3); // warm-up (the process is new: V8 and graphql-jit compile on first use)
    const measure = async (name: string, token: string, query: string, variables: Record<string, unknown> = {}) => {
      if (!options.scenarios.has(name)) return;
      // Each screen's own warm-up, not measured (so it need not wait for the scenario before to settle): its first
      // requests compile its code (V8, graphql-jit after its second use) and fill its caches. What is timed is the
      // screen under steady load, as the dashboard's rounds are. (It did not remove the overview's tail at 100k after
      // another size: BENCHMARKS.md.)
      await load(gateway.url, token, query, variables, options, SCENARIO_WARM_UP_SECONDS);
      await untilDatabaseIdle(databaseUrl);
      await untilProcessesIdle(servers);
      scenarios[name] = { ...(await load(gateway.url, token, query, variables, options)), peakRssMb: peakRssMb(gateway.pid) };
    };
    // The dashboard and what it is compared with (its raw SQL floor, the peer) alternate over ROUNDS rounds, and each
    // figure is the median of its rounds: on a shared machine, speed drifts over a run, and the ratios must compare
    // like with like.
    const statements = await captureDashboardStatements(databaseUrl);
    const running = peer;
    const companions: { name: string; run: () => Promise<Measure> }[] = [];
    if (options.scenarios.has('rawSql')) companions.push({ name: 'rawSql', run: () => rawFloor(databaseUrl, statements, options) });
    if (options.scenarios.has('bareNode')) {
      bare = await startBare(gateway.url, userToken, databaseUrl, statements);
      const url = bare.url;
      companions.push({ name: 'bareNode', run: () => load(url, userToken, DASHBOARD, {}, options) });
    }
    if (running) {
      companions.push({
        name: 'peer',
        run: async () => {
          const measured = { ...(await load(running.url, peerToken, PEER_DASHBOARD, {}, options, peerDuration)), peakRssMb: peakRssMb(running.pid) };
          // The load generator stops on time, the peer's statements cut off with it do not (1.8 s each at 1M): the
          // next scenario must not share the machine with them.
          await untilDatabaseIdle(databaseUrl);
          return measured;
        },
      });
    }
    if (options.scenarios.has('dashboard') && companions.length) {
      const dashboard: Measure[] = [];
      const rounds = new Map<string, Measure[]>(companions.map((c) => [c.name, []]));
      for (let round = 0; round < ROUNDS; round += 1) {
        await untilProcessesIdle(servers);
        dashboard.push(await load(gateway.url, userToken, DASHBOARD, {}, options));
        for (const companion of companions) {
          await untilProcessesIdle(servers);
          rounds.get(companion.name)!.push(await companion.run());
        }
      }
      scenarios.dashboard = { ...medianMeasure(dashboard), peakRssMb: peakRssMb(gateway.pid) };
      for (const [name, measures] of rounds) scenarios[name] = medianMeasure(measures);
      if (running) scenarios.peer!.peakRssMb = peakRssMb(running.pid);
    } else {
      await measure('dashboard', userToken, DASHBOARD);
      for (const companion of companions) scenarios[companion.name] = await companion.run();
    }
    await measure('dashboardFixed', fixedToken, DASHBOARD);
    await measure('tags', userToken, TAGS);
    await measure('tagsUserKeys', userToken, TAGS_USER_KEYS);
    await measure('preview', adminToken, PREVIEW, { access: PREVIEW_ACCESS });
    await measure('explainAccess', adminToken, EXPLAIN, EXPLAINED);
    await measure('roleImpact', adminToken, ROLE_IMPACT, { access: PREVIEW_ACCESS });
    await measure('audience', adminToken, AUDIENCE, { connection: EXPLAINED.connection });
    await measure('admin', adminToken, ADMIN);
    const peak = peakRssMb(gateway.pid);
    if (options.scenarios.has('dashboardUncached')) {
      // The same dashboard on a gateway without the per-replica caches (PRINCIPAL_CACHE_TTL_MS=0): every request
      // resolves its caller and counts in SQL, so this is the matching engine's own flatness.
      const uncached = await spawnGateway({
        DATABASE_URL: databaseUrl,
        ADMIN_PASSWORD,
        PROBE_TIMEOUT_MS: '0',
        LOG_LEVEL: 'info',
        DATABASE_POOL_SIZE: '10',
        PRINCIPAL_CACHE_TTL_MS: '0',
      });
      try {
        await load(uncached.url, userToken, DASHBOARD, {}, options, SCENARIO_WARM_UP_SECONDS);
        scenarios.dashboardUncached = { ...(await load(uncached.url, userToken, DASHBOARD, {}, options)), peakRssMb: peakRssMb(uncached.pid) };
      } finally {
        await uncached.stop();
      }
    }
    if (size === options.replicaSize && options.scenarios.has('dashboardTwoReplicas')) {
      // Same total concurrency, split over two processes on the same database.
      const second = await spawnGateway({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', LOG_LEVEL: 'info', DATABASE_POOL_SIZE: '10' });
      try {
        const half = { ...options, connections: Math.max(1, Math.floor(options.connections / 2)) };
        await load(second.url, userToken, DASHBOARD, {}, half, 1);
        const [one, two] = await Promise.all([load(gateway.url, userToken, DASHBOARD, {}, half), load(second.url, userToken, DASHBOARD, {}, half)]);
        scenarios.dashboardTwoReplicas = {
          rps: one.rps + two.rps,
          p50: (one.p50 + two.p50) / 2,
          p99: Math.max(one.p99, two.p99),
          errors: one.errors + two.errors,
        };
      } finally {
        await second.stop();
      }
    }
    if (options.world !== 'standard') await explain(databaseUrl, `${options.world}-${size}`, statements, peerUserId);
    else if (options.scenarios.size === SCENARIOS.length) await explain(databaseUrl, String(size), statements, peerUserId);
    return { size, visible, seedSeconds, scenarios, peakRssMb: peak };
  } finally {
    await peer?.stop();
    await bare?.stop();
    await gateway.stop();
  }
}

/** Time to create `count` connections with one mutation each (sequential, as a script would) vs one import. */
async function importRatio(server: BenchServer, count: number): Promise<{ count: number; singleMs: number; importMs: number }> {
  const databaseUrl = await server.freshDatabase('ds_bench_import');
  const gateway = await spawnGateway({ DATABASE_URL: databaseUrl, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', LOG_LEVEL: 'info' });
  try {
    const token = await tokenAt(gateway.url, 'datasentinel', ADMIN_PASSWORD);
    const input = (i: number, prefix: string) => ({
      name: `${prefix}-${i}`,
      host: `db-${i}.example`,
      port: 5432,
      user: 'monitor',
      password: 'secret',
      tags: [
        { key: 'environment', value: 'production' },
        { key: 'application', value: `app-${i % 20}` },
      ],
    });
    let started = Date.now();
    for (let i = 0; i < count; i += 1) {
      const { name, ...rest } = input(i, 'single');
      const answer = await gqlAt(
        gateway.url,
        `mutation($n: String!, $i: CreateConnectionInput!) { createConnection(name: $n, input: $i) { name } }`,
        { n: name, i: rest },
        token,
      );
      if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    }
    const singleMs = Date.now() - started;
    started = Date.now();
    const answer = await gqlAt(
      gateway.url,
      `mutation($inputs: [ImportConnectionInput!]!) { importConnections(inputs: $inputs) { created } }`,
      { inputs: Array.from({ length: count }, (_, i) => input(i, 'bulk')) },
      token,
    );
    if (answer.errors) throw new Error(JSON.stringify(answer.errors));
    return { count, singleMs, importMs: Date.now() - started };
  } finally {
    await gateway.stop();
  }
}

/** The chart of the run (bench/chart.ts): each screen's p50 by fleet size; the raw SQL floor and the peer dashed. */
function chartOf(results: SizeResult[], options: Options): string {
  const names = [...new Set(results.flatMap((r) => Object.keys(r.scenarios)))].filter((name) => name !== 'dashboardTwoReplicas');
  const series = names.map((name) => ({
    name:
      name === 'peer'
        ? 'peer: PostGraphile + RLS'
        : name === 'rawSql'
          ? 'raw SQL floor (dashboard)'
          : name === 'bareNode'
            ? 'bare Node.js server (dashboard)'
            : name,
    reference: name === 'peer' || name === 'rawSql' || name === 'bareNode',
    points: results.flatMap((r) => (r.scenarios[name] ? [{ size: r.size, p50: r.scenarios[name].p50 }] : [])),
  }));
  return drawChart(series, `p50 by fleet size, concurrency ${options.connections}, ${cpus().length} CPU (${new Date().toISOString().slice(0, 10)})`);
}

function table(results: SizeResult[], options: Options): string {
  const lines = [
    `| connections | visible to the dashboard user | scenario | req/s | p50 ms | p99 ms | errors | peak RSS so far (MB) |`,
    `| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const r of results) {
    for (const [name, m] of Object.entries(r.scenarios)) {
      lines.push(
        `| ${r.size.toLocaleString('en')} | ${r.visible.toLocaleString('en')} | ${name} | ${m.rps.toFixed(m.rps < 10 ? 1 : 0)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.errors} | ${m.peakRssMb ?? ''} |`,
      );
    }
  }
  lines.push(
    '',
    `| connections | dashboard p50 / raw SQL p50 | bare Node.js server p50 / raw SQL p50 | dashboard req/s / peer req/s | dashboard p50 vs ${results[0]?.size.toLocaleString('en')} | fixed-set dashboard p50 vs ${results[0]?.size.toLocaleString('en')} | uncached dashboard p50 vs ${results[0]?.size.toLocaleString('en')} | peak RSS (MB) | seed (s) |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
  );
  // A ratio whose terms were not both measured (a partial run) shows as a dash.
  const ratio = (a: Measure | undefined, b: Measure | undefined) => (a && b ? `${(a.p50 / b.p50).toFixed(2)}x` : '–');
  const throughput = (a: Measure | undefined, b: Measure | undefined) => (a && b?.rps ? `${(a.rps / b.rps).toFixed(1)}x` : '–');
  const first = results[0]!.scenarios;
  for (const r of results) {
    const s = r.scenarios;
    lines.push(
      `| ${r.size.toLocaleString('en')} | ${ratio(s.dashboard, s.rawSql)} | ${ratio(s.bareNode, s.rawSql)} | ${throughput(s.dashboard, s.peer)} | ${ratio(s.dashboard, first.dashboard)} | ${ratio(s.dashboardFixed, first.dashboardFixed)} | ${ratio(s.dashboardUncached, first.dashboardUncached)} | ${r.peakRssMb} | ${r.seedSeconds.toFixed(1)} |`,
    );
  }
  lines.push(
    '',
    `concurrency ${options.connections}, ${options.duration} s per scenario, ${cpus().length} CPU (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}` +
      (options.world === 'standard' ? '' : `, world ${options.world} (bench/world.ts)`),
  );
  return lines.join('\n');
}

/**
 * The gateway runs on the Node.js that runs the bench (`process.execPath`). A line below package.json's `engines`
 * is not one the gateway supports, and it measures differently: on Node 20 and 22 most of each request's garbage
 * survived two scavenges in this process and was promoted, so young-generation pauses of 8-13 ms set the tails, where
 * Node 24 promotes almost nothing (BENCHMARKS.md). Such a run is allowed, and says so.
 */
function warnOnUnsupportedNode(): void {
  const engines = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '';
  const minimum = Number(/>=\s*(\d+)/.exec(engines)?.[1] ?? 0);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < minimum) {
    process.stderr.write(
      `bench: Node ${process.version} is below the gateway's supported lines (engines: ${engines}); run the bench on one of them (the Docker image ships Node 24)\n`,
    );
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  warnOnUnsupportedNode();
  const server = await startBenchServer('ds-bench-');
  const results: SizeResult[] = [];
  let ratio: Awaited<ReturnType<typeof importRatio>> | undefined;
  try {
    if (options.scenarios.has('peer')) ensurePeerInstalled(); // before any seeding: a failed install fails fast
    for (const size of options.sizes) {
      process.stderr.write(`bench: ${size.toLocaleString('en')} connections…\n`);
      results.push(await runSize(server, size, options));
      process.stderr.write(`bench: ${size.toLocaleString('en')} done\n`);
    }
    if (options.importCount > 0) {
      process.stderr.write('bench: bulk import vs one mutation per connection…\n');
      ratio = await importRatio(server, options.importCount);
    }
  } finally {
    if (!server.embedded) {
      // Leave an external server as we found it.
      await server.asAdmin(async (admin) => {
        await admin.query('DROP DATABASE IF EXISTS ds_bench WITH (FORCE)');
        await admin.query('DROP DATABASE IF EXISTS ds_bench_import WITH (FORCE)');
        // The peer's role (bench/peer/rls.sql) is the server's, not the database's.
        if (options.scenarios.has('peer')) await admin.query('DROP ROLE IF EXISTS bench_peer');
      });
    }
    await server.stop();
  }
  let output = `${table(results, options)}\n\n${targetsTable(results)}`;
  if (ratio) {
    output +=
      `\n\nimport of ${ratio.count} connections: ${ratio.singleMs} ms as ${ratio.count} sequential createConnection mutations, ` +
      `${ratio.importMs} ms as one importConnections: ${(ratio.singleMs / ratio.importMs).toFixed(1)}x faster`;
  }
  process.stdout.write(`${output}\n`);
  mkdirSync(join(__dirname, '../../bench/results'), { recursive: true });
  const name = options.world !== 'standard' ? options.world : options.scenarios.size === SCENARIOS.length ? 'latest' : 'partial';
  const recorded = { ...options, scenarios: [...options.scenarios] };
  writeFileSync(
    join(__dirname, `../../bench/results/${name}.json`),
    JSON.stringify({ date: new Date().toISOString(), options: recorded, results, importRatio: ratio }, null, 2),
  );
  writeFileSync(join(__dirname, `../../bench/results/${name}.md`), `${output}\n`);
  writeFileSync(join(__dirname, `../../bench/results/${name}.svg`), chartOf(results, options));
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
