/**
 * The direct route: `POST /graphql`, the request every dashboard sends, runs the very handlers Express would run for
 * it, in the same order, with the same error handler, but without Express's router walk.
 *
 * Why: the router matches each request against every layer of the app (about fifteen here: request log, security
 * headers, CORS, metrics, health and readiness routes, the IDE's routes, the GraphQL mount) and rewrites the URL for
 * the mount; measured under the bench's load that walk was about a sixth of the gateway's own CPU for a dashboard
 * request (BENCHMARKS.md). Express stays the home of every other request, and of any `/graphql` request this route
 * does not take (another method, a query string, a trailing slash), which Express then serves through the same
 * handler list.
 *
 * What Express does for a request before its router runs is done here too (`app.handle`: the circular `req.res` /
 * `res.req` references, its request and response prototypes, `res.locals`), so the handlers see the objects they
 * would see under Express: `req.ip` under TRUST_PROXY, `res.status().json()`, and so on. The handler list is one
 * array, mounted on Express as well (server.ts), so the two paths cannot drift apart; a test sends the same requests
 * both ways and compares the answers (test/e2e/direct-route.test.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';

export interface DirectRoute {
  method: string;
  /** The exact request target (no query string); anything else goes to Express. */
  path: string;
  /** Express's handlers for such a request, in its order (the app-wide ones first). */
  handlers: readonly RequestHandler[];
  /** Run when every handler called `next()` without answering (Express would go on to its 404 handler). */
  notFound: RequestHandler;
  /** The app's error handler, for `next(error)` and for a handler that throws or rejects. */
  onError: ErrorRequestHandler;
  /** What Express's final handler does with an error the error handler passes on (headers already sent). */
  onUnhandled: (error: unknown, req: Request, res: Response) => void;
}

/** Whether `route` takes this request. */
export function takes(route: Pick<DirectRoute, 'method' | 'path'>, req: IncomingMessage): boolean {
  return req.method === route.method && req.url === route.path;
}

/** Runs the route's handlers for a request it takes, as Express's router would run them. */
export function serveDirect(app: Express, route: DirectRoute, incoming: IncomingMessage, outgoing: ServerResponse): void {
  // As app.handle does before its router runs (express/lib/application.js).
  const req = incoming as Request;
  const res = outgoing as Response;
  req.res = res;
  res.req = req;
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  if (!res.locals) res.locals = Object.create(null) as Record<string, unknown>;
  // As the router sets it: the log and the metrics read the path from it.
  req.originalUrl ??= req.url;

  let index = 0;
  let failed = false;
  const next: NextFunction = (error?: unknown) => {
    if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
      if (failed) return route.onUnhandled(error, req, res);
      failed = true;
      return call(() => route.onError(error, req, res, (passed?: unknown) => route.onUnhandled(passed ?? error, req, res)));
    }
    // After the list comes the not-found handler; if even that passes the request on, nothing is left (as under Express).
    if (index > route.handlers.length) return;
    const handler = route.handlers[index] ?? route.notFound;
    index += 1;
    call(() => handler(req, res, next));
  };
  // Express 5 passes a handler's throw or rejected promise to next(error).
  const call = (run: () => unknown) => {
    try {
      const result = run();
      if (result instanceof Promise) result.catch((error: unknown) => next(error ?? new Error('Rejected promise')));
    } catch (error) {
      next(error);
    }
  };
  next();
}
