/**
 * The cost of live subscriptions does not grow with the number of subscribers: a recomputation batch of
 * `LiveVisibility` (src/subscriptions/live-visibility.ts) issues the same number of SQL statements for 1, 10 or 200
 * subscribers, whether the change is a role rule (a resync: every group recomputed in full) or a retag (incremental,
 * over the changed ids). Subscribers mix an API key, an unrestricted administrator, restricted users sharing a role
 * set (one group) and users with role sets of their own. Each subscriber's events are checked against an oracle
 * computed here from the seeded world (tags, rules, each user's roles), not from the database.
 *
 * The engine is driven directly, with `onChange` standing for the change feed: one call, one batch.
 */
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { buildPrincipal, type Principal } from '../../src/context/principal';
import { createDataSource } from '../../src/db/data-source';
import { EntityRowMapper } from '../../src/db/row-mapper';
import { ConnectionEntity } from '../../src/entities/connection.entity';
import type { Change } from '../../src/subscriptions/change-feed';
import { LiveVisibility, type Credential, type Subscriber, type VisibilityEvent } from '../../src/subscriptions/live-visibility';
import { createTestDatabase, type TestDatabase } from '../support/database';

const TEAMS = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const ENVS = ['a', 'b'];
/** Restricted users: u00 holds `base` only; u01..u20 `base` and one team; u21..u24 `base` and two teams. */
const USERS = Array.from({ length: 25 }, (_, i) => ({
  login: `u${String(i).padStart(2, '0')}`,
  roles: i === 0 ? ['base'] : i <= 20 ? ['base', `team-${TEAMS[i - 1]}`] : ['base', `team-${TEAMS[2 * (i - 21)]}`, `team-${TEAMS[2 * (i - 21) + 1]}`],
}));

type Tags = Record<string, string>;
type Rule = { filters: { tag: string; value: string }[] }[];
const rule = (tag: string, value: string): Rule => [{ filters: [{ tag, value }] }];

/** The world the oracle reads: connections' tags, roles' rules. */
const world = {
  connections: new Map<string, Tags>(TEAMS.flatMap((team) => ENVS.map((env) => [`c-${team}-${env}`, { env, team }] as [string, Tags]))),
  rules: new Map<string, Rule>([['base', rule('env', 'a')], ...TEAMS.map((team) => [`team-${team}`, rule('team', team)] as [string, Rule])]),
};
const matches = (r: Rule, tags: Tags) => r.some((g) => g.filters.every((f) => tags[f.tag] === f.value));
/** What a holder of `roles` sees (`null`: unrestricted). */
function visible(roles: string[] | null): Set<string> {
  const seen = new Set<string>();
  for (const [name, tags] of world.connections) if (roles === null || roles.some((role) => matches(world.rules.get(role)!, tags))) seen.add(name);
  return seen;
}
/** The events turning `before` into `after` for a subscriber, `touched` being the connections whose rows changed. */
function expectedEvents(before: Set<string>, after: Set<string>, touched: Set<string>): { kind: string; name: string }[] {
  const removed = [...before].filter((n) => !after.has(n)).sort();
  const rest = [...after]
    .filter((n) => !before.has(n) || touched.has(n))
    .sort()
    .map((name) => ({ kind: before.has(name) ? 'CHANGED' : 'ADDED', name }));
  return [...removed.map((name) => ({ kind: 'REMOVED', name })), ...rest];
}

let db: TestDatabase;
let ds: DataSource;
const ids = new Map<string, number>();
const userIds = new Map<string, number>();
let adminId: number;
let keyId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 4 });
  await ds.initialize();
  await ds.query(`INSERT INTO roles (name, access) SELECT r->>'name', r->'access' FROM jsonb_array_elements($1::jsonb) AS r`, [
    JSON.stringify([...world.rules].map(([name, access]) => ({ name, access }))),
  ]);
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
     SELECT c->>'name', 'db.test', 5432, 'm', 'v1.none', c->'tags' FROM jsonb_array_elements($1::jsonb) AS c`,
    [JSON.stringify([...world.connections].map(([name, tags]) => ({ name, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) })))],
  );
  for (const row of (await ds.query(`SELECT id, name FROM connections`)) as { id: number; name: string }[]) ids.set(row.name, row.id);
  await ds.query(
    `INSERT INTO users (email, login, password_hash, privilege) SELECT login || '@corp.test', login, 'not-a-hash', 'read' FROM unnest($1::text[]) AS login`,
    [USERS.map((u) => u.login)],
  );
  await ds.query(
    `INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM jsonb_array_elements($1::jsonb) AS x
       JOIN users u ON u.login = x->>'login' CROSS JOIN LATERAL jsonb_array_elements_text(x->'roles') AS rn(name) JOIN roles r ON r.name = rn.name`,
    [JSON.stringify(USERS)],
  );
  for (const row of (await ds.query(`SELECT id, login FROM users`)) as { id: number; login: string }[]) userIds.set(row.login, row.id);
  adminId = (
    (await ds.query(`INSERT INTO users (email, login, password_hash, privilege) VALUES ('root@corp.test', 'root', 'not-a-hash', 'admin') RETURNING id`)) as {
      id: number;
    }[]
  )[0]!.id;
  keyId = (
    (await ds.query(`INSERT INTO api_keys (user_id, name, prefix, secret_hash) VALUES ($1, 'dashboard', $2, $3) RETURNING id::text AS id`, [
      userIds.get('u00'),
      `k_${randomBytes(6).toString('hex')}`,
      randomBytes(32),
    ])) as { id: string }[]
  )[0]!.id;
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

/** A subscriber that records its events; `delivered` resolves at its first delivery after `expectDelivery`. */
class Recorder implements Subscriber {
  principal: Principal;
  events: VisibilityEvent[][] = [];
  revoked: string[] = [];
  private waiting: (() => void) | null = null;
  constructor(
    readonly credential: Credential,
    /** The roles of its user, `null` for the administrator. */
    readonly roles: string[] | null,
  ) {
    this.principal = buildPrincipal({ userId: credential.userId, login: '?', email: '?', profile: 'data admin', privilege: 'read', live360: true }, []);
  }
  deliver(events: readonly VisibilityEvent[]): void {
    this.events.push([...events]);
    this.waiting?.();
    this.waiting = null;
  }
  revoke(reason: string): void {
    this.revoked.push(reason);
  }
  expectDelivery(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

const token = (login: string): Credential => ({ kind: 'token', userId: userIds.get(login)!, tokenVersion: 1, expiresAt: Date.now() + 3_600_000 });

/** The first `n` of: u00's API key, the administrator, then u01..u24 in turn (a user's second socket joins its group). */
function subscribers(n: number): Recorder[] {
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return new Recorder({ kind: 'apiKey', userId: userIds.get('u00')!, keyId }, USERS[0]!.roles);
    if (i === 1) return new Recorder({ kind: 'token', userId: adminId, tokenVersion: 1, expiresAt: Date.now() + 3_600_000 }, null);
    const user = USERS[((i - 2) % (USERS.length - 1)) + 1]!;
    return new Recorder(token(user.login), user.roles);
  });
}
const groupsOf = (subs: Recorder[]) => new Set(subs.map((s) => (s.roles === null ? '*' : [...s.roles].sort().join(',')))).size;

/**
 * Applies `change` (SQL, then the notification it would send) and waits for the one batch it causes; returns that
 * batch's statement count, after checking every subscriber's events against the oracle.
 */
async function batchOf(engine: LiveVisibility, subs: Recorder[], sql: string, params: unknown[], change: () => Change, edit: () => Set<string>) {
  const before = subs.map((s) => visible(s.roles));
  const stats = { ...engine.stats };
  for (const s of subs) s.events = [];
  await ds.query(sql, params);
  const touched = edit();
  const expected = subs.map((s, i) => expectedEvents(before[i]!, visible(s.roles), touched));
  // Deliveries happen in one synchronous loop at the end of the batch: once those expecting events have them, all did.
  const waits = subs.filter((_, i) => expected[i]!.length > 0).map((s) => s.expectDelivery());
  expect(waits.length).toBeGreaterThan(0);
  engine.onChange(change());
  await Promise.all(waits);
  for (const [i, s] of subs.entries()) {
    expect({ subscriber: i, events: s.events.flat().map((e) => ({ kind: e.kind, name: e.name })) }).toEqual({ subscriber: i, events: expected[i] });
    for (const e of s.events.flat()) expect(e.connection === null ? null : e.connection.name).toBe(e.kind === 'REMOVED' ? null : e.name);
    expect(s.revoked).toEqual([]);
  }
  expect(engine.stats.batches - stats.batches).toBe(1);
  return engine.stats.statements - stats.statements;
}

const measured: Record<string, { join: number; resync: number; incremental: number }> = {};

describe.each([1, 10, 200])('%i subscribers', (n) => {
  let engine: LiveVisibility;
  let subs: Recorder[];

  beforeAll(async () => {
    // Every case starts from the same world.
    await ds.query(`UPDATE roles SET access = $1::jsonb WHERE name = 'base'`, [JSON.stringify(rule('env', 'a'))]);
    world.rules.set('base', rule('env', 'a'));
    await ds.query(
      `UPDATE connections c SET user_tags = jsonb_build_array(jsonb_build_object('key', 'env', 'value', x.env), jsonb_build_object('key', 'team', 'value', x.team))
         FROM jsonb_to_recordset($1::jsonb) AS x(name text, env text, team text) WHERE c.name = x.name`,
      [JSON.stringify(TEAMS.flatMap((team) => ENVS.map((env) => ({ name: `c-${team}-${env}`, env, team }))))],
    );
    for (const team of TEAMS) for (const env of ENVS) world.connections.set(`c-${team}-${env}`, { env, team });
    engine = new LiveVisibility(ds, new EntityRowMapper(ds, ConnectionEntity, { exclude: ['passwordEncrypted'] }), { coalesceMs: 0 });
    subs = subscribers(n);
  });
  afterAll(() => engine.close());

  it('joining: one batch for everyone, no event', async () => {
    await Promise.all(subs.map((s) => engine.add(s)));
    expect(engine.stats.batches).toBe(1);
    expect(engine.subscriberCount).toBe(n);
    expect(engine.groupCount).toBe(groupsOf(subs));
    expect(subs.map((s) => s.events.length)).toEqual(subs.map(() => 0));
    measured[n] = { join: engine.stats.statements, resync: -1, incremental: -1 };
  });

  it('a role rule change (resync): the same statements for any number of subscribers, each its own events', async () => {
    measured[n]!.resync = await batchOf(
      engine,
      subs,
      `UPDATE roles SET access = $1::jsonb WHERE name = 'base'`,
      [JSON.stringify(rule('env', 'b'))],
      () => ({ type: 'resync' }),
      () => {
        world.rules.set('base', rule('env', 'b'));
        return new Set();
      },
    );
  });

  it('a retag (incremental): the same statements for any number of subscribers, each its own events', async () => {
    // Out of `base`'s view (REMOVED for most, CHANGED for its team), into it (ADDED / CHANGED), and a new tag (CHANGED).
    const retags: [string, Tags][] = [
      ['c-t01-b', { env: 'a', team: 't01' }],
      ['c-t02-a', { env: 'b', team: 't02' }],
      ['c-t03-b', { env: 'b', team: 't03', tier: 'gold' }],
    ];
    measured[n]!.incremental = await batchOf(
      engine,
      subs,
      `UPDATE connections c SET user_tags = x.tags FROM jsonb_to_recordset($1::jsonb) AS x(name text, tags jsonb) WHERE c.name = x.name`,
      [JSON.stringify(retags.map(([name, tags]) => ({ name, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) })))],
      () => ({ type: 'connections', ids: retags.map(([name]) => ids.get(name)!) }),
      () => {
        for (const [name, tags] of retags) world.connections.set(name, tags);
        return new Set(retags.map(([name]) => name));
      },
    );
  });
});

it('statements per batch are one constant, whatever the number of subscribers', () => {
  // Besides BEGIN and COMMIT: accounts, API keys, then the roles' full relation (join, resync) or the changed rows (incremental), then the
  // rows the events carry (a join has no event to carry).
  expect(measured).toEqual({
    1: { join: 3, resync: 4, incremental: 4 },
    10: { join: 3, resync: 4, incremental: 4 },
    200: { join: 3, resync: 4, incremental: 4 },
  });
});

/**
 * What the live tests' `sync` relies on (test/e2e/subscriptions.test.ts, subscriptions-property.test.ts): a batch
 * shows the rows of the ids it took, as of its snapshot, and no other row's change, even one committed before.
 * So the latest version of a canary row can come before a change made just before it (a flipped canary cannot close
 * a sync), while a row that never was notified is shown only by its own notification or a full recomputation (a new
 * canary row can).
 */
it('a batch shows the rows of the ids it took, as of its snapshot; other changes wait for their own notification', async () => {
  const engine = new LiveVisibility(ds, new EntityRowMapper(ds, ConnectionEntity, { exclude: ['passwordEncrypted'] }), { coalesceMs: 0 });
  const root = new Recorder({ kind: 'token', userId: adminId, tokenVersion: 1, expiresAt: Date.now() + 3_600_000 }, null);
  try {
    await engine.add(root);
    const retag = (name: string, value: string) =>
      ds.query(`UPDATE connections SET user_tags = user_tags || jsonb_build_array(jsonb_build_object('key', 'mark', 'value', $2::text)) WHERE name = $1`, [
        name,
        value,
      ]);
    const batch = async (change: Change) => {
      root.events = [];
      const delivered = root.expectDelivery();
      engine.onChange(change);
      await delivered;
      return root.events.flat().map((e) => `${e.kind} ${e.name} ${e.connection?.userTags.find((t) => t.key === 'mark')?.value ?? '-'}`);
    };
    await retag('c-t05-a', 'first');
    await retag('c-t06-a', 'second');
    // Only c-t06-a's notification is in: its batch's snapshot has c-t05-a's change too, and does not show it.
    expect(await batch({ type: 'connections', ids: [ids.get('c-t06-a')!] })).toEqual(['CHANGED c-t06-a second']);
    await ds.query(`INSERT INTO connections (name, host, port, username, password_encrypted) VALUES ('zz-new', 'db.test', 5432, 'm', 'v1.none')`);
    const newId = ((await ds.query(`SELECT id FROM connections WHERE name = 'zz-new'`)) as { id: number }[])[0]!.id;
    // c-t05-a's notification: the new row, committed before this batch, is not shown either.
    expect(await batch({ type: 'connections', ids: [ids.get('c-t05-a')!] })).toEqual(['CHANGED c-t05-a first']);
    // Its own notification shows it, as a full recomputation would.
    expect(await batch({ type: 'connections', ids: [newId] })).toEqual(['ADDED zz-new -']);
    await ds.query(`DELETE FROM connections WHERE name = 'zz-new'`);
    expect(await batch({ type: 'resync' })).toEqual(['REMOVED zz-new -']);
  } finally {
    await engine.close();
  }
});
