/**
 * Live dashboards over two gateway processes: changes are made through replica A (or plain SQL), subscribers are on
 * replica B, so every event crossed replicas through PostgreSQL LISTEN/NOTIFY. Each kind of change gives its event,
 * a restricted subscriber hears nothing of what it cannot see, and sockets are closed with 4403 when their
 * credential is revoked or the user deleted, 4429 past SUBSCRIPTIONS_PER_USER.
 *
 * Synchronisation without timing: `sync` creates a new canary connection every subscriber sees and waits for its
 * ADDED event. Notifications arrive in commit order and batches run in order, so once the canary's event is in, every
 * change committed before it has been delivered: what has not arrived by then will never arrive (see `sync` for why
 * a new row, and not a change to one canary).
 */
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { openLive, type LiveEvent, type LiveSocket } from '../support/live-client';
import { gqlAt, spawnGateway, type GatewayProcess } from '../support/processes';

/** Canaries are named to sort after every other connection: events of one batch come in name order, a canary's last. */
const CANARY_PREFIX = 'zz-canary';
const isCanary = (name: string) => name.startsWith(CANARY_PREFIX);
const ADMIN_PASSWORD = 'live-test-admin-password';
const ok = <T = Record<string, unknown>>(result: unknown): T => {
  const { data, errors } = result as { data?: T; errors?: unknown };
  if (errors) throw new Error(JSON.stringify(errors));
  return data as T;
};

let db: TestDatabase;
let sql: Client;
let a: GatewayProcess;
let b: GatewayProcess;
let admin: string;
const sockets: LiveSocket[] = [];

const signIn = async (login: string, password: string) =>
  ok<{ createToken: { token: string } }>(
    await gqlAt(a.url, `mutation($l: String!, $p: String!) { createToken(login: $l, password: $p) { token } }`, { l: login, p: password }),
  ).createToken.token;
const adminDo = async (query: string, variables: Record<string, unknown> = {}) => ok(await gqlAt(a.url, query, variables, admin));
const createConnection = (name: string, tags: Record<string, string>) =>
  adminDo(
    `mutation($n: String!, $t: [TagInput!]) { createConnection(name: $n, input: { host: "db.test", port: 5432, user: "m", password: "p", tags: $t }) { name } }`,
    {
      n: name,
      t: Object.entries(tags).map(([key, value]) => ({ key, value })),
    },
  );
const retag = (name: string, tags: Record<string, string>) =>
  adminDo(`mutation($n: String!, $t: [TagInput!]) { updateConnection(name: $n, input: { tags: $t }) { name } }`, {
    n: name,
    t: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
const live = (url: string, credential: string | null, query?: string) => {
  const socket = openLive(url, credential, query);
  sockets.push(socket);
  return socket;
};

let canaries = 0;
/**
 * Replaces the canary by a new one and waits for its ADDED on every socket: all earlier changes have been delivered
 * then. A socket just opened may not be subscribed yet (the protocol has no acknowledgement of a subscription): until
 * its first canary event arrives, another canary is made; that first event also proves the subscription live.
 *
 * A new row, not a change to one canary: a batch reads its snapshot after it took the notified ids, so it can show a
 * canary's latest version (started by the notification of an earlier change to it) while a change committed just
 * before that version, whose notification had not arrived yet, comes in the next batch. A new row is only shown by a
 * batch that took its id, hence every notification before it, or by a full recomputation, which covers everything
 * in its snapshot (found by test/e2e/subscriptions-property.test.ts).
 */
async function sync(...targets: LiveSocket[]): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    canaries += 1;
    const canary = `${CANARY_PREFIX}-${canaries}`;
    const marks = targets.map((s) => s.events.length);
    await sql.query(
      `WITH gone AS (DELETE FROM connections WHERE name LIKE 'zz-canary%')
       INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
       VALUES ($1, 'db.test', 5432, 'm', 'v1.x', '[{"key": "env", "value": "prod"}, {"key": "canary", "value": "yes"}]')`,
      [canary],
    );
    try {
      await Promise.all(targets.map((s, i) => s.waitFor((e) => e.name === canary && e.kind === 'ADDED', marks[i], attempt < 20 ? 1000 : 20_000)));
      return;
    } catch (error) {
      if (attempt >= 20 || !/no matching event/.test((error as Error).message)) throw error;
    }
  }
}
/** The events of `socket` from `from` on, without the canary's. */
const since = (socket: LiveSocket, from: number) => socket.events.slice(from).filter((e) => !isCanary(e.name));
const summary = (events: LiveEvent[]) => events.map((e) => `${e.kind} ${e.name}${(e.kind === 'REMOVED') === (e.connection === null) ? '' : ' (connection?)'}`);

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  const common = { DATABASE_URL: db.url, ADMIN_PASSWORD, PROBE_TIMEOUT_MS: '0' };
  a = await spawnGateway(common);
  b = await spawnGateway({ ...common, SUBSCRIPTIONS_PER_USER: '3', LOG_LEVEL: process.env.LIVE_DEBUG ? 'debug' : 'info' });
  admin = await signIn('datasentinel', ADMIN_PASSWORD);
  await createConnection('prod-1', { env: 'prod' });
  await createConnection('dev-1', { env: 'dev' });
  await adminDo(`mutation { createRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`);
  await adminDo(`mutation { createRole(name: "dev-only", access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`);
  for (const email of ['ana@corp.test', 'bob@corp.test', 'cid@corp.test']) {
    await adminDo(`mutation($e: String!) { createUser(email: $e, input: { password: "user-password-1", privilege: READ, roles: ["prod-only"] }) { login } }`, {
      e: email,
    });
  }
}, 120_000);

afterAll(async () => {
  if (process.env.LIVE_DEBUG)
    console.log(
      b
        .output()
        .split('\n')
        .filter((l) => /subscriptions/.test(l))
        .join('\n'),
    );
  await Promise.all(sockets.map((s) => s.dispose().catch(() => undefined)));
  await Promise.all([a?.stop(), b?.stop()]);
  await sql?.end();
  await db?.drop();
});

describe('connectionEvents across replicas', () => {
  let ana: LiveSocket;
  let root: LiveSocket;

  beforeAll(async () => {
    ana = live(b.url, await signIn('ana', 'user-password-1'));
    root = live(b.url, admin);
    await sync(ana, root);
  }, 60_000);

  it('ADDED for a created connection the subscriber can see, nothing for one it cannot', async () => {
    const from = ana.events.length;
    const rootFrom = root.events.length;
    await createConnection('prod-2', { env: 'prod', dc: 'lyon' });
    await createConnection('dev-2', { env: 'dev' });
    await sync(ana, root);
    expect(summary(since(ana, from))).toEqual(['ADDED prod-2']);
    expect(since(ana, from)[0]!.connection?.tags).toContainEqual({ key: 'dc', value: 'lyon' });
    // The administrator sees everything.
    expect(summary(since(root, rootFrom)).sort()).toEqual(['ADDED dev-2', 'ADDED prod-2']);
  });

  it('CHANGED for a visible connection: fields, enabled, connected after a probe; nothing for an invisible one', async () => {
    const from = ana.events.length;
    await adminDo(`mutation { updateConnection(name: "prod-2", input: { port: 6543 }) { name } }`);
    await adminDo(`mutation { disableConnection(name: "prod-2") { name } }`);
    await sql.query(`UPDATE connections SET connected = true, last_probe_at = now() WHERE name = 'prod-1'`);
    await adminDo(`mutation { updateConnection(name: "dev-2", input: { port: 6543 }) { name } }`);
    await sync(ana);
    const events = since(ana, from);
    expect(events.every((e) => e.kind === 'CHANGED')).toBe(true);
    expect(events.map((e) => e.name)).not.toContain('dev-2');
    expect(events.some((e) => e.name === 'prod-2' && e.connection?.enabled === false)).toBe(true);
    expect(events.some((e) => e.name === 'prod-1' && e.connection?.connected === true)).toBe(true);
  });

  it('a probe that finds the instance as it was sends nothing', async () => {
    const from = ana.events.length;
    await sql.query(`UPDATE connections SET last_probe_at = now(), probe_generation = probe_generation + 1 WHERE name = 'prod-1'`);
    await sync(ana);
    expect(since(ana, from)).toEqual([]);
  });

  it('REMOVED (name only) when retagged out of view, ADDED when retagged into it', async () => {
    let from = ana.events.length;
    await retag('prod-2', { env: 'dev' });
    await sync(ana);
    expect(since(ana, from)).toEqual([{ kind: 'REMOVED', name: 'prod-2', connection: null }]);
    from = ana.events.length;
    await retag('dev-2', { env: 'prod' });
    await sync(ana);
    expect(summary(since(ana, from))).toEqual(['ADDED dev-2']);
  });

  it('a role rule change adds and removes what it matches', async () => {
    const from = ana.events.length;
    await adminDo(
      `mutation { updateRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "dev" }] }, { filters: [{ tag: "canary", value: "yes" }] }]) { name } }`,
    );
    await sync(ana);
    // Now: env=dev or the canary. Was: env=prod (prod-1, dev-2, canary).
    expect(summary(since(ana, from)).sort()).toEqual(['ADDED dev-1', 'ADDED prod-2', 'REMOVED dev-2', 'REMOVED prod-1']);
    const restore = ana.events.length;
    await adminDo(`mutation { updateRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`);
    await sync(ana);
    expect(summary(since(ana, restore)).sort()).toEqual(['ADDED dev-2', 'ADDED prod-1', 'REMOVED dev-1', 'REMOVED prod-2']);
  });

  it("the user's roles changing adds and removes what they match", async () => {
    const from = ana.events.length;
    await adminDo(`mutation { updateUser(email: "ana@corp.test", input: { roles: ["prod-only", "dev-only"] }) { login } }`);
    await sync(ana);
    expect(summary(since(ana, from)).sort()).toEqual(['ADDED dev-1', 'ADDED prod-2']);
    const back = ana.events.length;
    await adminDo(`mutation { updateUser(email: "ana@corp.test", input: { roles: ["prod-only"] }) { login } }`);
    await sync(ana);
    expect(summary(since(ana, back)).sort()).toEqual(['REMOVED dev-1', 'REMOVED prod-2']);
  });

  it('REMOVED when deleted; nothing for deleting an invisible one', async () => {
    const from = ana.events.length;
    await adminDo(`mutation { deleteConnection(name: "dev-2") }`);
    await adminDo(`mutation { deleteConnection(name: "prod-2") }`);
    await sync(ana);
    expect(since(ana, from)).toEqual([{ kind: 'REMOVED', name: 'dev-2', connection: null }]);
  });

  it('a rename is REMOVED under the old name and ADDED under the new one', async () => {
    const from = ana.events.length;
    await sql.query(`UPDATE connections SET name = 'prod-1-renamed' WHERE name = 'prod-1'`);
    await sync(ana);
    expect(summary(since(ana, from))).toEqual(['REMOVED prod-1', 'ADDED prod-1-renamed']);
  });
});

describe('credentials and bounds', () => {
  it('closes the socket with 4403 when the token is revoked (password change), on the other replica', async () => {
    const socket = live(b.url, await signIn('bob', 'user-password-1'));
    await sync(socket);
    await adminDo(`mutation { updateUser(email: "bob@corp.test", input: { password: "another-password-2" }) { login } }`);
    await expect(socket.closed).resolves.toEqual({ code: 4403, reason: 'Token revoked: create a new one' });
  });

  it('closes the socket with 4403 when the user is deleted', async () => {
    const socket = live(b.url, await signIn('cid', 'user-password-1'));
    await sync(socket);
    await adminDo(`mutation { deleteUser(email: "cid@corp.test") }`);
    await expect(socket.closed).resolves.toMatchObject({ code: 4403 });
  });

  it('closes the socket with 4403 when its API key is revoked', async () => {
    const key = ok<{ createApiKey: { apiKey: { id: string }; secret: string } }>(
      await gqlAt(a.url, `mutation { createApiKey(name: "wall") { apiKey { id } secret } }`, {}, admin),
    ).createApiKey;
    const socket = live(b.url, key.secret);
    await sync(socket);
    await adminDo(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: key.apiKey.id });
    await expect(socket.closed).resolves.toMatchObject({ code: 4403 });
  });

  it('refuses bad credentials in connection_init with 4403', async () => {
    await expect(live(b.url, 'not-a-token').closed).resolves.toMatchObject({ code: 4403 });
    await expect(live(b.url, null).closed).resolves.toMatchObject({ code: 4403 });
  });

  it('refuses the socket past SUBSCRIPTIONS_PER_USER (3 on replica B) with 4429', async () => {
    const token = await signIn('ana', 'user-password-1');
    const open = [live(b.url, token), live(b.url, token)]; // with the one of the first describe: 3
    await sync(...open);
    const extra = live(b.url, token);
    await expect(extra.closed).resolves.toEqual({ code: 4429, reason: 'Too many subscription sockets for this user (SUBSCRIPTIONS_PER_USER=3)' });
    // A closed socket frees its place.
    await open[0]!.dispose();
    await open[0]!.closed;
    const again = live(b.url, token);
    await sync(again);
  });

  it('applies the request limits to subscription documents, and carries subscriptions only', async () => {
    const aliases = `subscription { connectionEvents { ${Array.from({ length: 30 }, (_, i) => `n${i}: name`).join(' ')} } }`;
    const tooMany = live(b.url, admin, aliases);
    await expect(tooMany.waitFor(() => false, 0, 10_000)).rejects.toThrow(/TOO_MANY_ALIASES/);
    const query = live(b.url, admin, `{ connections { totalCount } }`);
    await expect(query.waitFor(() => false, 0, 10_000)).rejects.toThrow(/subscriptions only/);
  });
});
