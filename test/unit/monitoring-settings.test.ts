/**
 * The monitoring-settings table (src/services/connections/monitoring-settings.ts) is the one list of the settings:
 * these tests check that every adapter shows exactly its rows, with their names and types, and that the table is
 * consistent with itself and the entity. (The migration's column defaults: test/integration/rule-parity.test.ts.)
 */
import 'reflect-metadata';
import { getNamedType, isEnumType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { getMetadataArgsStorage } from 'typeorm';
import { parseCsv, parseJson } from '../../src/cli/connection-file';
import { ConnectionEntity } from '../../src/entities/connection.entity';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { connectionDto } from '../../src/rest/dto';
import { connectionBody, connectionCreateBody, connectionUpdateBody } from '../../src/rest/schemas';
import { DEFAULT_MONITORING_SETTINGS, MONITORING_SETTING_ROWS, type MonitoringSettingKind } from '../../src/services/connections';

const NAMES = MONITORING_SETTING_ROWS.map((s) => s.name);
const GRAPHQL_TYPE: Record<MonitoringSettingKind, string> = { rate: 'CollectionRate', boolean: 'Boolean', int: 'Int', number: 'Float' };

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGatewaySchema();
});

test.each(MONITORING_SETTING_ROWS)('$name: its default passes its own validation', (setting) => {
  expect(setting.validation.safeParse(setting.default).success).toBe(true);
  expect(DEFAULT_MONITORING_SETTINGS[setting.name]).toBe(setting.default);
});

test('every setting is a column of the entity, of its kind', () => {
  const columns = getMetadataArgsStorage().columns.filter((c) => c.target === ConnectionEntity);
  const SQL: Record<MonitoringSettingKind, string> = { rate: 'text', boolean: 'boolean', int: 'integer', number: 'double precision' };
  for (const setting of MONITORING_SETTING_ROWS) {
    const column = columns.find((c) => c.propertyName === setting.name);
    expect([setting.name, column?.options.type]).toEqual([setting.name, SQL[setting.kind]]);
  }
});

const NOT_SETTINGS = {
  Connection: [
    'id',
    'name',
    'host',
    'port',
    'user',
    'enabled',
    'connected',
    'pgVersion',
    'createdAt',
    'updatedAt',
    'tags',
    'automaticTags',
    'lastProbeAt',
    'lastProbeError',
    'tagString',
  ],
  CreateConnectionInput: ['host', 'port', 'user', 'password', 'tags', 'enabled'],
  UpdateConnectionInput: ['host', 'port', 'user', 'password', 'tags', 'enabled'],
  ImportConnectionInput: ['name', 'host', 'port', 'user', 'password', 'tags', 'enabled'],
};

test.each(Object.entries(NOT_SETTINGS))('GraphQL %s has exactly the table’s settings, with their types', (typeName, others) => {
  const type = schema.getType(typeName);
  if (!isObjectType(type) && !isInputObjectType(type)) throw new Error(`${typeName} is not an object or input type`);
  const fields = type.getFields();
  const settings = Object.keys(fields).filter((f) => !others.includes(f));
  expect(settings.sort()).toEqual(MONITORING_SETTING_ROWS.map((s) => s.graphql).sort());
  for (const setting of MONITORING_SETTING_ROWS) {
    const field = fields[setting.graphql]!;
    expect([setting.graphql, getNamedType(field.type).name]).toEqual([setting.graphql, GRAPHQL_TYPE[setting.kind]]);
    expect(field.description).toBe(isObjectType(type) ? setting.description : setting.inputDescription);
  }
  expect(isEnumType(schema.getType('CollectionRate'))).toBe(true);
});

test('REST bodies and the DTO carry exactly the table’s settings under their REST keys', () => {
  const restKeys = MONITORING_SETTING_ROWS.map((s) => s.rest).sort();
  const others = ['name', 'host', 'port', 'user', 'password', 'tags', 'enabled', 'connected'];
  for (const body of [connectionBody, connectionCreateBody, connectionUpdateBody]) {
    expect(
      Object.keys(body.shape)
        .filter((k) => !others.includes(k))
        .sort(),
    ).toEqual(restKeys);
  }
  const entity = Object.assign(new ConnectionEntity(), { name: 'n', host: 'h', port: 1, username: 'u', userTags: [], enabled: true, connected: false });
  Object.assign(entity, DEFAULT_MONITORING_SETTINGS, { lockMonitoringDelay: 31 });
  const dto = connectionDto(entity) as Record<string, unknown>;
  for (const setting of MONITORING_SETTING_ROWS) expect(dto[setting.rest]).toBe(setting.name === 'lockMonitoringDelay' ? 31 : setting.default);
});

test('the CLI connection file reads every setting under its file key (JSON) and its REST spelling (CSV)', () => {
  // A value other than the default for every setting.
  const other = (s: (typeof MONITORING_SETTING_ROWS)[number]) =>
    s.kind === 'rate' ? 'high' : s.kind === 'boolean' ? !s.default : s.kind === 'int' ? Number(s.default) + 5 : Number(s.default) + 1.5;
  const values: Record<string, unknown> = Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.name, other(s)]));
  expect(Object.keys(values).sort()).toEqual([...NAMES].sort());
  const entry: Record<string, unknown> = { name: 'n', host: 'h', port: 1, user: 'u', password: 'p' };
  for (const s of MONITORING_SETTING_ROWS) entry[s.fileKey] = values[s.name];
  const json = parseJson(JSON.stringify([entry]));
  expect(json.errors).toEqual([]);
  expect(json.rows[0]!.input).toEqual({ host: 'h', port: 1, user: 'u', password: 'p', ...values });

  const header = ['name', 'host', 'port', 'user', 'password', 'tags', ...MONITORING_SETTING_ROWS.map((s) => s.rest)];
  const cells = ['n', 'h', '1', 'u', 'p', '', ...MONITORING_SETTING_ROWS.map((s) => String(values[s.name]))];
  const csv = parseCsv(`${header.join(',')}\n${cells.join(',')}\n`);
  expect(csv.errors).toEqual([]);
  expect(csv.rows[0]!.input).toEqual({ host: 'h', port: 1, user: 'u', password: 'p', ...values });
});
