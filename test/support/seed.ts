/**
 * Bulk seeding straight in SQL for tests that need many rows (statement counts, paging past 500). Business rules
 * are exercised elsewhere through the APIs; here we only need data.
 */
import type { DataSource } from 'typeorm';

export interface SeedConnection {
  name: string;
  host?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  connected?: boolean;
}

export async function seedConnections(ds: DataSource, connections: SeedConnection[]): Promise<void> {
  if (connections.length === 0) return;
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, enabled, connected)
     SELECT c->>'name', coalesce(c->>'host', 'db.example'), 5432, 'monitor', 'v1.seed.none.none.none',
            coalesce((SELECT jsonb_agg(jsonb_build_object('key', t.key, 'value', t.value)) FROM jsonb_each_text(c->'tags') t), '[]'),
            coalesce((c->>'enabled')::boolean, true), coalesce((c->>'connected')::boolean, false)
       FROM jsonb_array_elements($1::jsonb) AS c`,
    [JSON.stringify(connections)],
  );
}

/** User tags as the `user_tags` column holds them (a JSON array of `{key, value}`), in the given order. */
export function userTagsJson(pairs: Record<string, string>): string {
  return JSON.stringify(Object.entries(pairs).map(([key, value]) => ({ key, value })));
}

/** One connection inserted in plain SQL, as an operator (or another replica) would, through `sql` (pg or TypeORM). */
export async function insertConnection(
  sql: { query(text: string, values?: unknown[]): Promise<unknown> },
  name: string,
  pairs: Record<string, string>,
): Promise<void> {
  await sql.query(`INSERT INTO connections (name, host, port, username, password_encrypted, user_tags) VALUES ($1, 'h', 5432, 'u', 'v1.x', $2::jsonb)`, [
    name,
    userTagsJson(pairs),
  ]);
}

export async function seedRoles(
  ds: { query(text: string, values?: unknown[]): Promise<unknown> },
  roles: { name: string; access: { filters: { tag: string; value: string }[] }[] }[],
): Promise<void> {
  await ds.query(`INSERT INTO roles (name, access) SELECT r->>'name', r->'access' FROM jsonb_array_elements($1::jsonb) AS r`, [JSON.stringify(roles)]);
}

/** Users with a throwaway hash (they never sign in) holding the named roles. */
export async function seedUsers(ds: DataSource, users: { email: string; roles: string[] }[]): Promise<void> {
  await ds.query(
    `INSERT INTO users (email, login, password_hash, privilege, profile)
     SELECT u->>'email', split_part(u->>'email', '@', 1), 'not-a-hash', 'read', 'data admin' FROM jsonb_array_elements($1::jsonb) AS u`,
    [JSON.stringify(users)],
  );
  await ds.query(
    `INSERT INTO user_roles (user_id, role_id)
     SELECT us.id, r.id FROM jsonb_array_elements($1::jsonb) AS u
       JOIN users us ON us.email = u->>'email'
       CROSS JOIN LATERAL jsonb_array_elements_text(u->'roles') AS rn(name)
       JOIN roles r ON r.name = rn.name`,
    [JSON.stringify(users)],
  );
}
