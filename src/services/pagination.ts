/** Cursor pagination shared by every list: sorted by name, opaque cursors, `first` capped. */
import { AppError } from '../errors/app-error';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface PageArgs {
  first: number;
  /** Name of the last item of the previous page, decoded from the cursor; `null` for the first page. */
  after: string | null;
}

export function encodeCursor(name: string): string {
  return Buffer.from(`n:${name}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith('n:') || decoded.length < 3) {
    throw new AppError('BAD_USER_INPUT', 'Invalid cursor: pass the endCursor or an edge cursor of a previous page', {
      field: 'after',
    });
  }
  return decoded.slice(2);
}

/**
 * Validates paging arguments. `first` above {@link MAX_PAGE_SIZE} is capped (the documented behaviour), negative is
 * an error.
 */
export function pageArgs(first: number | null | undefined, after: string | null | undefined): PageArgs {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0) {
    throw new AppError('BAD_USER_INPUT', '`first` must be a non-negative integer', { field: 'first' });
  }
  return { first: Math.min(size, MAX_PAGE_SIZE), after: after == null || after === '' ? null : decodeCursor(after) };
}

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
}

/** Trims the one extra row fetched to learn whether another page exists. */
export function toPage<T>(rows: T[], first: number): Page<T> {
  return { items: rows.slice(0, first), hasNextPage: rows.length > first };
}
