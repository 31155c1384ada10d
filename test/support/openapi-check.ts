/**
 * Checks one REST exchange against the committed OpenAPI document (schema/openapi.json), with ajv's JSON Schema
 * 2020-12 validator (the dialect of OpenAPI 3.1) over the document's own schemas. test/e2e/rest-client.ts runs it on
 * every request of every REST e2e test, so a handler that answers something the document does not describe fails the
 * test that saw it.
 *
 * What is checked:
 * - the path and method: a documented operation, or else a 404 (unknown path) or 405 with `Allow` (other method),
 *   each with an `{"error"}` body;
 * - the request body, against the operation's `requestBody` schema: a body the document refuses must be refused by
 *   the gateway too (a 4xx); one it accepts may still fail the service's value rules;
 * - the response: its status is one the operation lists, its content type the listed one, its JSON body valid.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';

export const OPENAPI_DOCUMENT = JSON.parse(readFileSync(join(__dirname, '../../schema/openapi.json'), 'utf8')) as OpenApiDocument;

interface MediaType {
  schema?: unknown;
}
interface Operation {
  operationId: string;
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

export interface Exchange {
  method: string;
  /** As sent, with the query string. */
  path: string;
  /** The request body as sent (undefined: none). */
  requestBody?: Buffer;
  status: number;
  contentType: string | undefined;
  allow?: string;
  /** The response text. */
  text: string;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export function openApiChecker(document: OpenApiDocument = OPENAPI_DOCUMENT) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document as object, 'openapi');
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string): ValidateFunction => {
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.getSchema(`openapi#/${ref}`);
      if (!validate) throw new Error(`no schema at ${ref}`);
      validators.set(ref, validate);
    }
    return validate;
  };
  const errorRef = pointer('components', 'schemas', 'Error');

  const base = document.servers[0]!.url;
  const templates = Object.keys(document.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));

  const describe = (validate: ValidateFunction) => ajv.errorsText(validate.errors, { dataVar: 'body' });

  /** The problems found in one exchange; empty when it matches the document. Only paths under the server URL count. */
  return function check(exchange: Exchange): string[] {
    const problems: string[] = [];
    const pathname = exchange.path.split('?')[0]!;
    if (!pathname.startsWith(`${base}/`) && pathname !== base) return problems;
    let relative = pathname.slice(base.length) || '/';
    if (relative.length > 1 && relative.endsWith('/')) relative = relative.slice(0, -1);
    const what = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    const json = /^application\/json\b/.test(exchange.contentType ?? '');
    let body: unknown;
    if (json) {
      try {
        body = JSON.parse(exchange.text);
      } catch {
        problems.push(`${what}: the response is not JSON`);
        return problems;
      }
    }
    const expectError = (status: number) => {
      if (exchange.status !== status) problems.push(`${what}: expected ${status}`);
      if (!json) problems.push(`${what}: an error that is not JSON (${exchange.contentType})`);
      else if (!validatorAt(errorRef)(body)) problems.push(`${what}: not an {"error"} body: ${exchange.text.slice(0, 200)}`);
    };

    const match = templates.find((t) => t.pattern.test(relative));
    // Express answers an undecodable path segment with a 400 before routing: still an {"error"}.
    if (!match) {
      if (exchange.status === 400) expectError(400);
      else expectError(404);
      return problems;
    }
    const methods = document.paths[match.template]!;
    const method = exchange.method === 'HEAD' ? 'get' : exchange.method.toLowerCase();
    const operation = methods[method];
    if (!operation) {
      if (exchange.method === 'OPTIONS' && exchange.status === 204) return problems;
      if (exchange.status === 400) expectError(400);
      else expectError(405);
      if (exchange.status === 405 && !exchange.allow) problems.push(`${what}: a 405 without an Allow header`);
      return problems;
    }

    // The request body, against the document.
    let requestValid = true;
    const requestSchema = operation.requestBody?.content['application/json'];
    if (requestSchema) {
      const ref = pointer('paths', match.template, method, 'requestBody', 'content', 'application/json', 'schema');
      try {
        const text = exchange.requestBody?.toString('utf8') ?? '';
        requestValid = validatorAt(ref)(JSON.parse(text));
      } catch {
        requestValid = false;
      }
    }
    if (!requestValid && (exchange.status < 400 || exchange.status >= 500)) {
      problems.push(`${what}: the document refuses this request body, the gateway accepted it`);
    }

    // The response, against the document.
    const response = operation.responses[String(exchange.status)];
    if (!response) {
      problems.push(`${what}: status ${exchange.status} is not documented for ${operation.operationId}`);
      return problems;
    }
    if (exchange.method === 'HEAD') return problems;
    const [mediaType] = Object.keys(response.content ?? {});
    if (mediaType && !(exchange.contentType ?? '').startsWith(mediaType)) {
      problems.push(`${what}: content type ${exchange.contentType}, documented ${mediaType}`);
      return problems;
    }
    if (json && mediaType === 'application/json' && response.content![mediaType]!.schema) {
      const validate = validatorAt(pointer('paths', match.template, method, 'responses', String(exchange.status), 'content', mediaType, 'schema'));
      if (!validate(body)) problems.push(`${what}: the body does not match the document (${operation.operationId}): ${describe(validate)}`);
    }
    return problems;
  };
}
