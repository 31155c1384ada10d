/**
 * Request bodies of the REST adapter: transport (size, encoding, JSON syntax) and shape (field names and JSON types,
 * as zod strict objects). Value rules (name syntax, port range, password length ...) are not checked here: they
 * belong to the service layer, which both adapters share.
 *
 * Every failure is a 400 (413 for size) whose message names the field, e.g. `port: must be a number` or
 * `bogus: unknown field (accepted: host, port, ...)`.
 */
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { isWellFormedText, LONE_SURROGATE_PROBLEM } from '../access/tags';
import { AppError } from '../errors/app-error';
import { BODY_LIMIT_BYTES } from '../http/transport-errors';

// The bound lives with the rest of the HTTP transport; re-exported for the importers of this module.
export { BODY_LIMIT_BYTES } from '../http/transport-errors';

/**
 * Reads the body as bytes, whatever its Content-Type says (curl without `-H 'Content-Type: application/json'` sends
 * `application/x-www-form-urlencoded`; the vendor's scripts always mean JSON). Parsing happens in {@link jsonBody}.
 */
export const readBody: RequestHandler = express.raw({ type: () => true, limit: BODY_LIMIT_BYTES });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request's JSON object. Missing or blank body, invalid UTF-8, malformed JSON and anything but an object are
 * 400s with a message that says which.
 */
export function jsonBody(body: unknown): Record<string, unknown> {
  if (!Buffer.isBuffer(body) || body.length === 0) throw badBody('Request body is required: send a JSON object');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw badBody('Request body is not valid UTF-8');
  }
  if (text.trim() === '') throw badBody('Request body is required: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    throw badBody(`Malformed JSON body${detail}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badBody(`Request body must be a JSON object, not ${describe(value)}`);
  }
  rejectHostileValues(value);
  return value as Record<string, unknown>;
}

function badBody(message: string, field?: string): AppError {
  return new AppError('BAD_USER_INPUT', message, field === undefined ? {} : { field });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** No body of this API nests deeper than 5 levels; a much deeper one is an attack on the parser's recursion. */
export const MAX_BODY_DEPTH = 32;

/**
 * Walks the parsed body without recursion: rejects nesting deeper than {@link MAX_BODY_DEPTH}, and NUL characters and
 * lone surrogates (a JSON escape such as `"\ud800"`) in any key or string: PostgreSQL text cannot hold NUL, jsonb
 * refuses a lone surrogate and text would silently store U+FFFD instead.
 */
function rejectHostileValues(body: unknown): void {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: body, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, path } = item;
    if (path.length > MAX_BODY_DEPTH) throw badBody(`Request body is nested more than ${MAX_BODY_DEPTH} levels deep`);
    if (typeof value === 'string') {
      if (value.includes('\u0000')) {
        const field = formatPath(path) || 'body';
        throw badBody(`${field}: contains a NUL character`, field);
      }
      if (!isWellFormedText(value)) {
        const field = formatPath(path) || 'body';
        throw badBody(`${field}: ${LONE_SURROGATE_PROBLEM}`, field);
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], path: [...path, i] });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value).reverse()) {
        if (key.includes('\u0000')) {
          const field = formatPath([...path, key.replaceAll('\u0000', '\\u0000')]);
          throw badBody(`${field}: contains a NUL character`, field);
        }
        if (!isWellFormedText(key)) {
          const field = formatPath([...path, JSON.stringify(key).slice(1, -1)]);
          throw badBody(`${field}: ${LONE_SURROGATE_PROBLEM}`, field);
        }
        stack.push({ value: child, path: [...path, key] });
      }
    }
  }
}

/** `['access', 0, 'filters', 1, 'tag']` → `access[1].filters[2].tag` (1-based, as the service layer counts). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part + 1}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Validates the shape of a body with a zod schema; throws BAD_USER_INPUT naming the first offending field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const field = formatPath([...issue.path, issue.keys[0]!]);
    const accepted = acceptedKeys(schema, issue.path);
    const hint = accepted.length > 0 ? ` (accepted: ${accepted.join(', ')})` : '';
    throw badBody(`${field}: unknown field${hint}`, field);
  }
  const field = formatPath(issue.path);
  throw badBody(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}

/** The keys a (strict) object schema accepts at `path`, to list them in an "unknown field" message. */
function acceptedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const part of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, z.ZodType>)[String(part)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else return [];
  }
  current = unwrap(current);
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (let i = 0; i < 10 && current; i += 1) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      break;
    }
  }
  return current;
}

// ------------------------------------------------------------------ field types, with messages that name the type

const typeError = (expected: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${expected}, not ${describe(issue.input)}`;

export const str = () => z.string({ error: typeError('a string') });
export const num = () => z.number({ error: typeError('a number') });
export const bool = () => z.boolean({ error: typeError('true or false') });
export const strList = () => z.array(str(), { error: typeError('an array of strings') });

/**
 * The vendor's flags: `1` / `0`, also `"1"`, `"0"`, `true`, `false` (the vendor shows and takes `live_360` as
 * 1/0; its scripts send `"ldap": true`).
 */
export const vendorFlag = () =>
  z
    .custom<boolean | 0 | 1 | '0' | '1'>((v) => v === true || v === false || v === 1 || v === 0 || v === '1' || v === '0', {
      error: (issue) => (issue.input === undefined ? 'is required' : `must be 1 or 0 (or true / false), not ${JSON.stringify(issue.input)}`),
    })
    .transform((v) => v === true || v === 1 || v === '1');
