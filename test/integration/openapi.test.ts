/**
 * The OpenAPI document of /ds-api (src/rest/openapi.ts) against its sources: the committed copy is current, every row
 * of the route table is in it, request bodies are the very schemas the handlers validate with, and it is a valid
 * OpenAPI 3.1 document for a maintained validator (@seriousme/openapi-schema-validator, run as its CLI because it
 * ships as ESM only).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, openApiText } from '../../src/rest/openapi';
import { REST_OPERATIONS } from '../../src/rest/routes';
import { connectionCreateBody, restSchemas, userInputBody } from '../../src/rest/schemas';
import { packageInfo } from '../../src/rest/handlers/meta';

const ROOT = join(__dirname, '../..');
const committed = readFileSync(join(ROOT, 'schema/openapi.json'), 'utf8');

test('schema/openapi.json is exactly what the code generates (run `npm run schema` when this fails)', () => {
  expect(committed).toBe(openApiText(packageInfo().version));
});

test('a valid OpenAPI 3.1 document for @seriousme/openapi-schema-validator', () => {
  const cli = join(ROOT, 'node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  const out = execFileSync(process.execPath, [cli, join(ROOT, 'schema/openapi.json')], { encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ valid: true });
  expect(JSON.parse(committed).openapi).toBe('3.1.0');
});

test('every row of the route table is an operation of the document, and nothing else is', () => {
  const doc = buildOpenApiDocument('test') as { paths: Record<string, Record<string, { operationId: string }>> };
  const inDocument = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
  );
  const inTable = REST_OPERATIONS.map((o) => `${o.method} ${o.path.replace(/:(\w+)/g, '{$1}')} ${o.id}`);
  expect(inDocument.sort()).toEqual(inTable.sort());
});

test("request bodies in the document are the handlers' own zod schemas (a field added to one appears in the other)", () => {
  const doc = buildOpenApiDocument('test') as any;
  const create = doc.components.schemas[restSchemas.get(connectionCreateBody)!.id];
  expect(Object.keys(create.properties)).toEqual(Object.keys(connectionCreateBody.shape));
  expect(create.required.sort()).toEqual(['host', 'password', 'port', 'user']);
  expect(create.additionalProperties).toBe(false);
  const user = doc.components.schemas[restSchemas.get(userInputBody)!.id];
  expect(Object.keys(user.properties)).toEqual(Object.keys(userInputBody.shape));
  // The vendor's 1/0 flags, described by the schema's metadata (zod cannot describe a custom check by itself).
  expect(user.properties.live_360.anyOf).toEqual([{ type: 'boolean' }, { enum: [0, 1, '0', '1'] }]);
  expect(doc.paths['/users/{email}'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UserInput' });
});

test('display bodies: no field that could carry a password other than the mask, or a hash', () => {
  const doc = buildOpenApiDocument('test') as any;
  for (const name of ['Connection', 'User', 'Role', 'TokenDetails']) {
    const properties = Object.keys(doc.components.schemas[name].properties);
    expect(properties.filter((p) => /hash|secret|sealed/i.test(p))).toEqual([]);
  }
  expect(doc.components.schemas.Connection.properties.password).toMatchObject({ const: '********' });
  expect(doc.components.schemas.User.properties.password).toBeUndefined();
});
