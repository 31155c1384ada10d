/** Path parameters of the REST routes, already percent-decoded by Express (`jean%40corp.com` → `jean@corp.com`). */
import type { Request } from 'express';
import { AppError } from '../errors/app-error';

/**
 * The decoded path parameter `name`. Whatever it contains (`/`, `..`, spaces, any Unicode) goes to the service
 * layer, which answers 400 on a write (invalid name) and 404 on a lookup (no such object), except NUL, which no
 * name or email may contain and PostgreSQL text cannot hold: 400 here.
 */
export function pathParam(req: Request, name: string): string {
  const value = req.params[name];
  if (typeof value !== 'string') throw new AppError('INTERNAL_SERVER_ERROR', `route without a :${name} parameter`);
  if (value.includes('\u0000')) throw new AppError('BAD_USER_INPUT', `${name}: contains a NUL character`, { field: name });
  return value;
}
