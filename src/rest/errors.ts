/**
 * REST error answers: every failure is exactly `{"error": "<message>"}`, with the status the one code table
 * ({@link httpStatusOf}) gives for an {@link AppError}. HTTP-level failures the adapter raises itself (unknown path,
 * wrong method, body too large ...) are {@link HttpError}s. Anything else is an internal fault: logged, and
 * answered with a generic message (no SQL, no stack trace).
 */
import type { NextFunction, Request, Response } from 'express';
import { callerFaultFromDatabase } from '../db/pg-errors';
import { AppError, httpStatusOf } from '../errors/app-error';
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

/** Messages for the errors Express and body-parser raise themselves, by their `type`. */
function transportError(error: { status?: number; statusCode?: number; type?: string; message?: string }): ErrorAnswer | null {
  const status = error.status ?? error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  const byType: Record<string, string> = {
    'entity.too.large': 'Request body is larger than 1 MiB',
    'request.aborted': 'Request body was not received completely',
    'request.size.invalid': 'Request body size does not match its Content-Length',
    'encoding.unsupported': 'Unsupported Content-Encoding: send the body uncompressed, gzip, deflate or br',
    'charset.unsupported': 'Unsupported charset: send the body in UTF-8',
    'parameters.too.many': 'Too many parameters',
  };
  let message = (error.type && byType[error.type]) ?? undefined;
  // Express reports a path segment it cannot percent-decode as a 400 URIError.
  if (!message && error instanceof URIError) message = 'Malformed URL: a path segment is not valid percent-encoded UTF-8';
  if (!message) message = status === 413 ? byType['entity.too.large']! : 'Bad request';
  return { status, body: { error: message }, headers: {} };
}

/** Turns anything thrown by a handler into the REST answer. `internal` is called for faults that are logged. */
export function toErrorAnswer(thrown: unknown, internal: (error: unknown) => void): ErrorAnswer {
  const error = callerFaultFromDatabase(thrown) ?? thrown;
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
  if (error instanceof HttpError) return { status: error.status, body: { error: error.message }, headers: error.headers };
  if (error && typeof error === 'object') {
    const transport = transportError(error as Parameters<typeof transportError>[0]);
    if (transport) return transport;
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
