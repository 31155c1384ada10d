import { AppError } from '../errors/app-error';

/** Recognizes PostgreSQL errors by SQLSTATE, so services can turn races into the documented codes. */
interface PgErrorLike {
  code?: string;
  constraint?: string;
  driverError?: { code?: string; constraint?: string };
}

function pgError(error: unknown): { code?: string; constraint?: string } {
  const e = error as PgErrorLike | null;
  if (!e || typeof e !== 'object') return {};
  return e.driverError ?? e;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = pgError(error);
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

export function isForeignKeyViolation(error: unknown, constraint?: string): boolean {
  const e = pgError(error);
  return e.code === '23503' && (constraint === undefined || e.constraint === constraint);
}

/**
 * Database refusals that are the caller's fault, as the one AppError both adapters report: text PostgreSQL cannot
 * store (a NUL character, SQLSTATE 22021 / 22P05), and JSON it refuses (22P02 on a json/jsonb input: a lone
 * surrogate such as "\ud800", the only way a JSON document this gateway serializes can be invalid). Validators
 * reject both first, naming the field (src/services/validation.ts, src/access/tags.ts); this is the net under any
 * path they miss, e.g. a lookup by name.
 */
export function callerFaultFromDatabase(error: unknown): AppError | null {
  const e = pgError(error);
  if (e.code === '22021' || e.code === '22P05') {
    return new AppError('BAD_USER_INPUT', 'Text contains a character that cannot be stored (such as NUL)');
  }
  if (e.code === '22P02' && /\bjson\b/i.test(pgMessage(error))) {
    return new AppError('BAD_USER_INPUT', 'Text is not well-formed Unicode (it contains a lone surrogate, such as "\\ud800")');
  }
  return null;
}

function pgMessage(error: unknown): string {
  const e = error as { message?: unknown; driverError?: { message?: unknown } } | null;
  const message = e?.driverError?.message ?? e?.message;
  return typeof message === 'string' ? message : '';
}
