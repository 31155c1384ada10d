/** Monitored connections, split by job (see connection-service.ts for the map). */
export { ConnectionService } from './connection-service';
export type { ConnectionFilterInput, ConnectionInput, ConnectionWrite, ImportItem, ImportProblem, ImportResult } from './connection-types';
export { MAX_IMPORT_ITEMS } from './bulk-import';
export { forEachProbe, PROBE_CONCURRENCY } from './probe-pool';
export {
  DEFAULT_MONITORING_SETTINGS,
  MONITORING_SETTINGS,
  MONITORING_SETTING_ROWS,
  SETTING_OF_REST_KEY,
  type MonitoringSettingKind,
  type MonitoringSettingName,
  type MonitoringSettings,
} from './monitoring-settings';
