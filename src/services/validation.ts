/**
 * Input rules shared by every adapter (docs/graphql.md, "The access model", and docs/rest.md), written as zod
 * schemas. A failure becomes one BAD_USER_INPUT error whose message names the field, e.g. `port: must be between 1 and 65535`.
 */
import { z } from 'zod';
import { isWellFormedText, LONE_SURROGATE_PROBLEM } from '../access/tags';
import { AppError } from '../errors/app-error';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Connection and role names: 1-64 of A-Z a-z 0-9 _ . - (and not "." or "..", which would be path segments). */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export const nameSchema = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `${what} must be 1-64 characters among A-Z a-z 0-9 _ . -`)
    .refine((s) => s !== '.' && s !== '..', `${what} cannot be "." or ".."`);

export const hostSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(255, 'is longer than 255 characters')
  .regex(/^[A-Za-z0-9._:%-]+$/, 'must be a hostname or an IP address');

export const portSchema = z.number().int('must be an integer').min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');

export const pgUserSchema = z
  .string()
  .min(1, 'is required')
  .max(63, 'is longer than 63 characters (PostgreSQL role names are limited to 63 bytes)')
  .refine((s) => !CONTROL.test(s), 'contains a control character')
  .refine((s) => s.trim() === s, 'has leading or trailing spaces');

export const connectionPasswordSchema = z
  .string()
  .min(1, 'is required')
  .max(1024, 'is longer than 1024 characters')
  .refine((s) => !s.includes('\u0000'), 'contains a NUL character');

export const emailSchema = z.string().trim().max(254, 'is longer than 254 characters').pipe(z.email('must be a valid email address'));

export const userPasswordSchema = z.string().min(8, 'must be at least 8 characters').max(1024, 'is longer than 1024 characters');

export const commentSchema = z.string().max(2000, 'is longer than 2000 characters').nullable();

/**
 * The path of the first string (or key) in `input` that is not well-formed Unicode, or `null`. Walks without
 * recursion; inputs are small and shallow, but a depth bound keeps a hostile one cheap.
 */
export function illFormedTextPath(input: unknown): (string | number)[] | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) return path;
    } else if (path.length < 16 && Array.isArray(value)) {
      value.forEach((element, i) => stack.push({ value: element, path: [...path, i] }));
    } else if (path.length < 16 && value !== null && typeof value === 'object') {
      for (const [key, element] of Object.entries(value)) {
        if (!isWellFormedText(key)) return [...path, key];
        stack.push({ value: element, path: [...path, key] });
      }
    }
  }
  return null;
}

/** Throws BAD_USER_INPUT naming the field when a string in `input` is not well-formed Unicode (a lone surrogate). */
export function requireWellFormedText(input: unknown, prefix?: string): void {
  const bad = illFormedTextPath(input);
  if (bad === null) return;
  // Escaped like JSON, in case the bad string is a key: the message itself must be well-formed.
  const path = JSON.stringify([prefix, ...bad.map(String)].filter((p) => p !== undefined && p !== '').join('.') || 'input').slice(1, -1);
  throw new AppError('BAD_USER_INPUT', `${path}: ${LONE_SURROGATE_PROBLEM}`, { field: path });
}

/**
 * Parses `input` with `schema`, or throws BAD_USER_INPUT naming the first offending field. Every string must be
 * well-formed Unicode first (PostgreSQL refuses lone surrogates in jsonb and mangles them in text).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix?: string): z.output<S> {
  requireWellFormedText(input, prefix);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.');
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  throw new AppError('BAD_USER_INPUT', path ? `${path}: ${message}` : message, path ? { field: path } : {});
}

/** Drops keys whose value is `undefined`, so "not given" never reaches a rule or overwrites a column. */
export function defined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Escapes `%`, `_` and `\` for a LIKE / ILIKE pattern (the default escape character is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
