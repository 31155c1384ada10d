/**
 * Real races against PostgreSQL through the HTTP API: requests fired at the same instant, several rounds each.
 * - concurrent creates of one name: exactly one success, CONFLICT (REST 409) for the others, never a 500;
 * - concurrent updates of one connection: the stored row (and every answer) is exactly one writer's input;
 * - deleting a role while it is being assigned: never a dangling assignment; ROLE_IN_USE or a refused assignment;
 * - concurrent demotions of the only two unrestricted administrators: one is refused (LAST_ADMIN), one remains.
 */
import { errorCode, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway';
import { restClient } from './rest-client';

let gw: TestGateway;
let admin: string;
const PASSWORD = 'race-password-123';
const N = 8;

beforeAll(async () => {
  // Probes off (nothing to reach) and a pool large enough for every racer to hold a connection at once.
  gw = await startTestGateway({ probeTimeoutMs: 0, databasePoolSize: 12 });
  admin = await gw.token();
});
afterAll(() => gw?.stop());

const gql = (query: string, variables?: Record<string, unknown>, token: string = admin) => gw.gql(query, variables, token);

async function restCall(method: string, path: string, body?: unknown, token: string = admin): Promise<{ status: number; body: any }> {
  // The shared REST client: every exchange is also checked against schema/openapi.json.
  const response = await restClient(gw.url).call(method, path, { token, json: body });
  return { status: response.status, body: response.body };
}

/** Outcome of one racer: `ok` or the error code (GraphQL) / status (REST). */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const outcome = (r: GraphQLResponse) => (r.errors?.length ? errorCode(r) : 'ok');

function tally(outcomes: (string | number | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[String(o)] = (counts[String(o)] ?? 0) + 1;
  return counts;
}

describe('concurrent creates of the same name', () => {
  const ROUNDS = 4;

  test('createConnection: one success, CONFLICT for the rest', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `race-conn-${round}`;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          gql(`mutation($name: String!, $input: CreateConnectionInput!) { createConnection(name: $name, input: $input) { name port } }`, {
            name,
            input: { host: '127.0.0.1', port: 1000 + i, user: 'monitor', password: 'secret', tags: [{ key: 'writer', value: `w${i}` }] },
          }),
        ),
      );
      expect(tally(results.map(outcome))).toEqual({ ok: 1, CONFLICT: N - 1 });
      for (const r of results.filter((x) => x.errors)) expect(r.errors![0]!.message).toBe(`Connection "${name}" already exists`);
      // The stored row is the winner's, whole.
      const winner = results.find((x) => !x.errors)!.data!.createConnection;
      const stored = await gw.gqlOk(`query($name: String!) { connection(name: $name) { port tagString } }`, { name }, admin);
      expect(stored.connection).toEqual({ port: winner.port, tagString: `writer=w${winner.port - 1000}` });
    }
  });

  test('REST POST /ds-api/pool/pg-instances/{name}: one 201, 409 for the rest', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `race-rest-conn-${round}`;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          restCall('POST', `/ds-api/pool/pg-instances/${name}`, {
            host: '127.0.0.1',
            port: 2000 + i,
            user: 'monitor',
            password: 'secret',
            tags: `writer=w${i}`,
          }),
        ),
      );
      expect(tally(results.map((r) => r.status))).toEqual({ 201: 1, 409: N - 1 });
      for (const r of results.filter((x) => x.status === 409)) expect(Object.keys(r.body)).toEqual(['error']);
    }
  });

  test('createRole: one success, CONFLICT for the rest', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `race-role-${round}`;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          gql(`mutation($name: String!, $access: [AccessGroupInput!]!) { createRole(name: $name, access: $access) { name } }`, {
            name,
            access: [{ filters: [{ tag: 'writer', value: `w${i}` }] }],
          }),
        ),
      );
      expect(tally(results.map(outcome))).toEqual({ ok: 1, CONFLICT: N - 1 });
    }
  });

  test('createUser with one email in different cases: one success, CONFLICT for the rest', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const emails = Array.from({ length: N }, (_, i) => (i % 2 ? `Race.User${round}@Corp.com` : `race.user${round}@corp.com`));
      const results = await Promise.all(
        emails.map((email) =>
          gql(`mutation($email: String!, $input: CreateUserInput!) { createUser(email: $email, input: $input) { login } }`, {
            email,
            input: { password: PASSWORD, privilege: 'READ' },
          }),
        ),
      );
      expect(tally(results.map(outcome))).toEqual({ ok: 1, CONFLICT: N - 1 });
    }
  });

  test('createUser with different emails of one local part: every user is created, each with its own login', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const emails = Array.from({ length: N }, (_, i) => `same.local${round}@domain${i}.example`);
      const results = await Promise.all(
        emails.map((email) =>
          gql(`mutation($email: String!, $input: CreateUserInput!) { createUser(email: $email, input: $input) { login email } }`, {
            email,
            input: { password: PASSWORD, privilege: 'READ' },
          }),
        ),
      );
      expect(tally(results.map(outcome))).toEqual({ ok: N });
      const logins = results.map((r) => r.data!.createUser.login as string);
      expect(new Set(logins).size).toBe(N);
      expect([...logins].sort()).toEqual([`same.local${round}`, ...Array.from({ length: N - 1 }, (_, i) => `same.local${round}${i + 2}`)].sort());
    }
  });
});

describe('concurrent updates of one connection', () => {
  const WRITERS = 4;
  const ROUNDS = 8;
  /** Everything writer `i` of round `r` writes; a mix of two writers would show in any of these fields. */
  const inputOf = (i: number, r: number) => ({
    port: 3000 + i,
    lockMonitoringDelay: 10 + i,
    tags: [
      { key: 'writer', value: `w${i}` },
      { key: 'round', value: `r${r}` },
      { key: `only_w${i}`, value: 'yes' },
    ],
  });
  const expectedOf = (i: number, r: number) => ({
    port: 3000 + i,
    lockMonitoringDelay: 10 + i,
    tagString: `writer=w${i},round=r${r},only_w${i}=yes`,
    userTags: [
      { key: 'writer', value: `w${i}` },
      { key: 'round', value: `r${r}` },
      { key: `only_w${i}`, value: 'yes' },
    ],
  });
  const FIELDS = `port lockMonitoringDelay tagString tags { key value automatic }`;
  const view = (c: { port: number; lockMonitoringDelay: number; tagString: string; tags: { key: string; value: string; automatic: boolean }[] }) => ({
    port: c.port,
    lockMonitoringDelay: c.lockMonitoringDelay,
    tagString: c.tagString,
    userTags: c.tags.filter((t) => !t.automatic).map(({ key, value }) => ({ key, value })),
  });

  test("GraphQL and REST writers racing: the row and every answer are exactly one writer's input", async () => {
    const name = 'race-update';
    await gw.gqlOk(
      `mutation { createConnection(name: "${name}", input: { host: "127.0.0.1", port: 5432, user: "monitor", password: "secret" }) { name } }`,
      {},
      admin,
    );
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const candidates = Array.from({ length: WRITERS }, (_, i) => expectedOf(i, round));
      const results = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) => {
          const input = inputOf(i, round);
          // Odd writers speak REST (tags as one string), even writers GraphQL: both paths share the service.
          if (i % 2) {
            return restCall('PUT', `/ds-api/pool/pg-instances/${name}`, {
              port: input.port,
              'lock-monitoring-delay': input.lockMonitoringDelay,
              tags: input.tags.map((t) => `${t.key}=${t.value}`).join(','),
            });
          }
          return gql(`mutation($name: String!, $input: UpdateConnectionInput!) { updateConnection(name: $name, input: $input) { ${FIELDS} } }`, {
            name,
            input,
          });
        }),
      );
      for (const [i, r] of results.entries()) {
        if (i % 2) {
          expect(r).toEqual({ status: 200, body: { status: 'Connection updated!' } });
        } else {
          const answer = r as GraphQLResponse;
          expect(answer.errors).toBeUndefined();
          // The answer may already show a later writer (it is read after the commit), but never a mix.
          expect(candidates).toContainEqual(view(answer.data!.updateConnection));
        }
      }
      const stored = (await gw.gqlOk(`query($name: String!) { connection(name: $name) { ${FIELDS} } }`, { name }, admin)).connection;
      expect(candidates).toContainEqual(view(stored));
      winners.push(stored.port - 3000);
      const rest = await restCall('GET', `/ds-api/pool/pg-instances/${name}`);
      expect(rest.body.tags).toBe(stored.tagString);
      expect(rest.body.port).toBe(stored.port);
    }
    process.stdout.write(`races: last writer per round of concurrent updates: ${winners.map((w) => `w${w}`).join(' ')}\n`);
  });
});

describe('writes racing the deletion of their connection', () => {
  test('update, disable and enable during a delete: each ends ok or NOT_FOUND, never a 500', async () => {
    const seen: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      const name = `race-doomed-${round}`;
      await gw.gqlOk(
        `mutation { createConnection(name: "${name}", input: { host: "127.0.0.1", port: 5432, user: "monitor", password: "secret" }) { name } }`,
        {},
        admin,
      );
      const results = await Promise.all([
        gql(`mutation { updateConnection(name: "${name}", input: { port: 6543, tags: [{ key: "k", value: "v" }] }) { port } }`),
        gql(`mutation { disableConnection(name: "${name}") { enabled } }`),
        sleep(round * 2).then(() => gql(`mutation { deleteConnection(name: "${name}") }`)),
        gql(`mutation { enableConnection(name: "${name}") { enabled } }`),
      ]);
      const outcomes = results.map((r) => String(outcome(r)));
      seen.push(...outcomes);
      expect(outcomes[2]).toBe('ok');
      for (const o of outcomes) expect(['ok', 'NOT_FOUND']).toContain(o);
      expect((await gw.gqlOk(`{ connection(name: "${name}") { name } }`, {}, admin)).connection).toBeNull();
    }
    process.stdout.write(`races: writes racing a delete ${JSON.stringify(tally(seen))}\n`);
  });
});

describe('deleting a role while a user is being assigned to it', () => {
  const ROUNDS = 12;

  test('updateUser(roles) racing deleteRole: ROLE_IN_USE, or the assignment is refused; never a dangling assignment', async () => {
    const emails = Array.from({ length: ROUNDS }, (_, r) => `assignee${r}@corp.com`);
    for (const email of emails) {
      await gw.gqlOk(
        `mutation($email: String!) { createUser(email: $email, input: { password: "${PASSWORD}", privilege: READ }) { login } }`,
        { email },
        admin,
      );
    }
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const role = `doomed-${round}`;
      await gw.gqlOk(`mutation($role: String!) { createRole(name: $role, access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, { role }, admin);
      const [assign, remove] = await Promise.all([
        gql(`mutation($email: String!, $role: String!) { updateUser(email: $email, input: { roles: [$role] }) { roles { name } } }`, {
          email: emails[round],
          role,
        }),
        // A few milliseconds of head start now and then, so that both orders happen.
        sleep((round % 6) * 3).then(() => gql(`mutation($role: String!) { deleteRole(name: $role) }`, { role })),
      ]);
      const pair = `${outcome(assign)}/${outcome(remove)}`;
      seen.push(pair);
      expect(['ok/ROLE_IN_USE', 'BAD_USER_INPUT/ok']).toContain(pair);
      const state = await gw.gqlOk(
        `query($email: String!, $role: String!) { user(email: $email) { roles { name } } role(name: $role) { name users { email } } }`,
        { email: emails[round], role },
        admin,
      );
      if (pair === 'ok/ROLE_IN_USE') {
        expect(assign.data!.updateUser.roles).toEqual([{ name: role }]);
        expect(state).toEqual({ user: { roles: [{ name: role }] }, role: { name: role, users: [{ email: emails[round] }] } });
      } else {
        expect(state).toEqual({ user: { roles: [] }, role: null });
      }
    }
    const [{ n }] = await gw.gateway.dataSource.query(`SELECT count(*)::int AS n FROM user_roles ur LEFT JOIN roles r ON r.id = ur.role_id WHERE r.id IS NULL`);
    expect(n).toBe(0);
    process.stdout.write(`races: assign/delete outcomes ${JSON.stringify(tally(seen))}\n`);
  });

  test('createUser(roles) racing deleteRole: the same guarantees', async () => {
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const role = `doomed-new-${round}`;
      const email = `newcomer${round}@corp.com`;
      await gw.gqlOk(`mutation($role: String!) { createRole(name: $role, access: [{ filters: [{ tag: "env", value: "dev" }] }]) { name } }`, { role }, admin);
      const [create, remove] = await Promise.all([
        gql(
          `mutation($email: String!, $role: String!) { createUser(email: $email, input: { password: "${PASSWORD}", privilege: READ, roles: [$role] }) { roles { name } } }`,
          { email, role },
        ),
        // createUser hashes the password first (tens of ms): a growing head start lets either side win some rounds.
        sleep((round % 6) * 25).then(() => gql(`mutation($role: String!) { deleteRole(name: $role) }`, { role })),
      ]);
      const pair = `${outcome(create)}/${outcome(remove)}`;
      seen.push(pair);
      expect(['ok/ROLE_IN_USE', 'BAD_USER_INPUT/ok']).toContain(pair);
      const state = await gw.gqlOk(
        `query($email: String!, $role: String!) { user(email: $email) { roles { name } } role(name: $role) { name } }`,
        { email, role },
        admin,
      );
      expect(state).toEqual(pair === 'ok/ROLE_IN_USE' ? { user: { roles: [{ name: role }] }, role: { name: role } } : { user: null, role: null });
    }
    process.stdout.write(`races: create-with-role/delete outcomes ${JSON.stringify(tally(seen))}\n`);
  });
});

describe('the last unrestricted administrator', () => {
  const ROUNDS = 6;
  const SECOND = 'second.admin@corp.com';

  async function unrestrictedAdmins(): Promise<string[]> {
    const rows: { login: string }[] = await gw.gateway.dataSource.query(
      `SELECT login FROM users u WHERE privilege = 'admin' AND profile = 'data admin'
         AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id) ORDER BY login`,
    );
    return rows.map((r) => r.login);
  }

  /** Ways to stop being an unrestricted administrator. */
  const DEMOTIONS: { label: string; mutation: string }[] = [
    { label: 'privilege', mutation: `mutation($email: String!) { updateUser(email: $email, input: { privilege: READ }) { login } }` },
    { label: 'profile', mutation: `mutation($email: String!) { updateUser(email: $email, input: { profile: DEVELOPER }) { login } }` },
    { label: 'role', mutation: `mutation($email: String!) { updateUser(email: $email, input: { roles: ["admin-race-role"] }) { login } }` },
    { label: 'delete', mutation: `mutation($email: String!) { deleteUser(email: $email) }` },
  ];

  test('two concurrent demotions of the only two never leave zero', async () => {
    // Only two unrestricted administrators: datasentinel and the second one (every other user of this file is READ).
    await gw.gqlOk(`mutation { createRole(name: "admin-race-role", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin);
    const firstEmail: string = (await gw.gqlOk(`{ me { email } }`, {}, admin)).me.email;
    const seen: string[] = [];
    for (let round = 0; round < ROUNDS * DEMOTIONS.length; round += 1) {
      await gw.gql(`mutation { createUser(email: "${SECOND}", input: { password: "${PASSWORD}" }) { login } }`, {}, admin);
      // Restore the second administrator to full rights if an earlier round left it demoted.
      await gw.gqlOk(`mutation { updateUser(email: "${SECOND}", input: { privilege: ADMIN, profile: DATA_ADMIN, roles: [] }) { login } }`, {}, admin);
      expect(await unrestrictedAdmins()).toEqual(['datasentinel', 'second.admin']);
      const first = admin;
      const second = await gw.token('second.admin', PASSWORD);
      const a = DEMOTIONS[round % DEMOTIONS.length]!;
      const b = DEMOTIONS[Math.floor(round / DEMOTIONS.length) % DEMOTIONS.length]!;
      // Each demotes the other, at the same instant.
      const [r1, r2] = await Promise.all([gql(a.mutation, { email: SECOND }, first), gql(b.mutation, { email: firstEmail }, second)]);
      const pair = [outcome(r1), outcome(r2)];
      seen.push(`${a.label}+${b.label}:${pair.join('/')}`);
      // One succeeds; the other is refused: LAST_ADMIN, or FORBIDDEN when its caller had already lost the right, or
      // UNAUTHENTICATED when its caller had already been deleted (a deleted user's token stops working at once).
      expect(pair.filter((o) => o === 'ok')).toHaveLength(1);
      const winner = pair[0] === 'ok' ? a : b;
      const refusals = winner.label === 'delete' ? ['LAST_ADMIN', 'FORBIDDEN', 'UNAUTHENTICATED'] : ['LAST_ADMIN', 'FORBIDDEN'];
      expect(refusals).toContain(pair.find((o) => o !== 'ok'));
      const remaining = await unrestrictedAdmins();
      expect(remaining).toHaveLength(1);
      if (remaining[0] !== 'datasentinel') {
        // The first administrator lost its rights: the second one gives them back (a deleted datasentinel is recreated).
        const survivor = second;
        const back = await gw.gql(
          `mutation { updateUser(email: "${firstEmail}", input: { privilege: ADMIN, profile: DATA_ADMIN, roles: [] }) { login } }`,
          {},
          survivor,
        );
        if (errorCode(back) === 'NOT_FOUND') {
          await gw.gqlOk(`mutation { createUser(email: "${firstEmail}", input: { password: "admin-password-for-tests" }) { login } }`, {}, survivor);
          await gw.gateway.dataSource.query(`UPDATE users SET login = 'datasentinel' WHERE lower(email) = lower($1)`, [firstEmail]);
        } else {
          expect(back.errors).toBeUndefined();
        }
        admin = await gw.token();
      }
    }
    const lastAdmin = seen.filter((s) => s.includes('LAST_ADMIN')).length;
    process.stdout.write(`races: ${seen.length} demotion races, ${lastAdmin} refused with LAST_ADMIN, ${seen.length - lastAdmin} with FORBIDDEN\n`);
  });
});
