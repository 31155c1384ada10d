/**
 * Runtime configuration, read once from environment variables.
 *
 * Every variable is documented in the README's configuration table; keep the two in step.
 */
import { loadOpsConfig, type OpsConfig } from './ops/ops-config';
import { flag, loadSecurityConfig, type SecurityConfig } from './security-config';

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
  /** Key for connection passwords at rest; unset = generated once and kept in the database. */
  encryptionKey: string | undefined;
  /** Earlier encryption keys (ENCRYPTION_KEY_PREVIOUS, comma-separated): they only open what they sealed, until `rotate-encryption-key` re-seals it. */
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
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A PostgreSQL connection URL (`postgres://` or `postgresql://`), refused at start otherwise. */
function postgresUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new ConfigError(`${name} must be a postgres:// URL`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new ConfigError(`${name} must be a postgres:// URL, got a ${protocol} URL`);
  return value;
}

/** The default administrator's email: any address the user API itself accepts, so the account can be managed. */
function adminEmail(env: NodeJS.ProcessEnv): string {
  const value = nonEmpty(env, 'ADMIN_EMAIL') ?? 'datasentinel@datasentinel.local';
  if (!/^[^\s@]+@[^\s@]+\.[A-Za-z]{2,}$/.test(value)) throw new ConfigError(`ADMIN_EMAIL must be an email address, got "${value}"`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = env.NODE_ENV;
  // Safe by default: only the names of a developer's machine open the IDE, introspection and error details.
  const environment = nodeEnv === undefined || nodeEnv === '' || nodeEnv === 'development' ? 'development' : nodeEnv === 'test' ? 'test' : 'production';
  const adminPassword = nonEmpty(env, 'ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters');
  }
  const jwtSecret = nonEmpty(env, 'JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET must be at least 32 characters');
  }
  const databaseUrl = nonEmpty(env, 'DATABASE_URL');
  const listenDatabaseUrl = postgresUrl(env, 'LISTEN_DATABASE_URL');
  // The embedded server is reached directly; a second URL could only point at another server.
  if (listenDatabaseUrl !== undefined && databaseUrl === undefined) {
    throw new ConfigError('LISTEN_DATABASE_URL needs DATABASE_URL (the embedded PostgreSQL is always reached directly)');
  }
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    listenDatabaseUrl,
    dataDir: nonEmpty(env, 'DATA_DIR') ?? '.data',
    adminPassword,
    jwtSecret,
    encryptionKey: nonEmpty(env, 'ENCRYPTION_KEY'),
    encryptionKeyPrevious: (env.ENCRYPTION_KEY_PREVIOUS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
    adminEmail: adminEmail(env),
    organizationName: nonEmpty(env, 'ORGANIZATION_NAME') ?? 'ds-data',
    probeTimeoutMs: integer(env, 'PROBE_TIMEOUT_MS', 2000, 0, 600_000),
    environment,
    logLevel: nonEmpty(env, 'LOG_LEVEL') ?? (environment === 'test' ? 'silent' : 'info'),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    ...loadSecurityConfig(env, environment),
    ...loadOpsConfig(env),
    principalCacheTtlMs: integer(env, 'PRINCIPAL_CACHE_TTL_MS', 60_000, 0, 86_400_000),
    graphqlJit: flag(env, 'GRAPHQL_JIT', true),
    graphqlJitMinUses: integer(env, 'GRAPHQL_JIT_MIN_USES', 2, 1, 1_000_000),
  };
}
