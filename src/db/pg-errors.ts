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
 * Database refusals that are the caller's fault, as the one AppError both adapters report. Today: text PostgreSQL
 * cannot store (a NUL character, SQLSTATE 22021), which can reach any lookup by name before a validator sees it.
 */
export function callerFaultFromDatabase(error: unknown): AppError | null {
  const e = pgError(error);
  if (e.code === '22021' || e.code === '22P05') {
    return new AppError('BAD_USER_INPUT', 'Text contains a character that cannot be stored (such as NUL)');
  }
  return null;
}
