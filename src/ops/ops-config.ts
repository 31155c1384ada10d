/**
 * The operations part of the configuration (metrics, migrations at start, shutdown). Read by {@link loadConfig} with
 * the rest; every variable is documented in docs/configuration.md and docs/operating.md.
 */
import { ConfigProblems, flag, integer, postgresUrl } from '../config/parse';

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

export function loadOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  const problems = new ConfigProblems();
  const config: OpsConfig = {
    metricsEnabled: problems.read(() => flag(env, 'METRICS_ENABLED', true), true),
    migrateOnStart: problems.read(() => flag(env, 'MIGRATE_ON_START', true), true),
    migrationsDatabaseUrl: problems.read(() => postgresUrl(env, 'MIGRATIONS_DATABASE_URL'), undefined),
    shutdownGraceMs: problems.read(() => integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000), 10_000),
  };
  problems.throwIfAny();
  return config;
}
