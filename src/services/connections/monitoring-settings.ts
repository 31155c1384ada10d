/**
 * The monitoring settings of a connection, as ONE table: each row gives a setting's name (the service field, which
 * is also the entity property), its type, its default, its validation, and its name in every adapter (REST body key,
 * GraphQL field, CLI connection-file key) with the GraphQL descriptions. Defaults, validation, the REST mapping, the
 * GraphQL input and output fields and the CLI file reader are all derived from it: adding a setting is one row here
 * (plus its entity column and a migration; test/unit/monitoring-settings.test.ts checks those agree).
 *
 * The database column defaults stay in the migration that created them (migrations are history);
 * test/integration/rule-parity.test.ts checks they equal {@link DEFAULT_MONITORING_SETTINGS}.
 */
import { z } from 'zod';

/** How a value is typed in every adapter: an enum of rates, a boolean, an integer or a (float) number. */
export type MonitoringSettingKind = 'rate' | 'boolean' | 'int' | 'number';

export const COLLECTION_RATES = ['low', 'medium', 'high'] as const;

const positiveSeconds = z.number().int('must be an integer').min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400 seconds');
const count = z.number().int('must be an integer').min(0, 'must be 0 or more').max(1_000_000_000, 'is too large');

/** The table. Keys are the service field names; the vendor's defaults, as its Connection API displays them. */
export const MONITORING_SETTINGS = {
  collectionRate: {
    kind: 'rate',
    default: 'low',
    validation: z.enum(COLLECTION_RATES, 'must be one of low, medium, high'),
    rest: 'collection-rate',
    graphql: 'collectionRate',
    fileKey: 'collectionRate',
    description: 'How often metrics are collected (vendor default LOW).',
    inputDescription: 'Default LOW.',
  },
  samples: {
    kind: 'boolean',
    default: false,
    validation: z.boolean(),
    rest: 'samples',
    graphql: 'samples',
    fileKey: 'samples',
    description: 'Collect query samples.',
    inputDescription: 'Default false.',
  },
  lockMonitoring: {
    kind: 'boolean',
    default: true,
    validation: z.boolean(),
    rest: 'lock-monitoring',
    graphql: 'lockMonitoring',
    fileKey: 'lockMonitoring',
    description: 'Record lock waits longer than `lockMonitoringDelay` (default true).',
    inputDescription: 'Default true.',
  },
  lockMonitoringDelay: {
    kind: 'int',
    default: 30,
    validation: positiveSeconds,
    rest: 'lock-monitoring-delay',
    graphql: 'lockMonitoringDelay',
    fileKey: 'lockMonitoringDelay',
    description: 'Seconds a lock must last before it is recorded.',
    inputDescription: 'Default 30 (seconds, 1-86400).',
  },
  tableMonitoring: {
    kind: 'boolean',
    default: true,
    validation: z.boolean(),
    rest: 'table-monitoring',
    graphql: 'tableMonitoring',
    fileKey: 'tableMonitoring',
    description: 'Collect table and index statistics for the Top Tables/Indexes dashboard (default true).',
    inputDescription: 'Default true.',
  },
  queryMonitoring: {
    kind: 'boolean',
    default: true,
    validation: z.boolean(),
    rest: 'query-monitoring',
    graphql: 'queryMonitoring',
    fileKey: 'queryMonitoring',
    description: 'Collect query statistics for the Top Queries dashboard (default true).',
    inputDescription: 'Default true.',
  },
  queryMonitoringOptimize: {
    kind: 'boolean',
    default: false,
    validation: z.boolean(),
    rest: 'query-monitoring-optimize',
    graphql: 'queryMonitoringOptimize',
    fileKey: 'queryMonitoringOptimize',
    description: 'Keep only queries above `queryMonitoringMinCalls` and `queryMonitoringMinTime` to save space (default false).',
    inputDescription: 'Default false.',
  },
  queryMonitoringMinCalls: {
    kind: 'int',
    default: 2,
    validation: count,
    rest: 'query-monitoring-min-calls',
    graphql: 'queryMonitoringMinCalls',
    fileKey: 'queryMonitoringMinCalls',
    description: 'Minimum number of calls for a query to be recorded.',
    inputDescription: 'Default 2.',
  },
  queryMonitoringMinTime: {
    kind: 'number',
    default: 1,
    validation: z.number().min(0, 'must be 0 or more').max(1_000_000_000, 'is too large'),
    rest: 'query-monitoring-min-time',
    graphql: 'queryMonitoringMinTime',
    fileKey: 'queryMonitoringMinTime',
    description: 'Minimum total time (ms) for a query to be recorded.',
    inputDescription: 'Default 1.',
  },
} as const satisfies Record<string, MonitoringSettingSpec>;

/** One row of {@link MONITORING_SETTINGS}. */
export interface MonitoringSettingSpec {
  kind: MonitoringSettingKind;
  default: string | number | boolean;
  /** The service's rule for a value (messages follow the field name: `lockMonitoringDelay: must be ...`). */
  validation: z.ZodType;
  /** Key in REST bodies (the vendor's hyphenated spelling). */
  rest: string;
  /** Field of the GraphQL `Connection` type and of the connection inputs. */
  graphql: string;
  /** Key in a JSON connection file and column of a CSV one (CSV also takes the REST spelling, in any case). */
  fileKey: string;
  /** GraphQL description of the output field. */
  description: string;
  /** GraphQL description of the input field. */
  inputDescription: string;
}

type Table = typeof MONITORING_SETTINGS;
export type MonitoringSettingName = keyof Table;

export type MonitoringSettings = { -readonly [K in MonitoringSettingName]: z.output<Table[K]['validation']> };

/** The rows, in table order, with their names. */
export const MONITORING_SETTING_ROWS: readonly (MonitoringSettingSpec & { name: MonitoringSettingName })[] = Object.entries(MONITORING_SETTINGS).map(
  ([name, spec]) => ({ ...spec, name: name as MonitoringSettingName }),
);

export const DEFAULT_MONITORING_SETTINGS: Readonly<MonitoringSettings> = Object.freeze(
  Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.name, s.default])) as MonitoringSettings,
);

/** The zod shape of the settings, every one optional (an omitted setting keeps its value, or its default on create). */
export const optionalSettingsShape = Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.name, s.validation.optional()])) as {
  [K in MonitoringSettingName]: z.ZodOptional<Table[K]['validation']>;
};

/** Only the settings of `data` (the others, and undefined ones, are left out). */
export function pickSettings(data: Partial<MonitoringSettings>): Partial<MonitoringSettings> {
  const picked: Record<string, unknown> = {};
  for (const { name } of MONITORING_SETTING_ROWS) if (data[name] !== undefined) picked[name] = data[name];
  return picked as Partial<MonitoringSettings>;
}

/** Service field name of a REST body key, or undefined for a key that is not a setting. */
export const SETTING_OF_REST_KEY: ReadonlyMap<string, MonitoringSettingName> = new Map(MONITORING_SETTING_ROWS.map((s) => [s.rest, s.name]));
