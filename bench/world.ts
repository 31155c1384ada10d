/**
 * A realistic fleet, seeded in bulk SQL (generate_series), not one request per row.
 *
 * - connections: `pg-0000001` …, 5 tags each (environment, application: 200 apps, datacenter: 5, provider: 4,
 *   team: 50), automatic tags from host/name/pg_version, 90% connected.
 * - 302 roles: 200 `app-N` (one tag), 50 `team-N-prod` (two tags AND), 50 `ops-N` (three groups OR),
 *   `core-squad` and `lyon-production`.
 * - 3000 users holding one or two roles.
 * The dashboard user holds `app-7`, `team-3-prod` and `lyon-production`: about 9% of the fleet, so what they see
 * grows with it (and fills a page of 50 at every size).
 * The "fixed" dashboard user holds `core-squad`: 50 connections (tag squad=core) spread over the fleet at every size.
 *
 * The `diverse` world adds a `cluster` tag (`cluster-N` for connections 2N and 2N+1, which differ in their other
 * tags): every connection then has a tag signature of its own, a million signatures for a million connections
 * instead of 4,200, and every read by signature costs what a read by connection would (docs/performance.md).
 */
import type { Client } from 'pg';

export const DASHBOARD_ROLES = ['app-7', 'team-3-prod', 'lyon-production'];
/** A team that owns 50 instances however large the fleet grows (spread evenly over it). */
export const FIXED_ROLES = ['core-squad'];
export const PREVIEW_ACCESS = [
  {
    filters: [
      { tag: 'environment', value: 'production' },
      { tag: 'datacenter', value: 'lyon' },
    ],
  },
  { filters: [{ tag: 'application', value: 'app-42' }] },
  {
    filters: [
      { tag: 'team', value: 'team-9' },
      { tag: 'provider', value: 'aws' },
    ],
  },
];

/** `standard`: tags repeat over the fleet (at most 4,200 signatures). `diverse`: one signature per connection. */
export type World = 'standard' | 'diverse';
export const WORLDS: World[] = ['standard', 'diverse'];

export async function seedWorld(db: Client, connections: number, world: World = 'standard'): Promise<void> {
  await db.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, pg_version, enabled, connected)
     SELECT format('pg-%s', lpad(i::text, 7, '0')),
            format('db-%s.%s.example', i / 4, (ARRAY['lyon','paris','london','frankfurt','virginia'])[1 + i % 5]),
            5432, 'datasentinel', 'v1.bench.none.none.none',
            jsonb_build_array(
              jsonb_build_object('key', 'environment', 'value', (ARRAY['production','production','staging','dev','dev','uat','production','dev','staging','production'])[1 + (i * 7) % 10]),
              jsonb_build_object('key', 'application', 'value', 'app-' || (i % 200)),
              jsonb_build_object('key', 'datacenter', 'value', (ARRAY['lyon','paris','london','frankfurt','virginia'])[1 + i % 5]),
              jsonb_build_object('key', 'provider', 'value', (ARRAY['aws','gcp','azure','onprem'])[1 + (i / 3) % 4]),
              jsonb_build_object('key', 'team', 'value', 'team-' || ((i / 7) % 50)))
            || CASE WHEN i % (($1::int + 49) / 50) = 0 THEN jsonb_build_array(jsonb_build_object('key', 'squad', 'value', 'core')) ELSE '[]'::jsonb END
            || CASE WHEN $2::boolean THEN jsonb_build_array(jsonb_build_object('key', 'cluster', 'value', 'cluster-' || (i / 2))) ELSE '[]'::jsonb END,
            (ARRAY['14.12','15.7','16.4','17.2'])[1 + i % 4], true, (i % 10) <> 0
       FROM generate_series(1, $1::int) AS i`,
    [connections, world === 'diverse'],
  );
  await db.query(
    `INSERT INTO roles (name, access)
     SELECT 'app-' || n, jsonb_build_array(jsonb_build_object('filters', jsonb_build_array(jsonb_build_object('tag', 'application', 'value', 'app-' || n))))
       FROM generate_series(0, 199) AS n
     UNION ALL
     SELECT 'team-' || n || '-prod', jsonb_build_array(jsonb_build_object('filters', jsonb_build_array(
              jsonb_build_object('tag', 'team', 'value', 'team-' || n), jsonb_build_object('tag', 'environment', 'value', 'production'))))
       FROM generate_series(0, 49) AS n
     UNION ALL
     SELECT 'ops-' || n, jsonb_build_array(
              jsonb_build_object('filters', jsonb_build_array(jsonb_build_object('tag', 'datacenter', 'value', (ARRAY['lyon','paris','london','frankfurt','virginia'])[1 + n % 5]),
                                                              jsonb_build_object('tag', 'environment', 'value', 'staging'))),
              jsonb_build_object('filters', jsonb_build_array(jsonb_build_object('tag', 'application', 'value', 'app-' || (n * 3)))),
              jsonb_build_object('filters', jsonb_build_array(jsonb_build_object('tag', 'team', 'value', 'team-' || n),
                                                              jsonb_build_object('tag', 'provider', 'value', 'gcp'))))
       FROM generate_series(0, 49) AS n
     UNION ALL
     SELECT 'core-squad', '[{"filters": [{"tag": "squad", "value": "core"}]}]'::jsonb
     UNION ALL
     SELECT 'lyon-production', '[{"filters": [{"tag": "datacenter", "value": "lyon"}, {"tag": "environment", "value": "production"}]}]'::jsonb`,
  );
  await db.query(
    `INSERT INTO users (email, login, password_hash, privilege, profile)
     SELECT format('user%s@corp.example', u), format('user%s', u), 'bench-no-login', 'read', 'data admin'
       FROM generate_series(1, 3000) AS u`,
  );
  await db.query(
    `INSERT INTO user_roles (user_id, role_id)
     SELECT us.id, r.id FROM users us JOIN roles r ON r.name = 'app-' || (us.id % 200) WHERE us.login LIKE 'user%'
     UNION
     SELECT us.id, r.id FROM users us JOIN roles r ON r.name = 'team-' || (us.id % 50) || '-prod' WHERE us.login LIKE 'user%' AND us.id % 3 = 0`,
  );
  await db.query('VACUUM ANALYZE');
  // The seed leaves gigabytes of dirty pages at a million connections. Without this, the server's next timed
  // checkpoint writes them out (spread over minutes) while scenarios are measured, on the same two cores and disk.
  // CHECKPOINT needs a superuser or pg_checkpoint: on a server where the bench's role has neither, it goes on
  // without (the embedded server's role is a superuser).
  await db.query('CHECKPOINT').catch((error: Error) => process.stderr.write(`bench: CHECKPOINT refused (${error.message}); measuring without it\n`));
}
