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
