/**
 * Rules written both in TypeScript and in SQL, evaluated over the same case tables by both in a real PostgreSQL:
 * the answers must be equal, case by case. The TypeScript is the source (src/access/*); the SQL functions live in
 * migrations (history), so these tests are what keeps them equal.
 *
 * - automatic tags: `automaticTags()` (src/access/tags.ts) and `ds_connection_tags()` (migration InitialSchema);
 * - group semantics: `compileRules()` (src/access/predicate.ts) and `ds_group_selector()` (migration RoleMembership);
 * - the unrestricted administrator: `countsAsAdministrator()` and `countsAsAdministratorSql()` (src/access/administration.ts);
 * - the monitoring settings' column defaults (migration InitialSchema) and the settings table's defaults;
 * - the access-relation lock taken by a probe that records `pg_version` (an automatic tag).
 */
import { Client } from 'pg';
import type { AccessGroup } from '../../src/access/access-rule';
import { countsAsAdministrator, countsAsAdministratorSql } from '../../src/access/administration';
import { compileRules } from '../../src/access/predicate';
import { automaticTags, type TagPair } from '../../src/access/tags';
import { createRequestContext, type RequestContext } from '../../src/context/request-context';
import { ACCESS_RELATION_LOCK } from '../../src/db/locks';
import { ConnectionEntity } from '../../src/entities/connection.entity';
import type { Privilege, Profile } from '../../src/entities/user.entity';
import type { Services } from '../../src/services';
import { DEFAULT_MONITORING_SETTINGS, MONITORING_SETTING_ROWS } from '../../src/services/connections';
import { testServer } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let services: Services;

/** A statement's rows, typed by the caller. */
const sql = <T>(text: string, params: unknown[] = []): Promise<T[]> => services.dataSource.query(text, params) as Promise<T[]>;

async function admin(): Promise<RequestContext> {
  const [row] = await sql<{ id: number; token_version: number }>(`SELECT id, token_version FROM users WHERE login = 'datasentinel'`);
  const principal = row && (await services.auth.loadPrincipal(row.id, row.token_version));
  if (!principal) throw new Error('no administrator');
  return createRequestContext(services, principal);
}

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 5000 });
  services = gw.gateway.services;
});
afterAll(() => gw?.stop());

/** The tag object the matching engine reads, as the TypeScript derives it: user tags, then automatic ones (they win). */
function tagsInTypeScript(c: { userTags: TagPair[]; host: string; name: string; pgVersion: string | null }): Record<string, string> {
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { key, value } of [...c.userTags, ...automaticTags(c)]) tags[key] = value;
  return { ...tags };
}

describe('automatic tags: automaticTags() = ds_connection_tags()', () => {
  const CASES: { case: string; userTags: TagPair[]; host: string; name: string; pgVersion: string | null }[] = [
    { case: 'no user tag, not probed', userTags: [], host: 'db1.example.invalid', name: 'sales', pgVersion: null },
    { case: 'probed', userTags: [], host: 'db1.example.invalid', name: 'sales', pgVersion: '16.4' },
    { case: 'beta version', userTags: [], host: '10.0.0.7', name: 'x', pgVersion: '18beta1' },
    { case: 'user tags kept', userTags: [{ key: 'environment', value: 'production' }], host: 'h', name: 'n', pgVersion: '15.2' },
    { case: 'value with = and @', userTags: [{ key: 'alias', value: 'a=b@c' }], host: 'h@x', name: 'n.1', pgVersion: null },
    { case: 'automatic keys win over user keys', userTags: [{ key: 'server', value: 'spoof' }], host: 'real', name: 'n', pgVersion: null },
    { case: 'pg_instance spoof', userTags: [{ key: 'pg_instance', value: 'spoof' }], host: 'real', name: 'n', pgVersion: '9.6' },
    { case: 'unicode', userTags: [{ key: 'city', value: 'Zürich 😀' }], host: 'hôte', name: 'name-😀', pgVersion: null },
    { case: 'empty version string', userTags: [], host: 'h', name: 'n', pgVersion: '' },
  ];

  test.each(CASES)('$case', async (c) => {
    const [{ tags }] = await sql<{ tags: unknown }>('SELECT ds_connection_tags($1::jsonb, $2, $3, $4) AS tags', [
      JSON.stringify(c.userTags),
      c.host,
      c.name,
      c.pgVersion,
    ]);
    expect(tags).toEqual(tagsInTypeScript(c));
  });
});

describe('group semantics: compileRules() = ds_group_selector()', () => {
  const f = (tag: string, value: string) => ({ tag, value });
  const CASES: { case: string; filters: { tag: string; value: string }[] }[] = [
    { case: 'empty group matches nothing', filters: [] },
    { case: 'one filter', filters: [f('environment', 'production')] },
    { case: 'two tags (AND)', filters: [f('environment', 'production'), f('datacenter', 'london')] },
    { case: 'the same filter twice', filters: [f('environment', 'production'), f('environment', 'production')] },
    { case: 'one tag, two values: contradiction', filters: [f('environment', 'production'), f('environment', 'uat')] },
    { case: 'contradiction among others', filters: [f('a', '1'), f('b', '2'), f('a', '3')] },
    { case: 'case-sensitive keys are different tags', filters: [f('Env', 'x'), f('env', 'y')] },
    { case: 'case-sensitive values contradict', filters: [f('env', 'Prod'), f('env', 'prod')] },
    { case: 'a key named __proto__', filters: [f('__proto__', 'x')] },
    { case: 'automatic tags', filters: [f('server', 'db1'), f('pg_version', '16.4')] },
    { case: 'unicode', filters: [f('city', 'Zürich 😀')] },
  ];

  test.each(CASES)('$case', async (c) => {
    const [{ selector }] = await sql<{ selector: unknown }>('SELECT ds_group_selector($1::jsonb) AS selector', [JSON.stringify({ filters: c.filters })]);
    const compiled = compileRules([[{ filters: c.filters }]]);
    expect(compiled.length).toBeLessThanOrEqual(1);
    expect(selector).toEqual(compiled[0] === undefined ? null : { ...compiled[0] });
  });

  // Whole rules (OR of groups) over a few connections' tags: the TypeScript's selector set and the SQL's per-group
  // selectors match the same connections.
  const TAGS: Record<string, string>[] = [
    { environment: 'production', datacenter: 'london' },
    { environment: 'production', datacenter: 'paris' },
    { environment: 'uat', datacenter: 'london' },
    { environment: 'Production' },
    {},
  ];
  const RULES: AccessGroup[][] = [
    [{ filters: [f('environment', 'production')] }],
    [{ filters: [f('environment', 'production')] }, { filters: [f('environment', 'production'), f('datacenter', 'london')] }],
    [{ filters: [f('environment', 'uat')] }, { filters: [f('datacenter', 'paris')] }],
    [{ filters: [f('environment', 'uat'), f('environment', 'production')] }],
    [{ filters: [] }, { filters: [f('datacenter', 'london')] }],
  ];

  test.each(RULES.map((rule, i) => ({ rule, i })))('rule $i matches the same connections', async ({ rule }) => {
    const selectors = compileRules([rule]);
    const inTypeScript = TAGS.map((tags) => selectors.some((s) => Object.entries(s).every(([k, v]) => tags[k] === v)));
    const inSql = await sql<{ matches: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM jsonb_array_elements($1::jsonb) g WHERE ds_group_selector(g) IS NOT NULL AND t.tags @> ds_group_selector(g)) AS matches
         FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS t(tags, n) ORDER BY n`,
      [JSON.stringify(rule), JSON.stringify(TAGS)],
    );
    expect(inSql.map((r) => r.matches)).toEqual(inTypeScript);
  });
});

describe('unrestricted administrator: countsAsAdministrator() = countsAsAdministratorSql()', () => {
  const CASES: { privilege: Privilege; profile: Profile; roleCount: number; ldap: boolean }[] = [];
  for (const privilege of ['read', 'read write', 'admin'] as const)
    for (const profile of ['developer', 'data admin'] as const)
      for (const roleCount of [0, 1, 2]) for (const ldap of [false, true]) CASES.push({ privilege, profile, roleCount, ldap });

  test(`every combination (${CASES.length} accounts)`, async () => {
    const roleIds: number[] = [];
    for (const name of ['parity-a', 'parity-b']) {
      const [{ id }] = await sql<{ id: number }>(`INSERT INTO roles (name, access) VALUES ($1, '[{"filters":[{"tag":"t","value":"v"}]}]') RETURNING id`, [
        name,
      ]);
      roleIds.push(id);
    }
    const expected = new Map<number, boolean>();
    for (const [i, c] of CASES.entries()) {
      const [{ id }] = await sql<{ id: number }>(
        `INSERT INTO users (email, login, password_hash, privilege, profile, ldap) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [`parity${i}@example.invalid`, `parity${i}`, c.ldap ? null : 'not-a-hash', c.privilege, c.profile, c.ldap],
      );
      for (const roleId of roleIds.slice(0, c.roleCount))
        await services.dataSource.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)', [id, roleId]);
      expected.set(id, countsAsAdministrator(c));
    }
    const rows = await sql<{ id: number; counts: boolean }>(
      `SELECT u.id, ${countsAsAdministratorSql('u')} AS counts FROM users u WHERE u.login LIKE 'parity%' ORDER BY u.id`,
    );
    expect(rows).toHaveLength(CASES.length);
    expect(new Map(rows.map((r) => [r.id, r.counts]))).toEqual(expected);
    // The table is not trivially one-sided.
    expect([...expected.values()].filter(Boolean)).toHaveLength(1);
  });
});

test('the migration column defaults of the monitoring settings equal the settings table', async () => {
  const [{ id }] = await sql<{ id: number }>(
    `INSERT INTO connections (name, host, port, username, password_encrypted) VALUES ('defaults', 'h.invalid', 1, 'u', 'x') RETURNING id`,
  );
  try {
    const stored = await services.dataSource.manager.findOneByOrFail(ConnectionEntity, { id });
    const settings = Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.name, stored[s.name]]));
    expect(settings).toEqual({ ...DEFAULT_MONITORING_SETTINGS });
  } finally {
    await services.dataSource.query('DELETE FROM connections WHERE id = $1', [id]);
  }
});

test('a probe that records pg_version takes the access-relation lock before it locks the row', async () => {
  const local = testServer();
  const ctx = await admin();
  await services.connections.create(ctx, 'probe-lock', { host: local.host, port: local.port, user: local.user, password: local.password });
  // An older version, so that the next probe changes the automatic tag `pg_version`.
  await services.dataSource.query(`UPDATE connections SET pg_version = '0.0' WHERE name = 'probe-lock'`);
  const other = new Client({ connectionString: gw.database.url });
  await other.connect();
  try {
    // Another writer of the access relation holds the lock (as a role rewrite would) ...
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock($1)', [ACCESS_RELATION_LOCK]);
    const reprobe = services.connections.reprobeAll(ctx);
    // ... so the probe's recording waits for it:
    let waiter: number | undefined;
    for (let attempt = 0; attempt < 200 && waiter === undefined; attempt += 1) {
      const rows = (
        await other.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1::bigint AND objsubid = 1`,
          [ACCESS_RELATION_LOCK],
        )
      ).rows;
      waiter = rows[0]?.pid;
      if (waiter === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(waiter).toBeDefined();
    // ... holding no lock on connections yet (without the lock first, its UPDATE would hold the row and wait in the
    // trigger: the reverse order of every other writer).
    const held = await other.query(`SELECT mode FROM pg_locks WHERE pid = $1 AND relation = 'connections'::regclass`, [waiter]);
    expect(held.rows).toEqual([]);
    // So the other writer can still write that row (without the fix: a deadlock, one of the two aborted).
    await other.query(`SET LOCAL lock_timeout = '10s'`);
    await other.query(`UPDATE connections SET user_tags = '[{"key":"k","value":"v"}]' WHERE name = 'probe-lock'`);
    await other.query('COMMIT');
    await expect(reprobe).resolves.toEqual({ connected: 1, failed: 0 });
  } finally {
    await other.end();
  }
  const [row] = await sql<{ pg_version: string; k: string }>(`SELECT pg_version, tags->>'k' AS k FROM connections WHERE name = 'probe-lock'`);
  expect(row?.k).toBe('v');
  expect(row?.pg_version).not.toBe('0.0');
});
