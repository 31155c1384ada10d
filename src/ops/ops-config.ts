/**
 * The operations part of the configuration (metrics, migrations at start, shutdown). Read by {@link loadConfig} with
 * the rest; every variable is documented in docs/configuration.md and docs/operating.md.
 */
import { ConfigError, ConfigProblems, flag, postgresUrl } from '../config/parse';

export interface OpsConfig {
  /** Serve Prometheus metrics at GET /metrics (and collect them). */
  metricsEnabled: boolean;
  /** Apply pending migrations at start, under an advisory lock (MIGRATE_ON_START); false = wait until they are applied. */
  migrateOnStart: boolean;
  /** The owner role's connection used for migrations (MIGRATIONS_DATABASE_URL); unset = the gateway's own connection. */
  migrationsDatabaseUrl: string | undefined;
  /** After SIGTERM: how long in-flight requests may take before their connections are cut (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer number of milliseconds, got "${raw}"`);
  const value = Number(raw.trim());
  if (value > max) throw new ConfigError(`${name} must be at most ${max}, got ${value}`);
  return value;
}

export function loadOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  const problems = new ConfigProblems();
  const config: OpsConfig = {
    metricsEnabled: problems.read(() => flag(env, 'METRICS_ENABLED', true), true),
    migrateOnStart: problems.read(() => flag(env, 'MIGRATE_ON_START', true), true),
    migrationsDatabaseUrl: problems.read(() => postgresUrl(env, 'MIGRATIONS_DATABASE_URL'), undefined),
    shutdownGraceMs: problems.read(() => milliseconds(env, 'SHUTDOWN_GRACE_MS', 10_000, 3_600_000), 10_000),
  };
  problems.throwIfAny();
  return config;
}
