/**
 * The REST compatibility API (CONTRACT section 3), mounted at `/ds-api` for the vendor's scripts and partner
 * integrations. A thin adapter: every route authenticates through the shared step, translates the vendor's body
 * dialect, calls the same service as GraphQL, and shapes the answer through an explicit DTO.
 *
 * Every answer is JSON: a successful write is exactly `{"status": "..."}`, every failure exactly `{"error": "..."}`
 * (unknown paths 404, known paths with another method 405), with statuses from the one code table.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { readBody } from './body';
import { administrator, signedIn } from './context';
import { HttpError, restErrorHandler } from './errors';
import { connectionHandlers } from './handlers/connections';
import { metaHandlers } from './handlers/meta';
import { roleHandlers } from './handlers/roles';
import { tokenHandlers } from './handlers/token';
import { userHandlers } from './handlers/users';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RouteSpec {
  path: string;
  methods: Partial<Record<Method, RequestHandler[]>>;
}

export function createRestRouter(services: Services, log: Logger): Router {
  const router = express.Router();
  const meta = metaHandlers();
  const token = tokenHandlers(services);
  const connections = connectionHandlers(services);
  const roles = roleHandlers(services);
  const users = userHandlers(services);
  const caller = signedIn(services);
  // Writes: caller, then administrator, then (only then) the body is read.
  const write = (...handlers: RequestHandler[]) => [caller, administrator, ...handlers];
  const read = (...handlers: RequestHandler[]) => [caller, ...handlers];

  const routes: RouteSpec[] = [
    { path: '/', methods: { GET: [meta.index] } },
    { path: '/user-token', methods: { POST: [token.create], GET: [token.details] } },
    { path: '/user-token/:organization', methods: { POST: [token.create] } },
    { path: '/pool/pg-instances', methods: { GET: read(connections.list) } },
    {
      path: '/pool/pg-instances/:name',
      methods: {
        GET: read(connections.display),
        POST: write(readBody, connections.create),
        PUT: write(readBody, connections.update),
        DELETE: write(connections.remove),
      },
    },
    { path: '/pool/pg-instances/:name/disable', methods: { PATCH: write(connections.disable) } },
    { path: '/pool/pg-instances/:name/enable', methods: { PATCH: write(connections.enable) } },
    { path: '/roles', methods: { GET: read(roles.list) } },
    {
      path: '/roles/:role',
      methods: {
        GET: read(roles.display),
        POST: write(readBody, roles.create),
        PUT: write(readBody, roles.update),
        DELETE: write(roles.remove),
      },
    },
    { path: '/roles/:role/users', methods: { GET: read(roles.users) } },
    { path: '/users', methods: { GET: read(users.list) } },
    {
      path: '/users/:email',
      methods: {
        GET: read(users.display),
        POST: write(readBody, users.create),
        PUT: write(readBody, users.update),
        DELETE: write(users.remove),
      },
    },
  ];

  // Tokens and account data must not sit in shared caches.
  router.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  for (const spec of routes) {
    const route = router.route(spec.path);
    const allowed = Object.keys(spec.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
    for (const method of Object.keys(spec.methods) as Method[]) {
      const handlers = spec.methods[method]!;
      switch (method) {
        case 'GET':
          route.get(...handlers);
          break;
        case 'POST':
          route.post(...handlers);
          break;
        case 'PUT':
          route.put(...handlers);
          break;
        case 'PATCH':
          route.patch(...handlers);
          break;
        case 'DELETE':
          route.delete(...handlers);
          break;
      }
    }
    route.all((req: Request, res: Response) => {
      const allow = [...allowed, 'OPTIONS'].join(', ');
      res.setHeader('allow', allow);
      if (req.method === 'OPTIONS') {
        res.status(204).end();
        return;
      }
      throw new HttpError(405, `Method ${req.method} is not allowed on ${req.baseUrl}${req.path}; use ${allowed.join(', ')}`, { allow });
    });
  }

  router.use((req: Request) => {
    throw new HttpError(404, `Not found: ${req.method} ${req.baseUrl}${req.path} is not part of the API`);
  });
  router.use(restErrorHandler(log));
  return router;
}
