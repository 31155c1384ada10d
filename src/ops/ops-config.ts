/**
 * The operations part of the configuration (metrics). Read by {@link loadConfig} with the rest; every variable is
 * documented in the README (Configuration and "For operators").
 */
import { flag } from '../security-config';

export interface OpsConfig {
  /** Serve Prometheus metrics at GET /metrics (and collect them). */
  metricsEnabled: boolean;
}

export function loadOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  return { metricsEnabled: flag(env, 'METRICS_ENABLED', true) };
}
