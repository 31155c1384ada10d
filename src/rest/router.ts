/**
 * The REST compatibility API (docs/rest.md), mounted at `/ds-api` for the vendor's scripts and partner
 * integrations. A thin adapter: every route authenticates through the shared step, translates the vendor's body
 * dialect, calls the same service as GraphQL, and shapes the answer through an explicit DTO.
 *
 * Every answer is JSON: a successful write is exactly `{"status": "..."}`, every failure exactly `{"error": "..."}`
 * (unknown paths 404, known paths with another method 405), with statuses from the one code table.
 *
 * Which paths and methods exist, and who may call them, is the route table of src/rest/routes.ts (also the source
 * of the OpenAPI document): this file only binds each row to its handlers.
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
import { API_REFERENCE_ASSETS_PATH, apiReferenceHandlers } from './handlers/docs';
import { REST_OPERATIONS, type RestAuth, type RestMethod, type RestOperationId } from './routes';

type Row = (typeof REST_OPERATIONS)[number];

export function createRestRouter(services: Services, log: Logger): Router {
  const router = express.Router();
  const meta = metaHandlers();
  const token = tokenHandlers(services);
  const connections = connectionHandlers(services);
  const roles = roleHandlers(services);
  const users = userHandlers(services);
  const docs = apiReferenceHandlers();

  // One handler chain per row of the route table; the row's `auth` says which checks come first.
  const bound: Record<RestOperationId, RequestHandler[]> = {
    serviceInfo: [meta.index],
    openApiDocument: [meta.openApi],
    apiReference: docs.page,
    createToken: [token.create],
    tokenDetails: [token.details],
    createTokenForOrganization: [token.create],
    listConnections: [connections.list],
    displayConnection: [connections.display],
    createConnection: [readBody, connections.create],
    updateConnection: [readBody, connections.update],
    deleteConnection: [connections.remove],
    disableConnection: [connections.disable],
    enableConnection: [connections.enable],
    listRoles: [roles.list],
    displayRole: [roles.display],
    createRole: [readBody, roles.create],
    updateRole: [readBody, roles.update],
    deleteRole: [roles.remove],
    usersOfRole: [roles.users],
    listUsers: [users.list],
    displayUser: [users.display],
    createUser: [readBody, users.create],
    updateUser: [readBody, users.update],
    deleteUser: [users.remove],
  };
  const caller = signedIn(services);
  // Writes: caller, then administrator, then (only then) the body is read.
  const guards: Record<RestAuth, RequestHandler[]> = {
    none: [],
    basic: [],
    possession: [],
    token: [caller],
    admin: [caller, administrator],
  };

  // Tokens and account data must not sit in shared caches.
  router.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  // The reference page's scripts and styles (Swagger UI from npm, served here: no CDN).
  router.use(API_REFERENCE_ASSETS_PATH, ...docs.assets);

  const byPath = new Map<string, Row[]>();
  for (const operation of REST_OPERATIONS) byPath.set(operation.path, [...(byPath.get(operation.path) ?? []), operation]);
  for (const [path, operations] of byPath) {
    const route = router.route(path);
    for (const operation of operations) {
      const handlers = [...guards[operation.auth], ...bound[operation.id]];
      const method = operation.method.toLowerCase() as Lowercase<RestMethod>;
      route[method](...handlers);
    }
    // Any other method: 405 with the methods the table lists for this path (GET implies HEAD).
    const allowed = operations.flatMap((o) => (o.method === 'GET' ? ['GET', 'HEAD'] : [o.method]));
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
