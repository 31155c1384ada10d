/**
 * REST error answers: every failure is exactly `{"error": "<message>"}`, with the status the one code table
 * ({@link httpStatusOf}) gives for an {@link AppError}. HTTP-level failures the adapter raises itself (unknown path,
 * wrong method, body too large ...) are {@link HttpError}s. Anything else is an internal fault: logged, and
 * answered with a generic message (no SQL, no stack trace).
 */
import type { NextFunction, Request, Response } from 'express';
import { callerFaultFromDatabase } from '../db/pg-errors';
import { AppError, httpStatusOf } from '../errors/app-error';
import { transportError } from '../http/transport-errors';
import type { Logger } from '../logger';
import { truncateForLog } from '../ops/request-labels';

/** An HTTP-only failure (routing, body transport) that has no place in the service taxonomy. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: string;
}

export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

const INTERNAL = 'Internal server error';

/** Turns anything thrown by a handler into the REST answer. `internal` is called for faults that are logged. */
export function toErrorAnswer(thrown: unknown, internal: (error: unknown) => void): ErrorAnswer {
  if (thrown instanceof HttpError) return { status: thrown.status, body: { error: thrown.message }, headers: thrown.headers };
  // Errors Express and body-parser raise while reading the request become codes of the one taxonomy.
  const error = callerFaultFromDatabase(thrown) ?? transportError(thrown) ?? thrown;
  if (error instanceof AppError) {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      internal(error);
      return { status: 500, body: { error: INTERNAL }, headers: {} };
    }
    // Sign-in throttling (RATE_LIMITED, 429) says when to come back, as HTTP clients expect.
    const retryAfter = error.details.retryAfterSeconds;
    const headers: Record<string, string> = typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : {};
    return { status: httpStatusOf(error.code), body: { error: error.message }, headers };
  }
  internal(error);
  return { status: 500, body: { error: INTERNAL }, headers: {} };
}

/** The REST router's final error middleware: always JSON, never HTML, never a stack trace. */
export function restErrorHandler(log: Logger) {
  return (error: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = toErrorAnswer(error, (fault) =>
      log.error({ err: fault, requestId: res.locals.requestId, method: req.method, path: truncateForLog(req.path) }, 'internal error in a REST handler'),
    );
    for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
    res.status(answer.status).json(answer.body);
  };
}
