/**
 * The zod schemas of the REST API's bodies, both ways: the request bodies the handlers validate with
 * ({@link parseBody}), and the response bodies the DTOs are typed by (src/rest/dto.ts derives every DTO type from
 * them, so a DTO that drifts from its schema does not compile). The OpenAPI document (src/rest/openapi.ts) is
 * generated from these very objects through {@link restSchemas}: there is no second, hand-written description.
 *
 * Request schemas check shapes only (field names and JSON types); value rules (name syntax, port range, password
 * length ...) belong to the service layer, and are stated in the descriptions.
 */
import { z } from 'zod';
import { MONITORING_SETTING_ROWS, type MONITORING_SETTINGS, type MonitoringSettingKind } from '../services/connections';
import { bool, num, str, strList, vendorFlag } from './body';

/** Component names of the OpenAPI document; every schema registered here becomes `#/components/schemas/<id>`. */
export const restSchemas = z.registry<{ id: string; description?: string }>();

const named = <S extends z.ZodType>(schema: S, id: string, description?: string): S => {
  restSchemas.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
};

// ------------------------------------------------------------------------------------------------ answers

export const errorBody = named(z.strictObject({ error: z.string() }), 'Error', 'Every failure: exactly one key, `error`.');

export const statusBody = named(
  z.strictObject({ status: z.string() }),
  'Status',
  "A successful write: exactly one key, `status` (the vendor's scripts treat any other key as a failure).",
);

export const serviceInfoBody = named(z.strictObject({ service: z.string(), version: z.string(), api: z.string() }), 'ServiceInfo', 'What answers at /ds-api/.');

export const tokenBody = named(
  z.strictObject({ 'user-token': z.string().meta({ description: 'Signed token, valid 24 hours; send it in the `user-token` header.' }) }),
  'Token',
);

export const tokenDetailsBody = named(
  z.strictObject({
    email: z.string(),
    expire_time: z
      .string()
      .regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
      .meta({ description: '`YYYY-MM-DD HH:MM:SS`, UTC.', examples: ['2026-04-28 13:58:53'] }),
    organization_name: z.string(),
    user: z.string().meta({ description: "The login of the token's user." }),
  }),
  'TokenDetails',
);

type SettingRows = typeof MONITORING_SETTINGS;
type SettingSchema<K extends MonitoringSettingKind> = K extends 'boolean' ? z.ZodBoolean : K extends 'rate' ? z.ZodString : z.ZodNumber;
/** The monitoring settings under their REST keys (`collection-rate` ...), from the settings table. */
type SettingsShape = { [K in keyof SettingRows as SettingRows[K]['rest']]: SettingSchema<SettingRows[K]['kind']> };

function settingsShape(schemaOf: (kind: MonitoringSettingKind) => z.ZodType): SettingsShape {
  return Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.rest, schemaOf(s.kind)])) as unknown as SettingsShape;
}

/** What REST shows in place of a connection password (write-only everywhere). */
export const PASSWORD_MASK = '********';

export const connectionBody = named(
  z.strictObject({
    name: z.string(),
    host: z.string(),
    port: z.int(),
    user: z.string(),
    password: z.literal(PASSWORD_MASK).meta({ description: 'Always the mask: passwords are write-only.' }),
    tags: z.string().meta({ description: 'User tags as `k1=v1,k2=v2` (automatic tags are not shown: they cannot be written back).' }),
    enabled: z.boolean(),
    connected: z.boolean().meta({ description: 'Result of the last connection probe.' }),
    ...settingsShape((kind) => (kind === 'boolean' ? z.boolean() : kind === 'rate' ? z.string() : z.number())),
  }),
  'Connection',
  'A monitored connection as REST displays it.',
);

const tagFilterBody = z.strictObject({ tag: z.string(), value: z.string() });
const accessGroupBody = z.strictObject({ filters: z.array(tagFilterBody) });

export const roleDisplayBody = named(
  z.strictObject({ name: z.string(), access: z.array(accessGroupBody) }),
  'Role',
  'A role: groups are OR, filters inside a group AND.',
);

export const userDisplayBody = named(
  z.strictObject({
    id: z.int(),
    login: z.string(),
    email: z.string(),
    profile: z.enum(['developer', 'data admin']),
    privilege: z.enum(['read', 'read write', 'admin']),
    roles: z.array(z.string()).meta({ description: 'Every role held, sorted by name.' }),
    role: z.string().nullable().meta({ description: 'The older single-role field: the first role (by name), `null` for a user without role (unrestricted).' }),
    live_360: z.union([z.literal(0), z.literal(1)]),
    comment: z.string().nullable(),
    ldap: z.boolean(),
  }),
  'User',
  'A user as REST displays it (never a password or hash).',
);

export const connectionList = z.array(connectionBody);
export const roleList = z.array(roleDisplayBody);
export const userList = z.array(userDisplayBody);

// ----------------------------------------------------------------------------------------------- requests

const connectionFields = {
  host: str().meta({ description: 'Hostname or IP of the monitored instance.' }),
  port: num().meta({ description: '1-65535.' }),
  user: str().meta({ description: 'The PostgreSQL role used for monitoring.' }),
  password: str().meta({ description: 'Write-only. The mask `********` is refused.' }),
  tags: str().meta({ description: 'User tags, `k1=v1,k2=v2` (may be empty); on PUT it replaces every user tag.' }),
  enabled: bool(),
  ...settingsShape((kind) => (kind === 'boolean' ? bool() : kind === 'rate' ? str().meta({ description: '`low`, `medium` or `high`.' }) : num())),
};

/** PUT: every field optional. */
export const connectionUpdateBody = named(z.strictObject(connectionFields).partial(), 'ConnectionUpdate', 'Connection fields to change (tags replace).');

/** POST: the four fields the vendor marks required; `tags` may be left out (= none). */
export const connectionCreateBody = named(
  z.strictObject({
    ...connectionUpdateBody.shape,
    host: connectionFields.host,
    port: connectionFields.port,
    user: connectionFields.user,
    password: connectionFields.password,
  }),
  'ConnectionCreate',
  'A new connection: host, port, user and password are required; the monitoring settings default as the vendor shows them.',
);

const filterInput = z.strictObject({ tag: str(), value: str() }, { error: () => 'must be an object {"tag": ..., "value": ...}' });
const groupInput = z.strictObject(
  {
    filters: z.array(filterInput, {
      error: (i) => (i.input === undefined ? 'is required' : 'must be an array of {"tag", "value"} objects'),
    }),
  },
  { error: () => 'must be an object {"filters": [...]}' },
);

/** `{"access": [{"filters": [{"tag": ..., "value": ...}]}]}`; emptiness and tag syntax are the service's to judge. */
export const roleInputBody = named(
  z.strictObject({
    access: z.array(groupInput, {
      error: (i) => (i.input === undefined ? 'is required' : 'must be an array of {"filters": [...]} groups'),
    }),
  }),
  'RoleInput',
  'Groups are OR, filters inside a group AND; tags no connection carries yet are accepted. Neither list may be empty.',
);

/** The vendor's flags as JSON Schema: zod cannot describe the custom check of {@link vendorFlag} itself. */
const flag = () => vendorFlag().meta({ anyOf: [{ type: 'boolean' }, { enum: [0, 1, '0', '1'] }], description: '`1` / `0`, `"1"` / `"0"`, `true` / `false`.' });

/**
 * Every field optional on both POST and PUT (the service knows what a new user needs: a password unless `ldap`).
 * `privilege` and `profile` take the vendor's spellings, which are also the service's.
 */
export const userInputBody = named(
  z
    .strictObject({
      password: str().nullable().meta({ description: 'At least 8 characters; required on POST unless `ldap` is true.' }),
      privilege: str().meta({ description: '`read`, `read write` or `admin` (default `admin`).' }),
      profile: str().meta({ description: '`developer` or `data admin` (default `data admin`).' }),
      live_360: flag(),
      roles: strList().meta({ description: "Replaces the user's roles." }),
      role: str().nullable().meta({ description: 'The older single role: `null`, `""` or `"No restriction"` mean no role.' }),
      comment: str().nullable(),
      ldap: flag(),
    })
    .partial(),
  'UserInput',
);
