/**
 * Runtime configuration, read once from environment variables.
 *
 * Every variable is documented in docs/configuration.md; keep the two in step.
 */
import { loadOpsConfig, type OpsConfig } from './ops/ops-config';
import { loadEncryptionKeys, loadSecurityConfig, type SecurityConfig } from './security-config';
import { ConfigError, ConfigProblems, flag, integer, nonEmpty, postgresUrl } from './config/parse';
import { emailSchema } from './services/validation';

// The parsers live in src/config/parse.ts, a leaf module, so that the security and ops parts use them without importing
// this file (which imports them: no import cycle). Importers keep using `src/config`.
export { ConfigError, ConfigProblems, postgresUrl } from './config/parse';

/** Security settings (GraphQL limits, sign-in throttling, CORS ...) are declared in src/security-config.ts. */
export interface Config extends SecurityConfig, OpsConfig {
  port: number;
  host: string;
  /** External PostgreSQL; `undefined` means "start the embedded server in {@link dataDir}". */
  databaseUrl: string | undefined;
  /**
   * Direct connection for LISTEN/NOTIFY and session-level locks, for when DATABASE_URL is a pooler in transaction
   * mode (PgBouncer); `undefined` = DATABASE_URL.
   */
  listenDatabaseUrl: string | undefined;
  dataDir: string;
  adminPassword: string | undefined;
  jwtSecret: string | undefined;
  /**
   * Key for connection passwords at rest, 32 random bytes as 64 hex or 44 base64 characters (checked at start);
   * unset = generated once and kept in the database.
   */
  encryptionKey: string | undefined;
  /**
   * Earlier encryption keys (ENCRYPTION_KEY_PREVIOUS, comma-separated; same format, or `legacy:<key>` for a key of
   * the previous release in another format): they only open what they sealed, until `rotate-encryption-key` re-seals it.
   */
  encryptionKeyPrevious: string[];
  /** Email of the default administrator created at first start. */
  adminEmail: string;
  organizationName: string;
  probeTimeoutMs: number;
  /**
   * `development` shows error details and pretty logs; anything else masks them. NODE_ENV unset or `development` is
   * development, `test` is test, and every other value (`production`, `staging`, `prod` ...) is production.
   */
  environment: 'development' | 'production' | 'test';
  logLevel: string;
  /** Size of the gateway's PostgreSQL connection pool. */
  databasePoolSize: number;
  /** Lifetime of a cached caller (user, roles, visibility); 0 disables the cache. Invalidated by LISTEN/NOTIFY. */
  principalCacheTtlMs: number;
  /** Run repeated read queries as code compiled by graphql-jit (src/graphql/executor.ts). */
  graphqlJit: boolean;
  /** Runs of one query document on graphql-js before it is compiled. */
  graphqlJitMinUses: number;
  /** Answer read queries Apollo already resolved without its request pipeline (src/graphql/known-queries.ts). */
  graphqlKnownQueries: boolean;
  /** AUDIT_RETENTION_DAYS: age (days) past which `audit-purge` deletes audit events; unset: kept forever. */
  auditRetentionDays?: number;
  /** Open subscription sockets per user and replica (SUBSCRIPTIONS_PER_USER); the next one is refused (4429). */
  subscriptionsPerUser: number;
}

/** The email of the default administrator when ADMIN_EMAIL is unset (the only default: bootstrap takes it from here). */
export const DEFAULT_ADMIN_EMAIL = 'datasentinel@datasentinel.local';

/** The default administrator's email: checked by the user API's own rule ({@link emailSchema}), so the account can be managed. */
function adminEmail(env: NodeJS.ProcessEnv): string {
  const value = nonEmpty(env, 'ADMIN_EMAIL') ?? DEFAULT_ADMIN_EMAIL;
  const parsed = emailSchema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`ADMIN_EMAIL must be an email address, got "${value}"`);
  return parsed.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV;
  // Safe by default: only the names of a developer's machine open the IDE, introspection and error details.
  const environment = nodeEnv === undefined || nodeEnv === '' || nodeEnv === 'development' ? 'development' : nodeEnv === 'test' ? 'test' : 'production';
  const problems = new ConfigProblems();
  const adminPassword = problems.read(() => {
    const value = nonEmpty(env, 'ADMIN_PASSWORD');
    if (value !== undefined && value.length < 8) throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters');
    return value;
  }, undefined);
  const jwtSecret = problems.read(() => {
    const value = nonEmpty(env, 'JWT_SECRET');
    if (value !== undefined && value.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
    return value;
  }, undefined);
  const databaseUrl = nonEmpty(env, 'DATABASE_URL');
  const listenDatabaseUrl = problems.read(() => {
    const value = postgresUrl(env, 'LISTEN_DATABASE_URL');
    // The embedded server is reached directly; a second URL could only point at another server.
    if (value !== undefined && databaseUrl === undefined) {
      throw new ConfigError('LISTEN_DATABASE_URL needs DATABASE_URL (the embedded PostgreSQL is always reached directly)');
    }
    return value;
  }, undefined);
  const config: Config = {
    port: problems.read(() => integer(env, 'PORT', 4000, 0, 65535), 4000),
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    listenDatabaseUrl,
    dataDir: nonEmpty(env, 'DATA_DIR') ?? '.data',
    adminPassword,
    jwtSecret,
    ...problems.read(() => loadEncryptionKeys(env), { encryptionKey: undefined, encryptionKeyPrevious: [] }),
    adminEmail: problems.read(() => adminEmail(env), ''),
    organizationName: nonEmpty(env, 'ORGANIZATION_NAME') ?? 'ds-data',
    probeTimeoutMs: problems.read(() => integer(env, 'PROBE_TIMEOUT_MS', 2000, 0, 600_000), 2000),
    environment,
    logLevel: nonEmpty(env, 'LOG_LEVEL') ?? (environment === 'test' ? 'silent' : 'info'),
    databasePoolSize: problems.read(() => integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000), 10),
    // Each module collects its own problems and throws them together; fallbacks are never used (see below).
    ...problems.read(() => loadSecurityConfig(env, environment), {} as SecurityConfig),
    ...problems.read(() => loadOpsConfig(env), {} as OpsConfig),
    principalCacheTtlMs: problems.read(() => integer(env, 'PRINCIPAL_CACHE_TTL_MS', 60_000, 0, 86_400_000), 60_000),
    graphqlJit: problems.read(() => flag(env, 'GRAPHQL_JIT', true), true),
    graphqlJitMinUses: problems.read(() => integer(env, 'GRAPHQL_JIT_MIN_USES', 2, 1, 1_000_000), 2),
    graphqlKnownQueries: problems.read(() => flag(env, 'GRAPHQL_KNOWN_QUERIES', true), true),
    auditRetentionDays: problems.read(
      () => (nonEmpty(env, 'AUDIT_RETENTION_DAYS') === undefined ? undefined : integer(env, 'AUDIT_RETENTION_DAYS', 0, 1, 36_500)),
      undefined,
    ),
    subscriptionsPerUser: problems.read(() => integer(env, 'SUBSCRIPTIONS_PER_USER', 10, 1, 10_000), 10),
  };
  // A fallback only lets the other variables be checked: any problem refuses the whole configuration.
  problems.throwIfAny();
  return config;
}
