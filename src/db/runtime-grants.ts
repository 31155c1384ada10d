/**
 * Least privilege: the grants of the gateway's runtime role (DATABASE_URL) when migrations run as the schema's owner
 * (MIGRATIONS_DATABASE_URL). The runtime role reads and writes rows and nothing else: no CREATE on the schema, no
 * ownership, so it cannot change the schema (`npm run cli -- grant-runtime --role NAME`; docs/operating.md).
 *
 * - CONNECT on the database and USAGE on the schema;
 * - SELECT, INSERT, UPDATE, DELETE on the gateway's tables (the triggers of migrations RoleMembership and
 *   *Notifications run as the caller and write `role_connections`, `role_connection_counts`, `tag_signatures` and
 *   `signature_connection_counts`,
 *   NOTIFY and take advisory locks: nothing more);
 *   only SELECT on `migrations` (readiness compares it with the build's list); only INSERT and SELECT on
 *   `audit_events` (the audit log is append-only for the application; only the owner purges it);
 * - USAGE, SELECT on the sequences (serial ids) and EXECUTE on the schema's functions (PostgreSQL grants it to PUBLIC
 *   by default; stated in case an operator revoked that);
 * - default privileges, so the tables of later migrations, created by the same owner, are granted as they appear.
 * LISTEN and advisory locks need no grant.
 */
export interface RuntimeGrantTarget {
  role: string;
  database: string;
  schema: string;
  /** The migrations table exists already (then the runtime role's writes on it are revoked). */
  migrationsTable: boolean;
  /** The audit table exists already (then the runtime role's UPDATE, DELETE and TRUNCATE on it are revoked). */
  auditTable?: boolean;
}

export const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function runtimeGrantStatements(target: RuntimeGrantTarget): string[] {
  const role = quoteIdentifier(target.role);
  const schema = quoteIdentifier(target.schema);
  return [
    `GRANT CONNECT ON DATABASE ${quoteIdentifier(target.database)} TO ${role}`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${role}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
    ...(target.migrationsTable ? [`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE ${schema}.migrations FROM ${role}`] : []),
    ...(target.auditTable ? [`REVOKE UPDATE, DELETE, TRUNCATE ON TABLE ${schema}.audit_events FROM ${role}`] : []),
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`,
    `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${role}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT EXECUTE ON FUNCTIONS TO ${role}`,
  ];
}
