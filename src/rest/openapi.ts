/**
 * The OpenAPI 3.1 document of `/ds-api`, generated from the route table (src/rest/routes.ts) and the zod schemas the
 * handlers validate with and the DTOs are typed by (src/rest/schemas.ts), through zod 4's own `z.toJSONSchema`
 * (JSON Schema 2020-12, the dialect of OpenAPI 3.1). Nothing here describes a body by hand: a change to a schema
 * changes the document, and CI refuses a stale `schema/openapi.json` (`ds-gateway schema --check`).
 *
 * Served at `GET /ds-api/openapi.json` (no token) and shown by the reference page at `GET /ds-api/docs`.
 */
import { z } from 'zod';
import { REST_OPERATIONS, REST_TAGS, type RestAuth, type RestOperation } from './routes';
import { errorBody, restSchemas } from './schemas';

export const OPENAPI_PATH = 'schema/openapi.json';

type JsonSchema = Record<string, unknown>;

const COMPONENT = (id: string) => `#/components/schemas/${id}`;

/** Component schemas: request bodies as they are read (input), answers as they are written (output). */
function componentSchemas(): Record<string, JsonSchema> {
  // 'any': the one custom check (the vendor's 1/0 flags) carries its JSON Schema in its metadata.
  const options = { unrepresentable: 'any', cycles: 'throw', reused: 'inline', uri: COMPONENT } as const;
  const inputs = z.toJSONSchema(restSchemas, { ...options, io: 'input' }).schemas as Record<string, JsonSchema>;
  const outputs = z.toJSONSchema(restSchemas, { ...options, io: 'output' }).schemas as Record<string, JsonSchema>;
  const requestIds = new Set(REST_OPERATIONS.flatMap((o: RestOperation) => (o.body ? [idOf(o.body)] : [])));
  const schemas: Record<string, JsonSchema> = {};
  for (const id of Object.keys(outputs).sort()) {
    const { $schema: _dialect, $id: _id, ...schema } = (requestIds.has(id) ? inputs : outputs)[id]!;
    schemas[id] = schema;
  }
  return schemas;
}

function idOf(schema: z.ZodType): string {
  const id = restSchemas.get(schema)?.id;
  if (!id) throw new Error('a request body of the REST route table is not registered in restSchemas');
  return id;
}

/** A schema of the table as JSON Schema: a `$ref` for a registered component, inline (with `$ref`s inside) otherwise. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = restSchemas.get(schema)?.id;
  if (id) return { $ref: COMPONENT(id) };
  const { $schema: _dialect, ...inline } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    metadata: restSchemas,
    reused: 'inline',
  }) as JsonSchema;
  // Components referenced from an inline schema come back under `$defs`: point them at the document's components.
  delete inline.$defs;
  return JSON.parse(JSON.stringify(inline).replace(/"#\/\$defs\//g, `"${COMPONENT('')}`)) as JsonSchema;
}

const SECURITY: Record<RestAuth, Record<string, string[]>[] | undefined> = {
  none: [],
  basic: [{ basicAuth: [] }],
  possession: [{}, { basicAuth: [] }],
  token: [{ userToken: [] }, { bearerToken: [] }],
  admin: [{ userToken: [] }, { bearerToken: [] }],
};

const REASONS: Record<number, string> = {
  400: 'Invalid input: the message names the field.',
  401: 'No or bad credentials.',
  403: 'Not an administrator (checked before the body).',
  404: "No such object, or one outside the caller's roles (indistinguishable).",
  409: 'Already exists.',
  413: 'Body over 1 MiB.',
  429: 'Too many failed sign-ins from this address or for this login: see Retry-After.',
  503: 'The directory (LDAP_URL) that checks this `ldap` user could not be reached in time; local users are unaffected.',
  500: 'Internal error (logged; no detail is given).',
};

const errorResponse = (status: number) => ({
  description: REASONS[status] ?? 'Failure.',
  content: { 'application/json': { schema: { $ref: COMPONENT(idOf(errorBody)) } } },
});

/** `/roles/:role/users` → `/roles/{role}/users`, and the names of its parameters. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

function operationObject(operation: RestOperation, params: string[]): JsonSchema {
  const parameters = [
    ...params.map((name) => ({
      name,
      in: 'path',
      required: true,
      description: 'Percent-decoded (`jean%40corp.com` is `jean@corp.com`).',
      schema: { type: 'string' },
    })),
    ...(operation.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: { type: 'string' } })),
  ];
  const success = operation.success;
  const responses: Record<string, unknown> = {
    [String(success.status)]: {
      description: success.description,
      content: { [success.contentType ?? 'application/json']: success.schema ? { schema: schemaOf(success.schema, 'output') } : {} },
    },
  };
  for (const status of [...operation.failures, 500]) responses[String(status)] = errorResponse(status);
  const auth = operation.auth === 'admin' ? ' Needs an administrator (privilege admin, profile data admin, no role).' : '';
  return {
    operationId: operation.id,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description || auth ? { description: `${operation.description ?? ''}${auth}`.trim() } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(operation.body, 'input') } } } } : {}),
    responses,
    security: SECURITY[operation.auth],
  };
}

/** The document; `version` is the gateway's (package.json). Deterministic: the same code gives the same bytes. */
export function buildOpenApiDocument(version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of REST_OPERATIONS as readonly RestOperation[]) {
    const { path, params } = openApiPath(operation.path);
    paths[path] ??= {};
    paths[path]![operation.method.toLowerCase()] = operationObject(operation, params);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Datasentinel access gateway: REST compatibility API',
      version,
      description:
        "The vendor's REST API (`/ds-api`) as served by the gateway, over the same services as GraphQL. Every answer " +
        'is JSON: a successful write is exactly `{"status"}`, every failure exactly `{"error"}`. Unknown paths are ' +
        '404, known paths with another method 405 with an `Allow` header.',
    },
    servers: [{ url: '/ds-api' }],
    tags: REST_TAGS,
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        basicAuth: { type: 'http', scheme: 'basic', description: 'Login (or email) and password; token endpoints only.' },
        userToken: { type: 'apiKey', in: 'header', name: 'user-token', description: 'A token from `POST /user-token`.' },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'The same token as `Authorization: Bearer`.' },
      },
    },
  };
}

/** The document as committed in {@link OPENAPI_PATH}. */
export function openApiText(version: string): string {
  return `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`;
}
