/**
 * Property-based governance tests over random worlds (connections with random user and automatic tags, roles with
 * random AND/OR groups, users holding zero to three roles):
 *
 * - `explainAccess(login, c).visible` equals whether `c` is in what the user sees in `connections` (with their own
 *   token), for every user and every connection; the reason and the matches agree with it (ROLE_MATCH has matches,
 *   NO_MATCH none, UNRESTRICTED exactly for users without roles);
 * - `roleChangeImpact(role, rule)` equals the difference of `previewAccess` before (the stored rule) and after (the
 *   new rule), added and removed, counts included; and once `updateRole` is applied, the users whose `connections`
 *   changed are exactly its `affectedUsers`;
 * - `userRolesImpact(email, roles)` equals the difference of the user's `connections` before and after `updateUser`.
 *
 * `PROPERTY_RUNS` (default 25) and `PROPERTY_SEED` tune a run.
 */
import fc from 'fast-check';
import type { UserEntity } from '../../src/entities/user.entity';
import { DEFAULT_GRAPHQL_LIMITS } from '../../src/security-config';
import { startTestGateway, type TestGateway } from '../support/gateway';

const TAGS: Record<string, readonly string[]> = { env: ['prod', 'Prod', 'dev'], dc: ['lyon', 'paris'], app: ['a', 'b', 'c'] };
const HOSTS = ['db1', '10.0.0.7', 'pg.example'] as const;
const VERSIONS = ['16.4', '11.8'] as const;

interface Conn {
  name: string;
  host: string;
  tags: [string, string][];
  pgVersion: string | null;
}
type Filter = { tag: string; value: string };
type Rule = { filters: Filter[] }[];
interface World {
  conns: Conn[];
  roles: Rule[];
  users: number[][];
  /** The role to change, the new rule, the user whose roles change, and their new roles (indexes modulo counts). */
  roleChange: { role: number; rule: Rule };
  userChange: { user: number; roles: number[] };
}

const pair = fc.constantFrom(...Object.keys(TAGS)).chain((k) => fc.constantFrom(...TAGS[k]!).map((v): [string, string] => [k, v]));
const filterArb: fc.Arbitrary<Filter> = fc.oneof(
  { weight: 5, arbitrary: pair.map(([tag, value]) => ({ tag, value })) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTS).map((value) => ({ tag: 'server', value })) },
  { weight: 2, arbitrary: fc.constantFrom(...VERSIONS).map((value) => ({ tag: 'pg_version', value })) },
  { weight: 1, arbitrary: fc.constantFrom('x', 'prod').map((value) => ({ tag: 'owner', value })) },
);
const ruleArb: fc.Arbitrary<Rule> = fc.array(
  fc.array(filterArb, { minLength: 1, maxLength: 3 }).map((filters) => ({ filters })),
  { minLength: 1, maxLength: 3 },
);
const worldArb: fc.Arbitrary<World> = fc.record({
  conns: fc.uniqueArray(
    fc.record({
      name: fc.stringMatching(/^[a-z0-9._-]{1,8}$/),
      host: fc.constantFrom(...HOSTS),
      tags: fc.uniqueArray(pair, { maxLength: 3, selector: ([k]) => k }),
      pgVersion: fc.option(fc.constantFrom(...VERSIONS), { nil: null }),
    }),
    { minLength: 1, maxLength: 14, selector: (c) => c.name },
  ),
  roles: fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
  users: fc.array(fc.uniqueArray(fc.nat(3), { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
  roleChange: fc.record({ role: fc.nat(3), rule: ruleArb }),
  userChange: fc.record({ user: fc.nat(3), roles: fc.uniqueArray(fc.nat(3), { maxLength: 3 }) }),
});

let gw: TestGateway;
let admin: string;
let worlds = 0;
let checks = 0;
let visibleChecks = 0;
let invisibleChecks = 0;
let affectedSeen = 0;

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const without = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));

function check(label: string, actual: unknown, expected: unknown): void {
  checks += 1;
  try {
    expect(actual).toEqual(expected);
  } catch (error) {
    (error as Error).message = `${label}\n${(error as Error).message}`;
    throw error;
  }
}

async function load(world: World): Promise<{ logins: string[]; emails: string[]; roleNames: string[] }> {
  const ds = gw.gateway.dataSource;
  await ds.query(`TRUNCATE user_roles, role_connections, roles, connections RESTART IDENTITY; DELETE FROM users WHERE login <> 'datasentinel'`);
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, pg_version)
     SELECT c->>'name', c->>'host', 5432, 'monitor', 'v1.seed.none.none.none',
            coalesce((SELECT jsonb_agg(jsonb_build_object('key', t->>0, 'value', t->>1)) FROM jsonb_array_elements(c->'tags') t), '[]'), c->>'pgVersion'
       FROM jsonb_array_elements($1::jsonb) AS c`,
    [JSON.stringify(world.conns)],
  );
  const roleNames = world.roles.map((_, i) => `role-${i}`);
  // Through the API: stored rules are normalized exactly as in production.
  for (const [i, rule] of world.roles.entries()) {
    await gw.gqlOk(`mutation($n: String!, $a: [AccessGroupInput!]!) { createRole(name: $n, access: $a) { name } }`, { n: roleNames[i], a: rule }, admin);
  }
  const logins = world.users.map((_, i) => `u${i}`);
  const emails = logins.map((l) => `${l}@corp.test`);
  await ds.query(
    `INSERT INTO users (email, login, password_hash, privilege, profile)
     SELECT l || '@corp.test', l, 'not-a-hash', 'read', 'data admin' FROM unnest($1::text[]) AS l`,
    [logins],
  );
  const assignments = world.users.flatMap((refs, i) => [...new Set(refs.map((r) => r % world.roles.length))].map((r) => [logins[i], roleNames[r]]));
  if (assignments.length) {
    await ds.query(
      `INSERT INTO user_roles (user_id, role_id)
       SELECT u.id, r.id FROM jsonb_array_elements($1::jsonb) a JOIN users u ON u.login = a->>0 JOIN roles r ON r.name = a->>1`,
      [JSON.stringify(assignments)],
    );
  }
  return { logins, emails, roleNames };
}

/** What each user sees, read with the user's own token. */
async function seenBy(logins: string[]): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  for (const login of logins) {
    const [row] = (await gw.gateway.dataSource.query(`SELECT * FROM users WHERE login = $1`, [login])) as { id: number; login: string; email: string }[];
    const token = gw.gateway.services.auth.issue({ ...row, tokenVersion: 1 } as UserEntity).token;
    const data = await gw.gqlOk<{ connections: { nodes: { name: string }[] } }>(`{ connections(first: 500) { nodes { name } } }`, {}, token);
    seen.set(
      login,
      data.connections.nodes.map((n) => n.name),
    );
  }
  return seen;
}

interface ImpactAnswer {
  addedCount: number;
  removedCount: number;
  added: { totalCount: number; nodes: { name: string }[] };
  removed: { totalCount: number; nodes: { name: string }[] };
  affectedUsers: { login: string }[];
}
const IMPACT = `addedCount removedCount added(first: 500) { totalCount nodes { name } } removed(first: 500) { totalCount nodes { name } } affectedUsers { login }`;
const flat = (i: ImpactAnswer) => ({
  added: i.added.nodes.map((n) => n.name),
  removed: i.removed.nodes.map((n) => n.name),
  counts: [i.addedCount, i.added.totalCount, i.removedCount, i.removed.totalCount],
  affected: i.affectedUsers.map((u) => u.login),
});
const expected = (before: string[], after: string[], affected: string[]) => {
  const added = without(after, before);
  const removed = without(before, after);
  return { added, removed, counts: [added.length, added.length, removed.length, removed.length], affected: [...affected].sort(byteOrder) };
};
const changedUsers = (before: Map<string, string[]>, after: Map<string, string[]>) =>
  [...before.keys()].filter((login) => before.get(login)!.join('\n') !== after.get(login)!.join('\n'));

async function checkWorld(world: World): Promise<void> {
  worlds += 1;
  const { logins, emails, roleNames } = await load(world);
  const names = world.conns.map((c) => c.name).sort(byteOrder);
  const seen = await seenBy(logins);

  // 1. explainAccess(...).visible = visibility, for every user and connection (one document per user).
  for (const [u, login] of logins.entries()) {
    const fields = names.map((_, i) => `e${i}: explainAccess(login: $login, connection: $c${i}) { visible reason matches { role group } }`).join(' ');
    const vars = names.map((_, i) => `$c${i}: String!`).join(', ');
    const variables: Record<string, string> = Object.fromEntries<string>([['login', login], ...names.map((n, i): [string, string] => [`c${i}`, n])]);
    const data = await gw.gqlOk<Record<string, { visible: boolean; reason: string; matches: unknown[] }>>(
      `query($login: String!, ${vars}) { ${fields} }`,
      variables,
      admin,
    );
    const restricted = world.users[u]!.length > 0;
    names.forEach((name, i) => {
      const e = data[`e${i}`]!;
      const visible = seen.get(login)!.includes(name);
      if (visible) visibleChecks += 1;
      else invisibleChecks += 1;
      check(`explainAccess(${login}, ${name}).visible`, e.visible, visible);
      check(
        `explainAccess(${login}, ${name}) reason and matches`,
        { reason: e.reason, hasMatches: e.matches.length > 0 },
        { reason: !restricted ? 'UNRESTRICTED' : visible ? 'ROLE_MATCH' : 'NO_MATCH', hasMatches: restricted && visible },
      );
    });
  }

  // 2. userRolesImpact = the difference of the user's connections before and after updateUser.
  const target = world.userChange.user % logins.length;
  const newRoles = [...new Set(world.userChange.roles.map((r) => roleNames[r % roleNames.length]!))];
  const userImpact = await gw.gqlOk<{ userRolesImpact: ImpactAnswer }>(
    `query($e: String!, $r: [String!]!) { userRolesImpact(email: $e, roles: $r) { ${IMPACT} } }`,
    { e: emails[target], r: newRoles },
    admin,
  );
  await gw.gqlOk(`mutation($e: String!, $r: [String!]!) { updateUser(email: $e, input: { roles: $r }) { login } }`, { e: emails[target], r: newRoles }, admin);
  const afterUser = await seenBy(logins);
  check(
    `userRolesImpact(${logins[target]}, ${JSON.stringify(newRoles)})`,
    flat(userImpact.userRolesImpact),
    expected(seen.get(logins[target]!)!, afterUser.get(logins[target]!)!, changedUsers(seen, afterUser)),
  );

  // 3. roleChangeImpact = previewAccess(new) - previewAccess(stored), and its affected users = who sees a change.
  const role = roleNames[world.roleChange.role % roleNames.length]!;
  const stored = await gw.gqlOk<{ role: { access: Rule } }>(`query($n: String!) { role(name: $n) { access { filters { tag value } } } }`, { n: role }, admin);
  const answer = await gw.gqlOk<{ impact: ImpactAnswer; before: { nodes: { name: string }[] }; after: { nodes: { name: string }[] } }>(
    `query($n: String!, $old: [AccessGroupInput!]!, $new: [AccessGroupInput!]!) {
      impact: roleChangeImpact(name: $n, access: $new) { ${IMPACT} }
      before: previewAccess(access: $old, first: 500) { nodes { name } }
      after: previewAccess(access: $new, first: 500) { nodes { name } }
    }`,
    { n: role, old: stored.role.access, new: world.roleChange.rule },
    admin,
  );
  await gw.gqlOk(`mutation($n: String!, $a: [AccessGroupInput!]!) { updateRole(name: $n, access: $a) { name } }`, { n: role, a: world.roleChange.rule }, admin);
  const afterRole = await seenBy(logins);
  const affected = changedUsers(afterUser, afterRole);
  affectedSeen += affected.length;
  check(
    `roleChangeImpact(${role}, ${JSON.stringify(world.roleChange.rule)})`,
    flat(answer.impact),
    expected(
      answer.before.nodes.map((n) => n.name),
      answer.after.nodes.map((n) => n.name),
      affected,
    ),
  );
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0, graphqlLimits: { ...DEFAULT_GRAPHQL_LIMITS, maxAliases: 100, maxCost: 1_000_000 } });
  admin = await gw.token();
});
afterAll(() => gw?.stop());

test('explanations agree with visibility, and impacts with previews and with the change once applied, in random worlds', async () => {
  const numRuns = Number(process.env.PROPERTY_RUNS ?? 25);
  const seed = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
  await fc.assert(fc.asyncProperty(worldArb, checkWorld), { numRuns, seed, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: false });
  process.stdout.write(
    `property-governance: ${worlds} worlds, ${checks} checks (${visibleChecks} visible and ${invisibleChecks} invisible pairs explained, ${affectedSeen} users affected by role changes)\n`,
  );
  expect(worlds).toBeGreaterThanOrEqual(Math.min(numRuns, 5));
  // The worlds exercise both answers.
  expect(visibleChecks).toBeGreaterThan(0);
  expect(invisibleChecks).toBeGreaterThan(0);
}, 240_000);
