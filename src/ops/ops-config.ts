/**
 * The operations part of the configuration (metrics). Read by {@link loadConfig} with the rest; every variable is
 * documented in the README (Configuration and "For operators").
 */
import { ConfigError } from '../config';

export interface OpsConfig {
  /** Serve Prometheus metrics at GET /metrics (and collect them). */
  metricsEnabled: boolean;
}

export function loadOpsConfig(env: NodeJS.ProcessEnv): OpsConfig {
  const raw = env.METRICS_ENABLED?.trim().toLowerCase();
  let metricsEnabled = true;
  if (raw !== undefined && raw !== '') {
    if (['1', 'true', 'yes', 'on'].includes(raw)) metricsEnabled = true;
    else if (['0', 'false', 'no', 'off'].includes(raw)) metricsEnabled = false;
    else throw new ConfigError(`METRICS_ENABLED must be true or false, got "${env.METRICS_ENABLED}"`);
  }
  return { metricsEnabled };
}
