/**
 * Relay object identification: `node(id)` round-trips every Node type; `node`/`nodes` answer null for what the caller
 * may not see exactly as for what does not exist; Apollo Client's InMemoryCache normalizes our pages with no
 * `keyFields` (possibleTypes aside, nothing configured).
 */
import { InMemoryCache, gql } from '@apollo/client/core';
import { print } from 'graphql';
import { globalIdOf } from '../../src/services/global-id';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { seedConnections, seedRoles } from '../support/seed';

let gw: TestGateway;
let admin: string;
let blue: string;

const NODE = `__typename id ... on Connection { name } ... on Role { name } ... on User { login } ... on ApiKey { name owner { login } }`;

beforeAll(async () => {
  gw = await startTestGateway({ probeTimeoutMs: 0 });
  admin = await gw.token();
  const ds = gw.gateway.dataSource;
  await seedConnections(ds, [
    { name: 'blue-1', tags: { team: 'blue' } },
    { name: 'blue-2', tags: { team: 'blue' } },
    { name: 'red-1', tags: { team: 'red' } },
  ]);
  await seedRoles(ds, [
    { name: 'blue-team', access: [{ filters: [{ tag: 'team', value: 'blue' }] }] },
    { name: 'red-team', access: [{ filters: [{ tag: 'team', value: 'red' }] }] },
  ]);
  await gw.gqlOk(
    `mutation { createUser(email: "blue@corp.test", input: { password: "blue-password-1", privilege: READ, profile: DEVELOPER, roles: ["blue-team"] }) { login } }`,
    {},
    admin,
  );
  blue = await gw.token('blue', 'blue-password-1');
  await gw.gqlOk(`mutation { createApiKey(name: "admin-key") { apiKey { id } } }`, {}, admin);
  await gw.gqlOk(`mutation { createApiKey(name: "blue-key") { apiKey { id } } }`, {}, blue);
});
afterAll(() => gw?.stop());

async function ids(token: string): Promise<Record<string, string>> {
  const data = await gw.gqlOk<any>(`{ connections { nodes { id name } } roles { id name } users { id login } apiKeys { id name } }`, {}, token);
  const entries: [string, string][] = [
    ...data.connections.nodes.map((c: any) => [`Connection:${c.name}`, c.id]),
    ...data.roles.map((r: any) => [`Role:${r.name}`, r.id]),
    ...data.users.map((u: any) => [`User:${u.login}`, u.id]),
    ...data.apiKeys.map((k: any) => [`ApiKey:${k.name}`, k.id]),
  ];
  return Object.fromEntries(entries);
}

test('node(id) round-trips every Node type, and nodes(ids) answers in order', async () => {
  const all = await ids(admin);
  expect(Object.keys(all).sort()).toEqual(
    [
      'ApiKey:admin-key',
      'ApiKey:blue-key',
      'Connection:blue-1',
      'Connection:blue-2',
      'Connection:red-1',
      'Role:blue-team',
      'Role:red-team',
      'User:blue',
      'User:datasentinel',
    ].sort(),
  );
  for (const [label, id] of Object.entries(all)) {
    const [type, key] = label.split(':') as [string, string];
    const { node } = await gw.gqlOk<any>(`query($id: ID!) { node(id: $id) { ${NODE} } }`, { id }, admin);
    expect(node.__typename).toBe(type);
    expect(node.id).toBe(id);
    expect(node.name ?? node.login).toBe(key);
  }
  // Ids are unique across types.
  expect(new Set(Object.values(all)).size).toBe(Object.keys(all).length);
  const order = ['Role:red-team', 'Connection:blue-2', 'User:blue', 'ApiKey:blue-key'];
  const { nodes } = await gw.gqlOk<any>(`query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE} } }`, { ids: [...order.map((l) => all[l]), 'garbage'] }, admin);
  expect(nodes.map((n: any) => n && `${n.__typename}:${n.name ?? n.login}`)).toEqual([...order, null]);
  // User ids are the released numeric ids, unchanged.
  expect(all['User:datasentinel']).toMatch(/^\d+$/);
});

test('what the caller cannot see answers exactly as what does not exist', async () => {
  const all = await ids(admin);
  const ask = (id: string, token = blue) => gw.gql(`query($id: ID!) { node(id: $id) { ${NODE} } }`, { id }, token);
  const nothing = { data: { node: null } };
  const missing = [globalIdOf('Connection', 'no-such'), globalIdOf('Role', 'no-such'), '999999', globalIdOf('ApiKey', '999999'), 'garbage', ''];
  const hidden = [all['Connection:red-1']!, all['Role:red-team']!, all['User:datasentinel']!, all['ApiKey:admin-key']!];
  for (const id of [...missing, ...hidden]) expect(await ask(id)).toEqual(nothing);
  // What the restricted user does see: their connections, their own role, themselves, their own key.
  const visible = ['Connection:blue-1', 'Role:blue-team', 'User:blue', 'ApiKey:blue-key'];
  const { nodes } = await gw.gqlOk<any>(`query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE} } }`, { ids: [...visible.map((l) => all[l]), ...hidden] }, blue);
  expect(nodes.map((n: any) => n && `${n.__typename}:${n.name ?? n.login}`)).toEqual([...visible, null, null, null, null]);
  // Administration fields stay guarded on a role reached by id.
  const guarded = await gw.gql(`query($id: ID!) { node(id: $id) { ... on Role { users { login } } } }`, { id: all['Role:blue-team'] }, blue);
  expect(guarded.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  // Without credentials: the usual UNAUTHENTICATED.
  expect((await gw.gql(`{ node(id: "x") { id } }`, {})).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  const tooMany = await gw.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: Array.from({ length: 501 }, () => 'x') }, blue);
  expect(tooMany.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|QUERY_TOO_COSTLY/);
});

test('revokeApiKey takes the global id (and the numeric id of pre-release builds)', async () => {
  const created = await gw.gqlOk<any>(`mutation { createApiKey(name: "to-revoke") { apiKey { id } } }`, {}, blue);
  expect(await gw.gqlOk(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: created.createApiKey.apiKey.id }, blue)).toEqual({ revokeApiKey: true });
  const [row] = await gw.gateway.dataSource.query(`SELECT id::text FROM api_keys WHERE name = 'to-revoke'`);
  expect(globalIdOf('ApiKey', row.id)).toBe(created.createApiKey.apiKey.id);
  const another = await gw.gqlOk<any>(`mutation { createApiKey(name: "to-revoke-2") { apiKey { id } } }`, {}, blue);
  const [row2] = await gw.gateway.dataSource.query(`SELECT id::text FROM api_keys WHERE name = 'to-revoke-2'`);
  expect(globalIdOf('ApiKey', row2.id)).toBe(another.createApiKey.apiKey.id);
  expect(await gw.gqlOk(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: row2.id }, blue)).toEqual({ revokeApiKey: true });
});

test("Apollo Client's InMemoryCache normalizes pages and objects with no keyFields configured", async () => {
  const cache = new InMemoryCache({ possibleTypes: { Node: ['Connection', 'Role', 'User', 'ApiKey'] } });
  const query = gql`
    query Dashboard($after: String) {
      me {
        id
        login
        roles {
          id
          name
        }
      }
      connections(first: 1, after: $after) {
        edges {
          cursor
          node {
            id
            name
            host
            tags {
              key
              value
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
      apiKeys {
        id
        name
        owner {
          id
          login
        }
      }
    }
  `;
  // What Apollo Client sends: its own document, with __typename added to every selection.
  const sent = print(cache.transformDocument(query));
  expect(sent).toMatch(/__typename/);
  const first = await gw.gqlOk<any>(sent, {}, blue);
  cache.writeQuery({ query, data: first });
  const second = await gw.gqlOk<any>(sent, { after: first.connections.pageInfo.endCursor }, blue);
  cache.writeQuery({ query, data: second, variables: { after: first.connections.pageInfo.endCursor } });

  const store = cache.extract() as Record<string, any>;
  const c1 = first.connections.edges[0].node;
  const c2 = second.connections.edges[0].node;
  expect([c1.name, c2.name]).toEqual(['blue-1', 'blue-2']);
  // Each object is stored once under __typename:id, and pages hold references to it.
  expect(store[`Connection:${c1.id}`]).toMatchObject({ __typename: 'Connection', id: c1.id, name: 'blue-1' });
  expect(store[`Connection:${c2.id}`]).toMatchObject({ name: 'blue-2' });
  expect(store[`User:${first.me.id}`]).toMatchObject({ login: 'blue' });
  expect(store[`Role:${first.me.roles[0].id}`]).toMatchObject({ name: 'blue-team' });
  const key = first.apiKeys.find((k: any) => k.name === 'blue-key');
  expect(store[`ApiKey:${key.id}`]).toMatchObject({ name: 'blue-key', owner: { __ref: `User:${first.me.id}` } });
  const pages = Object.keys(store.ROOT_QUERY).filter((k) => k.startsWith('connections('));
  expect(pages).toHaveLength(2);
  expect(store.ROOT_QUERY[pages[0]!].edges[0].node).toEqual({ __ref: `Connection:${c1.id}` });
  expect(store.ROOT_QUERY[pages[1]!].edges[0].node).toEqual({ __ref: `Connection:${c2.id}` });

  // A later answer about the same object (here node(id)) updates it in every page that shows it.
  const byId = gql`
    query ById($id: ID!) {
      node(id: $id) {
        id
        ... on Connection {
          host
        }
      }
    }
  `;
  const fresh = await gw.gqlOk<any>(print(cache.transformDocument(byId)), { id: c1.id }, blue);
  cache.writeQuery({ query: byId, variables: { id: c1.id }, data: { node: { ...fresh.node, host: 'moved.example' } } });
  const reread = cache.readQuery<any>({ query });
  expect(reread.connections.edges[0].node.host).toBe('moved.example');
  expect(cache.readQuery<any>({ query, variables: { after: first.connections.pageInfo.endCursor } }).connections.edges[0].node.name).toBe('blue-2');
});
