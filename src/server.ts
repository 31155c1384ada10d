/**
 * The HTTP server: GraphQL at `/graphql` (and its IDE for browsers), operations endpoints, and the REST
 * compatibility API, all on one Express app over one set of services.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticate } from './context/authenticate';
import type { GraphQLContext } from './graphql/context';
import { createErrorFormatter } from './graphql/format-error';
import { PLAYGROUND_ASSETS_PATH, playgroundAssetsDir, playgroundHtml } from './graphql/playground';
import { buildGatewaySchema } from './graphql/schema';
import type { Logger } from './logger';
import type { Services } from './services';

export const BODY_LIMIT = '1mb';

export interface HttpGateway {
  app: express.Express;
  server: Server;
  /** Stops accepting connections, lets in-flight requests finish, then stops GraphQL. */
  close(): Promise<void>;
}

function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && Boolean(req.accepts(['application/json', 'text/html']) === 'text/html') && !req.query.query;
}

export async function createHttpGateway(services: Services, log: Logger): Promise<HttpGateway> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const server = createServer(app);

  app.use((req, res, next) => {
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          operation: res.locals.operationName,
          login: res.locals.login,
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await services.dataSource.query('SELECT 1');
      const pending = await services.dataSource.showMigrations();
      if (pending) res.status(503).json({ status: 'unavailable', reason: 'migrations pending' });
      else res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  // GraphQL IDE, served with its assets for offline networks.
  app.use(PLAYGROUND_ASSETS_PATH, express.static(playgroundAssetsDir(), { immutable: true, maxAge: '1d', index: false }));
  app.get('/graphql', (req, res, next) => {
    if (!wantsHtml(req)) return next();
    res.type('html').send(playgroundHtml('/graphql'));
  });

  const apollo = new ApolloServer<GraphQLContext>({
    schema: await buildGatewaySchema(),
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((error) => log.error({ err: error }, 'internal error in a GraphQL operation')),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();

  app.use(
    '/graphql',
    express.json({ limit: BODY_LIMIT }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const ctx = await authenticate(services, req.headers, res.locals.requestId);
        res.locals.login = ctx.principal?.login;
        res.locals.operationName = typeof req.body?.operationName === 'string' ? req.body.operationName : undefined;
        return { ...ctx, services };
      },
    }),
  );

  // Errors raised before GraphQL or REST handlers run (body too large, malformed JSON): answer in JSON, never HTML.
  app.use((error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) log.error({ err: error }, 'unhandled HTTP error');
    const message =
      status === 413 ? 'Request body is larger than 1 MiB' : status === 400 ? 'Malformed JSON body' : status === 500 ? 'Internal server error' : error.message;
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  return {
    app,
    server,
    close: async () => {
      await apollo.stop();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
