/**
 * The vendor's documented world (/work/shared/seeds: the blog article and the Role API reference), grown to 15
 * connections: the `agentLess6` / `agentLess11` instances and their `pg_instance` roles, `sales-role`, the
 * `pg_version=11.8 AND environment=production` role, London production (AND), development OR uat (OR), with
 * automatic tags (`pg_instance`, `server`, `pg_version` where a probe read one) and look-alike values (`Production`).
 * Plain data: tests compute what they expect from it with their own oracle.
 */
import type { DataSource } from 'typeorm';

export interface VendorConnection {
  name: string;
  host: string;
  tags: [string, string][];
  /** Set by a successful probe; null: never probed, so no `pg_version` tag. */
  pgVersion: string | null;
}

export const VENDOR_CONNECTIONS: VendorConnection[] = [
  {
    name: 'agentLess6',
    host: '51.15.233.24',
    tags: [
      ['application', 'sales'],
      ['environment', 'production'],
      ['datacenter', 'london'],
    ],
    pgVersion: '11.8',
  },
  {
    name: 'agentLess11',
    host: '51.158.104.206',
    tags: [
      ['application', 'sales'],
      ['environment', 'uat'],
      ['datacenter', 'london'],
    ],
    pgVersion: '12.4',
  },
  {
    name: 'sales-prod-paris',
    host: '10.0.0.7',
    tags: [
      ['application', 'sales'],
      ['environment', 'production'],
      ['datacenter', 'paris'],
    ],
    pgVersion: '11.8',
  },
  {
    name: 'sales-dev',
    host: '10.0.0.8',
    tags: [
      ['application', 'sales'],
      ['environment', 'development'],
    ],
    pgVersion: '14.2',
  },
  {
    name: 'staging-sales',
    host: '10.0.0.9',
    tags: [
      ['application', 'sales'],
      ['environment', 'staging'],
      ['datacenter', 'london'],
    ],
    pgVersion: '11.8',
  },
  {
    name: 'crm-prod-london',
    host: '10.0.1.1',
    tags: [
      ['application', 'crm'],
      ['environment', 'production'],
      ['datacenter', 'london'],
    ],
    pgVersion: '16.4',
  },
  {
    name: 'crm-uat',
    host: '10.0.1.2',
    tags: [
      ['application', 'crm'],
      ['environment', 'uat'],
      ['datacenter', 'paris'],
    ],
    pgVersion: '16.4',
  },
  {
    name: 'crm-dev',
    host: '10.0.1.3',
    tags: [
      ['application', 'crm'],
      ['environment', 'development'],
      ['datacenter', 'paris'],
    ],
    pgVersion: null,
  },
  {
    name: 'hr-prod',
    host: '10.0.2.1',
    tags: [
      ['application', 'hr'],
      ['environment', 'production'],
      ['datacenter', 'new-york'],
    ],
    pgVersion: '11.8',
  },
  {
    name: 'hr-uat',
    host: '10.0.2.2',
    tags: [
      ['application', 'hr'],
      ['environment', 'uat'],
    ],
    pgVersion: '15.7',
  },
  {
    name: 'billing-prod',
    host: '10.0.3.1',
    tags: [
      ['application', 'billing'],
      ['environment', 'Production'],
      ['datacenter', 'london'],
    ],
    pgVersion: '17.2',
  },
  {
    name: 'billing-dev',
    host: '10.0.3.2',
    tags: [
      ['application', 'billing'],
      ['environment', 'development'],
      ['datacenter', 'london'],
    ],
    pgVersion: null,
  },
  {
    name: 'analytics',
    host: '51.15.233.24',
    tags: [
      ['application', 'analytics'],
      ['environment', 'production'],
    ],
    pgVersion: '16.4',
  },
  { name: 'legacy-db', host: '192.168.0.10', tags: [], pgVersion: '9.6' },
  {
    name: 'ops-tools',
    host: '10.0.4.1',
    tags: [
      ['team', 'ops'],
      ['hosting', 'on-premises'],
    ],
    pgVersion: '16.4',
  },
];

type Group = { filters: { tag: string; value: string }[] };
const group = (...pairs: [string, string][]): Group => ({ filters: pairs.map(([tag, value]) => ({ tag, value })) });

export const VENDOR_ROLES: { name: string; access: Group[] }[] = [
  // The blog article's role.
  { name: 'sales-role', access: [group(['application', 'sales'])] },
  // The Role API's "Add a role" body.
  { name: 'MyNewRole', access: [group(['pg_version', '11.8'], ['environment', 'production'])] },
  // "production only instances AND located in London datacenter".
  { name: 'london-production', access: [group(['environment', 'production'], ['datacenter', 'london'])] },
  // "development OR uat instances".
  { name: 'dev-or-uat', access: [group(['environment', 'development']), group(['environment', 'uat'])] },
  // "Display Role": two pg_instance groups.
  { name: 'myRole', access: [group(['pg_instance', '51.15.233.24@agentLess6']), group(['pg_instance', '51.158.104.206@agentLess11'])] },
  // "Display all Roles": pg_version AND pg_instance.
  { name: 'testrole', access: [group(['pg_version', '11.8'], ['pg_instance', '51.15.233.24@agentLess6'])] },
  // Multiple AND / OR conditions, automatic and user tags mixed, a tag no connection carries.
  {
    name: 'mixed',
    access: [
      group(['application', 'crm'], ['environment', 'production']),
      group(['server', '51.15.233.24']),
      group(['datacenter', 'london'], ['environment', 'development']),
      group(['owner', 'nobody']),
    ],
  },
];

/** Users (password `vendor-password`, privilege read) and the roles they hold; `erin` holds none. */
export const VENDOR_USERS: { email: string; login: string; roles: string[] }[] = [
  { email: 'jean.lapioffe@corp.com', login: 'jean.lapioffe', roles: ['sales-role'] },
  { email: 'alice@corp.com', login: 'alice', roles: ['london-production', 'dev-or-uat'] },
  { email: 'bob@corp.com', login: 'bob', roles: ['myRole', 'testrole'] },
  { email: 'carol@corp.com', login: 'carol', roles: ['MyNewRole'] },
  { email: 'dave@corp.com', login: 'dave', roles: ['mixed'] },
  { email: 'erin@corp.com', login: 'erin', roles: [] },
  { email: 'frank@corp.com', login: 'frank', roles: ['sales-role', 'mixed'] },
];

export const VENDOR_PASSWORD = 'vendor-password';

/**
 * Loads the connections in SQL (a probe is what sets `pg_version`; here it is written directly) and leaves roles and
 * users to the caller, who creates them through the API so they are validated and normalized as in production.
 */
export async function seedVendorConnections(ds: DataSource): Promise<void> {
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, pg_version, connected)
     SELECT c->>'name', c->>'host', 5432, 'datasentinel', 'v1.seed.none.none.none',
            coalesce((SELECT jsonb_agg(jsonb_build_object('key', t->>0, 'value', t->>1)) FROM jsonb_array_elements(c->'tags') AS t), '[]'),
            c->>'pgVersion', c->>'pgVersion' IS NOT NULL
       FROM jsonb_array_elements($1::jsonb) AS c`,
    [JSON.stringify(VENDOR_CONNECTIONS)],
  );
}
