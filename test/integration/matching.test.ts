/**
 * Matching rules (CONTRACT section 1, "Roles" and "Who can do what"), run against the real database through the
 * service layer: every case is checked as a role preview, as a role's connection count, and as what a user holding
 * only that role sees (list, count, lookups by name and tag summary).
 */
import type { AccessGroup } from '../../src/access/access-rule';
import { automaticTags } from '../../src/access/tags';
import { createRequestContext, type RequestContext } from '../../src/context/request-context';
import type { Services } from '../../src/services';
import { parseServerVersion } from '../../src/services/probe.service';
import { testServer } from '../support/database';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let services: Services;
let pgVersion: string;
const local = testServer();

/** A fresh request context for a user, as the gateway builds one per request (fresh principal, fresh loaders). */
async function as(login: string): Promise<RequestContext> {
  const [row] = await services.dataSource.query('SELECT id, token_version FROM users WHERE login = $1', [login]);
  const principal = await services.auth.loadPrincipal(row.id, row.token_version);
  if (!principal) throw new Error(`no principal for ${login}`);
  return createRequestContext(services, principal);
}
const admin = () => as('datasentinel');

/** `g('env=prod', 'dc=lyon')` is one group (AND); a rule is a list of groups (OR). */
const g = (...pairs: string[]): AccessGroup => ({
  filters: pairs.map((p) => {
    const at = p.indexOf('=');
    return { tag: p.slice(0, at), value: p.slice(at + 1) };
  }),
});

/** Names and total the caller sees in `connections`, in the order the gateway returns them. */
async function visible(ctx: RequestContext): Promise<{ names: string[]; total: number }> {
  const page = services.connections.list(ctx, { first: 500 });
  return { names: (await page.items()).items.map((c) => c.name), total: await page.totalCount() };
}

const FIXTURE: { name: string; host: string; port?: number; tags: string[] }[] = [
  {
    name: 'lon-prod-sales',
    host: '127.0.0.2',
    tags: ['environment=production', 'datacenter=london', 'application=sales', 'alias=10.0.0.7@sales-prod', 'hosting=on-premises'],
  },
  { name: 'lon-uat-sales', host: '127.0.0.2', tags: ['environment=uat', 'datacenter=london', 'application=sales', 'hosting=on-premises'] },
  { name: 'par-prod-crm', host: '127.0.0.3', tags: ['environment=production', 'datacenter=paris', 'application=crm'] },
  { name: 'par-dev', host: '127.0.0.3', tags: ['environment=development', 'datacenter=paris', 'version=11.8', 'formula=a=b=c'] },
  { name: 'ny-prod-case', host: '127.0.0.4', tags: ['environment=Production', 'datacenter=new-york'] },
  { name: 'untagged', host: '127.0.0.5', tags: [] },
  { name: 'local-pg', host: local.host, port: local.port, tags: ['environment=production', 'datacenter=local'] },
];
const ALL = FIXTURE.map((c) => c.name).sort();

beforeAll(async () => {
  // Probes run for real: the loopback addresses on port 1 refuse at once, local-pg is the test server itself.
  gw = await startTestGateway({ probeTimeoutMs: 2000 });
  services = gw.gateway.services;
  pgVersion = parseServerVersion((await services.dataSource.query('SHOW server_version'))[0].server_version);
  const ctx = await admin();
  for (const c of FIXTURE) {
    await services.connections.create(ctx, c.name, {
      host: c.host,
      port: c.port ?? 1,
      user: c.port ? local.user : 'monitor',
      password: c.port ? local.password : 'secret',
      tags: c.tags.map((t) => ({ key: t.slice(0, t.indexOf('=')), value: t.slice(t.indexOf('=') + 1) })),
    });
  }
});
afterAll(() => gw?.stop());

test('the fixture is what the cases assume (automatic tags included)', async () => {
  const ctx = await admin();
  const rows = await Promise.all(ALL.map((n) => services.connections.get(ctx, n)));
  // The tags the matching engine reads: the database's generated column.
  const generated: { name: string; tags: Record<string, string> }[] = await services.dataSource.query('SELECT name, tags FROM connections ORDER BY name');
  // The gateway shows the same tags without reading that column (user tags plus automaticTags()).
  expect(Object.fromEntries(rows.map((c) => [c!.name, Object.fromEntries([...c!.userTags, ...automaticTags(c!)].map((t) => [t.key, t.value]))]))).toEqual(
    Object.fromEntries(generated.map((r) => [r.name, r.tags])),
  );
  expect(Object.fromEntries(generated.map((r) => [r.name, r.tags]))).toEqual({
    'local-pg': { environment: 'production', datacenter: 'local', server: local.host, pg_instance: `${local.host}@local-pg`, pg_version: pgVersion },
    'lon-prod-sales': {
      environment: 'production',
      datacenter: 'london',
      application: 'sales',
      alias: '10.0.0.7@sales-prod',
      hosting: 'on-premises',
      server: '127.0.0.2',
      pg_instance: '127.0.0.2@lon-prod-sales',
    },
    'lon-uat-sales': {
      environment: 'uat',
      datacenter: 'london',
      application: 'sales',
      hosting: 'on-premises',
      server: '127.0.0.2',
      pg_instance: '127.0.0.2@lon-uat-sales',
    },
    'ny-prod-case': { environment: 'Production', datacenter: 'new-york', server: '127.0.0.4', pg_instance: '127.0.0.4@ny-prod-case' },
    'par-dev': { environment: 'development', datacenter: 'paris', version: '11.8', formula: 'a=b=c', server: '127.0.0.3', pg_instance: '127.0.0.3@par-dev' },
    'par-prod-crm': { environment: 'production', datacenter: 'paris', application: 'crm', server: '127.0.0.3', pg_instance: '127.0.0.3@par-prod-crm' },
    untagged: { server: '127.0.0.5', pg_instance: '127.0.0.5@untagged' },
  });
  expect(rows.map((c) => [c!.name, c!.connected])).toEqual(ALL.map((n) => [n, n === 'local-pg']));
});

const CASES: [string, () => AccessGroup[], string[]][] = [
  ['one filter', () => [g('environment=production')], ['local-pg', 'lon-prod-sales', 'par-prod-crm']],
  ['AND inside a group', () => [g('environment=production', 'datacenter=london')], ['lon-prod-sales']],
  ['AND of three filters', () => [g('environment=production', 'datacenter=paris', 'application=crm')], ['par-prod-crm']],
  ['AND that no single connection satisfies', () => [g('environment=uat', 'datacenter=paris')], []],
  ['OR of groups', () => [g('environment=uat'), g('datacenter=paris')], ['lon-uat-sales', 'par-dev', 'par-prod-crm']],
  [
    'OR of overlapping groups counts each connection once',
    () => [g('application=sales'), g('datacenter=london'), g('hosting=on-premises')],
    ['lon-prod-sales', 'lon-uat-sales'],
  ],
  [
    'OR of AND groups',
    () => [g('environment=production', 'datacenter=london'), g('environment=development', 'datacenter=paris')],
    ['lon-prod-sales', 'par-dev'],
  ],
  ['values are exact and case-sensitive (Production)', () => [g('environment=Production')], ['ny-prod-case']],
  ['values are exact and case-sensitive (PRODUCTION)', () => [g('environment=PRODUCTION')], []],
  ['keys are case-sensitive', () => [g('Environment=production')], []],
  ['no prefix matching', () => [g('datacenter=lon')], []],
  ['no substring matching', () => [g('application=ale')], []],
  ['a value with dots', () => [g('version=11.8')], ['par-dev']],
  ['a value that is a prefix-number is not equal', () => [g('version=11')], []],
  ['a value with @ and -', () => [g('alias=10.0.0.7@sales-prod')], ['lon-prod-sales']],
  ['a value with "="', () => [g('formula=a=b=c')], ['par-dev']],
  ['a hyphenated value', () => [g('hosting=on-premises')], ['lon-prod-sales', 'lon-uat-sales']],
  ['automatic tag server', () => [g('server=127.0.0.2')], ['lon-prod-sales', 'lon-uat-sales']],
  ['automatic tag pg_instance', () => [g('pg_instance=127.0.0.3@par-dev')], ['par-dev']],
  ['pg_instance is host@name, not name@host', () => [g('pg_instance=par-dev@127.0.0.3')], []],
  ['automatic tag pg_version (set by a successful probe)', () => [g(`pg_version=${pgVersion}`)], ['local-pg']],
  ['automatic and user tags in one group', () => [g('server=127.0.0.3', 'environment=production')], ['par-prod-crm']],
  ['automatic tags in separate groups', () => [g('server=127.0.0.5'), g(`pg_version=${pgVersion}`)], ['local-pg', 'untagged']],
  ['a group with two values for one key matches nothing', () => [g('environment=production', 'environment=uat')], []],
  ['a contradictory group does not disturb the other groups', () => [g('environment=production', 'environment=uat'), g('application=crm')], ['par-prod-crm']],
  ['every group contradictory', () => [g('datacenter=london', 'datacenter=paris'), g('server=127.0.0.2', 'server=127.0.0.3')], []],
  ['the same filter twice is not a contradiction', () => [g('datacenter=paris', 'datacenter=paris')], ['par-dev', 'par-prod-crm']],
  ['a tag no connection has matches nothing', () => [g('owner=nobody')], []],
  ['an unknown tag in an AND group matches nothing', () => [g('environment=production', 'owner=nobody')], []],
  ['an unknown tag in its own group leaves the others', () => [g('owner=nobody'), g('environment=development')], ['par-dev']],
  ['a known tag with an unknown value matches nothing', () => [g('environment=staging')], []],
  [
    'every datacenter: all tagged connections',
    () => [g('datacenter=london'), g('datacenter=paris'), g('datacenter=new-york'), g('datacenter=local')],
    ALL.filter((n) => n !== 'untagged'),
  ],
  ['every server: everything', () => ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', local.host].map((h) => g(`server=${h}`)), ALL],
];

describe.each(CASES.map(([label, access, expected], i) => ({ label, access, expected, i })))('$label', ({ access, expected, i }) => {
  const role = `case-${i}`;
  const login = `case${i}`;

  beforeAll(async () => {
    const ctx = await admin();
    await services.roles.create(ctx, role, access());
    await services.users.create(ctx, `${login}@corp.com`, { ldap: true, privilege: 'read', roles: [role] });
  });

  test('previewAccess and the role match exactly these connections', async () => {
    const ctx = await admin();
    const preview = services.roles.preview(ctx, access(), { first: 500 });
    const stored = (await services.roles.get(ctx, role))!;
    const rolePage = services.roles.connectionsOf(ctx, stored, { first: 500 });
    expect({
      preview: (await preview.items()).items.map((c) => c.name),
      previewTotal: await preview.totalCount(),
      role: (await rolePage.items()).items.map((c) => c.name),
      roleCount: await services.roles.connectionCountOf(ctx, stored),
    }).toEqual({ preview: expected, previewTotal: expected.length, role: expected, roleCount: expected.length });
  });

  test('a user holding only this role sees exactly these connections, on every read path', async () => {
    const ctx = await as(login);
    const lookups = await Promise.all(ALL.map(async (n) => [n, (await services.connections.get(ctx, n))?.name ?? null]));
    const summary = await services.connections.tagSummary(ctx);
    const instances = summary.find((s) => s.key === 'pg_instance')?.values.map((v) => v.value.slice(v.value.indexOf('@') + 1)) ?? [];
    const me = await services.users.me(ctx);
    const own = await services.users.connectionsOf(ctx, me, { first: 500 });
    expect({
      list: await visible(ctx),
      lookups: Object.fromEntries(lookups),
      tagSummaryInstances: instances.sort(),
      ownConnections: (await own.items()).items.map((c) => c.name),
    }).toEqual({
      list: { names: expected, total: expected.length },
      lookups: Object.fromEntries(ALL.map((n) => [n, expected.includes(n) ? n : null])),
      tagSummaryInstances: expected,
      ownConnections: expected,
    });
  });
});

describe('users, roles and visibility', () => {
  let n = 0;
  /** Creates a read-only LDAP user (no password hashing: fast) holding `roles`; returns its login. */
  async function user(roles: string[]): Promise<string> {
    n += 1;
    const created = await services.users.create(await admin(), `visibility${n}@corp.com`, { ldap: true, privilege: 'read', roles });
    return created.login;
  }
  async function role(name: string, access: AccessGroup[]): Promise<string> {
    await services.roles.create(await admin(), name, access);
    return name;
  }
  const names = async (login: string) => (await visible(await as(login))).names;

  test('a user with no role sees every connection', async () => {
    expect(await visible(await as(await user([])))).toEqual({ names: ALL, total: ALL.length });
  });

  test('several roles: the union of what each matches', async () => {
    const prod = await role('u-prod', [g('environment=production')]);
    const paris = await role('u-paris', [g('datacenter=paris')]);
    const ny = await role('u-ny', [g('server=127.0.0.4')]);
    expect({
      prodParis: await names(await user([prod, paris])),
      parisNy: await names(await user([paris, ny])),
      all3: await names(await user([prod, paris, ny])),
    }).toEqual({
      prodParis: ['local-pg', 'lon-prod-sales', 'par-dev', 'par-prod-crm'],
      parisNy: ['ny-prod-case', 'par-dev', 'par-prod-crm'],
      all3: ['local-pg', 'lon-prod-sales', 'ny-prod-case', 'par-dev', 'par-prod-crm'],
    });
  });

  test('a role whose groups all contradict: its holder sees nothing at all (not everything)', async () => {
    const never = await role('u-never', [g('environment=production', 'environment=uat'), g('datacenter=paris', 'datacenter=london')]);
    const login = await user([never]);
    const ctx = await as(login);
    expect({
      list: await visible(ctx),
      lookup: await services.connections.get(ctx, 'par-dev'),
      tags: await services.connections.tagSummary(ctx),
    }).toEqual({ list: { names: [], total: 0 }, lookup: null, tags: [] });
  });

  test('a role matching nothing adds nothing to another role', async () => {
    const never = await role('u-never2', [g('environment=production', 'environment=uat')]);
    const unknown = await role('u-unknown', [g('owner=nobody')]);
    const uat = await role('u-uat', [g('environment=uat')]);
    expect(await names(await user([never, unknown, uat]))).toEqual(['lon-uat-sales']);
  });

  test('a tag change is visible on the next request, both ways', async () => {
    const dev = await role('u-dev', [g('environment=development')]);
    const login = await user([dev]);
    expect(await names(login)).toEqual(['par-dev']);
    const ctx = await admin();
    await services.connections.update(ctx, 'untagged', { tags: [{ key: 'environment', value: 'development' }] });
    expect(await names(login)).toEqual(['par-dev', 'untagged']);
    await services.connections.update(ctx, 'par-dev', { tags: [{ key: 'environment', value: 'uat' }] });
    expect(await names(login)).toEqual(['untagged']);
    // Put the fixture back as it was.
    await services.connections.update(ctx, 'untagged', { tags: [] });
    await services.connections.update(ctx, 'par-dev', {
      tags: [
        { key: 'environment', value: 'development' },
        { key: 'datacenter', value: 'paris' },
        { key: 'version', value: '11.8' },
        { key: 'formula', value: 'a=b=c' },
      ],
    });
    expect(await names(login)).toEqual(['par-dev']);
  });

  test('a host change moves the automatic tags, and what matches them', async () => {
    const byServer = await role('u-server9', [g('server=127.0.0.9')]);
    const byInstance = await role('u-inst9', [g('pg_instance=127.0.0.9@untagged')]);
    const a = await user([byServer]);
    const b = await user([byInstance]);
    expect([await names(a), await names(b)]).toEqual([[], []]);
    const ctx = await admin();
    await services.connections.update(ctx, 'untagged', { host: '127.0.0.9' });
    expect([await names(a), await names(b)]).toEqual([['untagged'], ['untagged']]);
    await services.connections.update(ctx, 'untagged', { host: '127.0.0.5' });
    expect([await names(a), await names(b)]).toEqual([[], []]);
  });

  test('a role change is visible to its holders on the next request', async () => {
    const moving = await role('u-moving', [g('datacenter=london')]);
    const login = await user([moving]);
    expect(await names(login)).toEqual(['lon-prod-sales', 'lon-uat-sales']);
    await services.roles.update(await admin(), moving, [g('datacenter=new-york'), g('application=crm')]);
    expect(await names(login)).toEqual(['ny-prod-case', 'par-prod-crm']);
  });

  test('a change of the roles held is visible on the next request', async () => {
    const london = await role('u-london', [g('datacenter=london')]);
    const crm = await role('u-crm', [g('application=crm')]);
    const login = await user([london]);
    expect(await names(login)).toEqual(['lon-prod-sales', 'lon-uat-sales']);
    await services.users.update(await admin(), `${login}@corp.com`, { roles: [crm] });
    expect(await names(login)).toEqual(['par-prod-crm']);
    await services.users.update(await admin(), `${login}@corp.com`, { roles: [] });
    expect(await names(login)).toEqual(ALL);
  });

  test('a new connection is visible at once to the users it matches, and gone once deleted', async () => {
    const uat = await role('u-uat2', [g('environment=uat')]);
    const login = await user([uat]);
    const other = await user([await role('u-crm2', [g('application=crm')])]);
    const ctx = await admin();
    await services.connections.create(ctx, 'new-uat', { host: '127.0.0.6', port: 1, user: 'm', password: 'p', tags: [{ key: 'environment', value: 'uat' }] });
    expect([await names(login), await names(other)]).toEqual([['lon-uat-sales', 'new-uat'], ['par-prod-crm']]);
    await services.connections.delete(ctx, 'new-uat');
    expect(await names(login)).toEqual(['lon-uat-sales']);
  });
});
