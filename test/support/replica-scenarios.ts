/**
 * The two-replica scenarios: a change made through one gateway process is seen by the other on its very next
 * request, although each caches resolved callers and membership totals (invalidation by PostgreSQL LISTEN/NOTIFY).
 * Registered by test/e2e/replicas.test.ts (both replicas on PostgreSQL directly) and test/e2e/pooler.test.ts (both
 * replicas' DATABASE_URL through PgBouncer in transaction mode, LISTEN_DATABASE_URL direct), so every topology runs
 * the same checks.
 */
import { createTestDatabase, type TestDatabase } from './database';
import { restClient } from '../e2e/rest-client';
import type { GraphQLResponse, LooseJson } from './gateway';
import { gqlAt, spawnGateway, type GatewayProcess } from './processes';

export const ADMIN_PASSWORD = 'replica-test-admin';

/** The answer's data; throws with its errors when it has any. */
export const ok = <T = LooseJson>(result: GraphQLResponse<T>): T => {
  if (result.errors || !result.data) throw new Error(JSON.stringify(result.errors ?? result));
  return result.data;
};
/** The code of an answer's first error, or undefined when it has none. */
const errorCode = (result: GraphQLResponse<unknown>) => result.errors?.[0]?.extensions?.code;
export const signIn = async (url: string, login: string, password: string) =>
  ok(
    await gqlAt<GraphQLResponse<{ createToken: { token: string } }>>(
      url,
      `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { token } }`,
      {
        l: login,
        p: password,
      },
    ),
  ).createToken.token;
export const visible = async (url: string, token: string) => {
  const result = await gqlAt<GraphQLResponse<{ connections: { nodes: { name: string }[] } }>>(url, `{ connections { nodes { name } } }`, {}, token);
  if (result.errors) return errorCode(result);
  return ok(result).connections.nodes.map((n) => n.name);
};

/** Environment of each replica for one database: the topology under test. */
export type ReplicaTopology = (db: TestDatabase) => Promise<{ a: Record<string, string>; b: Record<string, string> }>;

export interface Replicas {
  a(): GatewayProcess;
  b(): GatewayProcess;
  db(): TestDatabase;
  /** The administrator's token (signed in on A). */
  admin(): string;
}

/**
 * Registers, in the current `describe`, two replicas A and B on a fresh database (started by `beforeAll` with the
 * environment `topology` gives, plus the common settings), the seed data and the scenarios. Returns accessors, so a
 * test file can add checks of its own on the same replicas (they run after the scenarios).
 */
export function replicaScenarios(topology: ReplicaTopology): Replicas {
  let db: TestDatabase;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const common = { ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0', PRINCIPAL_CACHE_TTL_MS: '600000' };
    const env = await topology(db);
    a = await spawnGateway({ ...common, ...env.a });
    b = await spawnGateway({ ...common, ...env.b });
    admin = await signIn(a.url, 'datasentinel', ADMIN_PASSWORD);
    for (const [name, env] of [
      ['dev-1', 'dev'],
      ['prod-1', 'prod'],
      ['prod-2', 'prod'],
    ]) {
      ok(
        await gqlAt(
          a.url,
          `mutation($n: String!, $e: String!) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "env", value: $e }] }) { name } }`,
          { n: name, e: env },
          admin,
        ),
      );
    }
    ok(await gqlAt(a.url, `mutation { createRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin));
    ok(
      await gqlAt(
        a.url,
        `mutation { createUser(email: "ana@corp.test", input: { password: "ana-password-1", privilege: READ, roles: ["prod-only"] }) { login } }`,
        {},
        admin,
      ),
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.drop();
  });

  test('role, assignment, password and deletion changes made on A apply to the next request on B', async () => {
    const token = await signIn(b.url, 'ana', 'ana-password-1');
    // Warm B's cache with several requests.
    for (let i = 0; i < 3; i += 1) expect(await visible(b.url, token)).toEqual(['prod-1', 'prod-2']);

    ok(await gqlAt(a.url, `mutation { updateRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, {}, admin));
    expect(await visible(b.url, token)).toEqual(['dev-1']);

    ok(await gqlAt(a.url, `mutation { updateUser(email: "ana@corp.test", input: { roles: [] }) { login } }`, {}, admin));
    expect(await visible(b.url, token)).toEqual(['dev-1', 'prod-1', 'prod-2']);

    ok(await gqlAt(a.url, `mutation { updateUser(email: "ana@corp.test", input: { roles: ["prod-only"] }) { login } }`, {}, admin));
    expect(await visible(b.url, token)).toEqual(['dev-1']);

    ok(await gqlAt(a.url, `mutation { updateUser(email: "ana@corp.test", input: { password: "ana-password-2" }) { login } }`, {}, admin));
    expect(await visible(b.url, token)).toBe('UNAUTHENTICATED');

    const second = await signIn(b.url, 'ana', 'ana-password-2');
    expect(await visible(b.url, second)).toEqual(['dev-1']);
    ok(await gqlAt(a.url, `mutation { deleteUser(email: "ana@corp.test") }`, {}, admin));
    expect(await visible(b.url, second)).toBe('UNAUTHENTICATED');
  });

  test('a privilege change on A is enforced by B on the next request', async () => {
    ok(await gqlAt(a.url, `mutation { createUser(email: "bob@corp.test", input: { password: "bob-password-1" }) { login } }`, {}, admin));
    const bob = await signIn(b.url, 'bob', 'bob-password-1');
    const rolesQuery = `{ roles { name } }`;
    expect(ok(await gqlAt<GraphQLResponse<{ roles: unknown }>>(b.url, rolesQuery, {}, bob)).roles).toEqual([{ name: 'prod-only' }]);
    ok(await gqlAt(a.url, `mutation { updateUser(email: "bob@corp.test", input: { privilege: READ }) { login } }`, {}, admin));
    expect(errorCode(await gqlAt<GraphQLResponse<unknown>>(b.url, rolesQuery, {}, bob))).toBe('FORBIDDEN');
  });

  test('totals cached on B (membership counts) follow connection and rule changes made on A', async () => {
    const token = await signIn(b.url, 'datasentinel', ADMIN_PASSWORD);
    const counts = async () => {
      const data = ok(
        await gqlAt<GraphQLResponse<{ roles: { name: string; connectionCount: number }[] }>>(b.url, `{ roles { name connectionCount } }`, {}, token),
      );
      return Object.fromEntries(data.roles.map((r) => [r.name, r.connectionCount]));
    };
    ok(await gqlAt(a.url, `mutation { updateRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin));
    for (let i = 0; i < 3; i += 1) expect(await counts()).toEqual({ 'prod-only': 2 });
    ok(
      await gqlAt(
        a.url,
        `mutation { createConnection(name: "prod-3", input: { host: "db.test", port: 5432, user: "m", password: "p", tags: [{ key: "env", value: "prod" }] }) { name } }`,
        {},
        admin,
      ),
    );
    expect(await counts()).toEqual({ 'prod-only': 3 });
    ok(await gqlAt(a.url, `mutation { updateConnection(name: "prod-3", input: { tags: [{ key: "env", value: "dev" }] }) { name } }`, {}, admin));
    expect(await counts()).toEqual({ 'prod-only': 2 });
    ok(await gqlAt(a.url, `mutation { deleteConnection(name: "prod-1") }`, {}, admin));
    expect(await counts()).toEqual({ 'prod-only': 1 });
  });

  test('API keys: a revocation, a role change and an owner deletion made on A apply to the next request on B', async () => {
    ok(await gqlAt(a.url, `mutation { createUser(email: "kim@corp.test", input: { password: "kim-password-1", privilege: READ }) { login } }`, {}, admin));
    const kim = await signIn(a.url, 'kim', 'kim-password-1');
    const createKey = async (name: string) =>
      ok(
        await gqlAt<GraphQLResponse<{ createApiKey: { secret: string; apiKey: { id: string } } }>>(
          a.url,
          `mutation($n: String!) { createApiKey(name: $n) { secret apiKey { id } } }`,
          { n: name },
          kim,
        ),
      ).createApiKey;
    const first = await createKey('first');
    const second = await createKey('second');
    const meOnB = async (secret: string) => {
      const result = await gqlAt<GraphQLResponse<{ me: { login: string } }>>(b.url, `{ me { login } }`, {}, secret);
      return result.errors ? errorCode(result) : ok(result).me.login;
    };
    const restOnB = async (secret: string) => (await fetch(`${b.url}/ds-api/pool/pg-instances`, { headers: { 'user-token': secret } })).status;

    // Warm B's caches (verified key, resolved caller).
    for (let i = 0; i < 3; i += 1) {
      expect(await meOnB(first.secret)).toBe('kim');
      expect(await restOnB(first.secret)).toBe(200);
      expect(await meOnB(second.secret)).toBe('kim');
    }
    expect(ok(await gqlAt(a.url, `mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: first.apiKey.id }, kim))).toEqual({ revokeApiKey: true });
    expect(await meOnB(first.secret)).toBe('UNAUTHENTICATED');
    expect(await restOnB(first.secret)).toBe(401);
    expect(await meOnB(second.secret)).toBe('kim');

    const before = await visible(b.url, second.secret);
    ok(await gqlAt(a.url, `mutation { updateUser(email: "kim@corp.test", input: { roles: ["prod-only"] }) { login } }`, {}, admin));
    const after = await visible(b.url, second.secret);
    expect(after).not.toEqual(before);
    expect(after).toEqual(await visible(b.url, kim));

    ok(await gqlAt(a.url, `mutation { deleteUser(email: "kim@corp.test") }`, {}, admin));
    expect(await meOnB(second.secret)).toBe('UNAUTHENTICATED');
    expect(await restOnB(second.secret)).toBe(401);
  });

  /**
   * The README's promise under concurrency: a change committed before a request arrives is seen by that request on
   * any replica, also right after a burst of concurrent requests (the shared change barrier of each replica must keep
   * running after its first burst). Every round: a burst on both replicas, one write on A, then reads on B and A.
   */
  test('after bursts of concurrent requests, every read that follows a commit sees it, on both replicas', async () => {
    const ROUNDS = 25;
    const BURST = 8;
    const rest = restClient(a.url);
    ok(await gqlAt(a.url, `mutation { createRole(name: "burst-prod", access: [{ filters: [{ tag: "env", value: "burst" }] }]) { name } }`, {}, admin));
    ok(await gqlAt(a.url, `mutation { createUser(email: "dana@corp.test", input: { password: "dana-password-1" }) { login } }`, {}, admin));
    ok(
      await gqlAt(
        a.url,
        `mutation { createUser(email: "rita@corp.test", input: { password: "rita-password-1", privilege: READ, roles: ["burst-prod"] }) { login } }`,
        {},
        admin,
      ),
    );
    const dana = { a: await signIn(a.url, 'dana', 'dana-password-1'), b: await signIn(b.url, 'dana', 'dana-password-1') };
    const rita = { a: await signIn(a.url, 'rita', 'rita-password-1'), b: await signIn(b.url, 'rita', 'rita-password-1') };
    /** What dana gets from an administrators-only list: the role names, or the error code. */
    const adminList = async (url: string, token: string) => {
      const result = await gqlAt<GraphQLResponse<unknown>>(url, `{ roles { name } }`, {}, token);
      return result.errors ? errorCode(result) : 'ADMIN';
    };
    const totalCount = async (url: string, token: string) =>
      ok(await gqlAt<GraphQLResponse<{ connections: { totalCount: number } }>>(url, `{ connections { totalCount } }`, {}, token)).connections.totalCount;
    const burst = () =>
      Promise.all(
        Array.from({ length: BURST }, (_, i) => {
          const url = i % 2 ? a.url : b.url;
          const token = i % 2 ? (i % 4 === 1 ? dana.a : rita.a) : i % 4 === 0 ? dana.b : rita.b;
          return gqlAt(url, `{ me { login } connections(first: 5) { totalCount } }`, {}, token);
        }),
      );

    let demoted = false;
    let count = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // Warm both replicas' caches with a concurrent burst (the one that broke the barrier).
      await burst();
      if (round % 2 === 0) {
        // An administrator's REST write on A (one more connection the reader's role matches) ...
        const created = await rest.post(`/ds-api/pool/pg-instances/burst-${round}`, {
          token: admin,
          json: { host: '127.0.0.1', port: 1, user: 'm', password: 'p', tags: 'env=burst' },
        });
        expect(created.status).toBe(201);
        count += 1;
      } else {
        // ... or dana demoted (or promoted back) on A.
        demoted = !demoted;
        ok(
          await gqlAt(
            a.url,
            `mutation($p: Privilege!) { updateUser(email: "dana@corp.test", input: { privilege: $p }) { login } }`,
            { p: demoted ? 'READ' : 'ADMIN' },
            admin,
          ),
        );
      }
      // Every read after the commit, on B first (the other replica), then A, sees it; reads race each other too.
      const [danaB, ritaB] = await Promise.all([adminList(b.url, dana.b), totalCount(b.url, rita.b)]);
      const [danaA, ritaA] = await Promise.all([adminList(a.url, dana.a), totalCount(a.url, rita.a)]);
      const expected = demoted ? 'FORBIDDEN' : 'ADMIN';
      expect({ round, danaB, ritaB, danaA, ritaA }).toEqual({ round, danaB: expected, ritaB: count, danaA: expected, ritaA: count });
    }
  }, 120_000);

  return { a: () => a, b: () => b, db: () => db, admin: () => admin };
}
