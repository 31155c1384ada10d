/**
 * The gateway behind PgBouncer in transaction mode (Debian's pgbouncer, test/support/pgbouncer.ts), the way most
 * production PostgreSQL is reached: both replicas' DATABASE_URL go through the pooler, LISTEN_DATABASE_URL is direct.
 * The pool is small (3 server sessions for two replicas of up to 10 connections each), so client connections really
 * do share server sessions, as they do in production.
 *
 * - The two-replica scenarios of test/e2e/replicas.test.ts pass unchanged: sign-in, writes, visibility, and cache
 *   invalidation across replicas.
 * - Failed sign-ins go through the throttle's store until it refuses (its statements used to be named prepared
 *   statements, which fail through such a pooler with `prepared statement … already exists`).
 * - Without LISTEN_DATABASE_URL, the LISTEN connection goes through the pooler too, where it would hear nothing: the
 *   gateway notices and runs uncached, so the replicas stay exact.
 */
import { testServer } from '../support/database';
import { describeWithPgBouncer, startPgBouncer, type PgBouncer } from '../support/pgbouncer';
import { gqlAt, spawnGateway, type GatewayProcess } from '../support/processes';
import { ok, replicaScenarios, signIn, visible } from '../support/replica-scenarios';

const UNCACHED = 'principal cache: cannot LISTEN, running uncached';

describeWithPgBouncer('two replicas through PgBouncer (transaction mode), LISTEN_DATABASE_URL direct', () => {
  let bouncer: PgBouncer;
  let extra: GatewayProcess | undefined;

  beforeAll(async () => {
    bouncer = await startPgBouncer({ server: testServer(), poolSize: 3 });
  });
  const replicas = replicaScenarios(async (db) => {
    const env = {
      DATABASE_URL: bouncer.url(db.name),
      LISTEN_DATABASE_URL: db.url,
      // Small enough to reach the block in a few attempts.
      LOGIN_THROTTLE_LOGIN_ADDRESS: '3/15m/15m',
    };
    return { a: env, b: env };
  });
  // Declared after replicaScenarios' own afterAll, so it runs once the replicas have stopped (jest-circus runs
  // afterAll hooks in declaration order).
  afterAll(async () => {
    await extra?.stop();
    await bouncer?.stop();
  });

  test('the replicas talk to the database through the pooler, and their caches listen (directly)', async () => {
    const stats = await bouncer.show('STATS');
    const mine = stats.find((row) => row.database === replicas.db().name);
    expect(Number(mine?.total_xact_count)).toBeGreaterThan(0);
    // A LISTEN connection that cannot hear notifications is reported at start; neither replica reported one.
    expect(replicas.a().output()).not.toContain(UNCACHED);
    expect(replicas.b().output()).not.toContain(UNCACHED);
  });

  test('failed sign-ins are counted through the pooler until the throttle refuses; a right password then too', async () => {
    const a = replicas.a().url;
    const b = replicas.b().url;
    ok(await gqlAt(a, `mutation { createUser(email: "carl@corp.test", input: { password: "carl-password-1" }) { login } }`, {}, replicas.admin()));
    const attempt = async (url: string, password: string) => {
      const result = await gqlAt(url, `mutation($p: String!) { createToken(login: "carl", password: $p) { token } }`, { p: password });
      return result.errors ? (result.errors[0].extensions.code as string) : 'OK';
    };
    // Alternating replicas: the counters are shared through PostgreSQL, whichever session the pooler lends.
    expect([await attempt(a, 'wrong-1'), await attempt(b, 'wrong-2'), await attempt(a, 'wrong-3')]).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
    ]);
    expect(await attempt(b, 'wrong-4')).toBe('RATE_LIMITED');
    expect(await attempt(a, 'carl-password-1')).toBe('RATE_LIMITED');
    // Many failed sign-ins at once (three throttle statements each, in parallel) through three shared server sessions.
    const codes = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const result = await gqlAt(i % 2 ? a : b, `mutation($l: String!) { createToken(login: $l, password: "nope-nope") { token } }`, { l: `nobody-${i}` });
        return result.errors?.[0]?.extensions?.code as string;
      }),
    );
    expect(codes).toEqual(Array<string>(12).fill('UNAUTHENTICATED'));
  });

  test('without LISTEN_DATABASE_URL a replica on the pooler refuses to trust its LISTEN and serves exactly, uncached', async () => {
    const db = replicas.db();
    extra = await spawnGateway({ DATABASE_URL: bouncer.url(db.name), PROBE_TIMEOUT_MS: '0', PRINCIPAL_CACHE_TTL_MS: '600000' });
    expect(extra.output()).toContain(UNCACHED);
    expect(extra.output()).toContain('point LISTEN_DATABASE_URL at PostgreSQL directly');

    const admin = replicas.admin();
    const a = replicas.a().url;
    for (const team of ['x', 'y']) {
      ok(
        await gqlAt(
          a,
          `mutation($n: String!, $t: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "team", value: $t }] }) { name } }`,
          { n: `team-${team}`, t: team },
          admin,
        ),
      );
    }
    ok(await gqlAt(a, `mutation { createRole(name: "team", access: [{ filters: [{ tag: "team", value: "x" }] }]) { name } }`, {}, admin));
    ok(
      await gqlAt(
        a,
        `mutation { createUser(email: "dora@corp.test", input: { password: "dora-password-1", privilege: READ, roles: ["team"] }) { login } }`,
        {},
        admin,
      ),
    );
    const token = await signIn(extra.url, 'dora', 'dora-password-1');
    for (let i = 0; i < 3; i += 1) expect(await visible(extra.url, token)).toEqual(['team-x']);
    ok(await gqlAt(a, `mutation { updateRole(name: "team", access: [{ filters: [{ tag: "team", value: "y" }] }]) { name } }`, {}, admin));
    expect(await visible(extra.url, token)).toEqual(['team-y']);
    ok(await gqlAt(a, `mutation { deleteUser(email: "dora@corp.test") }`, {}, admin));
    expect(await visible(extra.url, token)).toBe('UNAUTHENTICATED');
  });
});
