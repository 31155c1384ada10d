/**
 * The HTTP server: GraphQL at `/graphql` (and its IDE for browsers), operations endpoints, and the REST
 * compatibility API, all on one Express app over one set of services.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import { authenticate } from './context/authenticate';
import { pendingMigrations } from './db/migrate';
import type { GraphQLContext } from './graphql/context';
import { createExecutor, executionGateway } from './graphql/executor';
import { answerSlot, isCoveredDocument } from './graphql/answer-cache';
import { createKnownQueries } from './graphql/known-queries';
import { createErrorFormatter } from './graphql/format-error';
import { PersistedDocumentCache } from './graphql/persisted-queries';
import { graphqlRequestGate } from './graphql/request-gate';
import { PLAYGROUND_ASSETS_PATH, PLAYGROUND_INIT_PATH, PLAYGROUND_INIT_SCRIPT, playgroundAssetsDir, playgroundHtml } from './graphql/playground';
import { PLAYGROUND_SESSION_PATH, PLAYGROUND_SESSION_SCRIPT } from './graphql/playground-session';
import { buildGatewaySchema } from './graphql/schema';
import { mountDashboardExample } from './http/dashboard-example';
import { corsPolicy, playgroundContentSecurityPolicy, securityHeaders } from './http/security';
import { serveDirect, takes, type DirectRoute } from './http/direct-route';
import { InFlightResponses } from './http/in-flight';
import { BODY_LIMIT_BYTES, transportError } from './http/transport-errors';
import { AppError } from './errors/app-error';
import { sendGraphQLRefusal } from './graphql/limits';
import type { Logger } from './logger';
import { createOpsInstrumentation } from './ops/metrics';
import { truncateForLog, truncateOperationName } from './ops/request-labels';
import { DEFAULT_CACHE_BOUNDS, DEFAULT_GRAPHQL_LIMITS } from './security-config';
import { Readiness } from './ops/readiness';
import { createRestRouter } from './rest/router';
import type { Services } from './services';
import { attachSubscriptions } from './subscriptions/websocket-server';

export interface HttpGateway {
  app: express.Express;
  server: Server;
  /** Entries held by the GraphQL layer's per-replica caches now (each has a bound: docs/security.md). */
  cacheSizes(): {
    limitVerdicts: number;
    /** What the verdicts count against their bound (characters of document text × 4). */
    limitVerdictsSize: number;
    persistedDocuments: number;
    /** What the APQ documents count against their bound (characters of document text). */
    persistedDocumentsSize: number;
    compiledDocuments: number;
    /** Query texts the known-query lane answers without Apollo's pipeline (src/graphql/known-queries.ts). */
    knownQueries: number;
  };
  readiness: Readiness;
  /** Requests being answered right now. */
  inFlight(): number;
  /**
   * Shutdown: /readyz answers 503 at once; requests keep being served (with `Connection: close`) until none is in
   * flight or `graceMs` has passed; then the server stops accepting connections, cuts those still open, and stops
   * GraphQL.
   */
  close(graceMs?: number): Promise<void>;
}

export interface HttpGatewayOptions {
  /** A server already listening (gateway.ts opens it first, to answer probes while starting); default: a new one. */
  server?: Server;
  readiness?: Readiness;
  /** The listener that answered while starting (src/ops/readiness.ts), replaced by the application. */
  startupListener?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * A browser navigating to /graphql (it prefers HTML to JSON). `?query=` does not change that: the IDE keeps the
 * current query in the URL, so reloading or sharing the page must still open the IDE; API clients asking for JSON
 * still get Apollo's answer to a GET query.
 */
function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && Boolean(req.accepts(['application/json', 'text/html']) === 'text/html');
}

export async function createHttpGateway(services: Services, log: Logger, options: HttpGatewayOptions = {}): Promise<HttpGateway> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: every answer is computed per caller and never revalidated, so hashing each body (29 kB for a dashboard
  // page) was pure cost. Static IDE assets keep theirs (express.static sets its own).
  app.set('etag', false);
  // Whose X-Forwarded-For to believe for req.ip (sign-in throttling keys on it): TRUST_PROXY, none by default.
  app.set('trust proxy', services.config.trustProxy ?? false);
  const readiness = options.readiness ?? new Readiness();
  const server = options.server ?? createServer();
  /** Responses not finished yet: counted by the drain, told to close their connection when shutdown begins. */
  const inFlight = new InFlightResponses();
  const ops = createOpsInstrumentation({ dataSource: services.dataSource, enabled: services.config.metricsEnabled, log, inFlight: () => inFlight.size });

  // Every request's id, headers and access-log line: the first handler, on Express and on the direct route alike.
  const requestLog: express.RequestHandler = (req, res, next) => {
    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    // Draining: clients finish this request, then open their next connection elsewhere.
    if (readiness.shuttingDown) res.setHeader('connection', 'close');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log.info(
        {
          requestId,
          method: req.method,
          // originalUrl: routers rewrite req.url while they run; the query string may carry a token, so it is left out.
          path: truncateForLog(req.originalUrl.split('?')[0] ?? ''),
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          operation: res.locals.operationName,
          login: res.locals.login,
        },
        'request',
      );
    });
    next();
  };
  // Security headers on every answer, and CORS (closed unless CORS_ORIGINS): src/http/security.ts. Then route names
  // for the log, request metrics and GET /metrics (src/ops/metrics.ts).
  const everyRequest = [requestLog, securityHeaders(), corsPolicy(services.config.corsOrigins ?? []), ops.middleware];
  app.use(everyRequest);
  ops.install(app);

  // Liveness: no I/O, so a slow database never gets a replica restarted.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Readiness (src/ops/readiness.ts): started, not shutting down, database reachable, no migration of this build pending.
  app.get('/readyz', async (_req, res) => {
    res.setHeader('cache-control', 'no-store');
    if (!readiness.ready) return void res.status(503).json({ status: 'unavailable', reason: readiness.state });
    try {
      const pending = await pendingMigrations(services.dataSource);
      if (pending.length > 0) res.status(503).json({ status: 'unavailable', reason: 'migrations pending' });
      else res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  // GraphQL IDE, served with its assets for offline networks (GRAPHQL_PLAYGROUND), under a CSP with no inline script.
  if (services.config.graphqlPlayground) {
    const ideCsp = playgroundContentSecurityPolicy();
    app.use(PLAYGROUND_ASSETS_PATH, ideCsp, express.static(playgroundAssetsDir(), { immutable: true, maxAge: '1d', index: false }));
    app.get(PLAYGROUND_INIT_PATH, ideCsp, (_req, res) => {
      res.type('text/javascript').send(PLAYGROUND_INIT_SCRIPT);
    });
    // Session bar (sign in / paste a token) and the editor's worker URLs: src/graphql/playground-session.ts.
    app.get(PLAYGROUND_SESSION_PATH, ideCsp, (_req, res) => {
      res.type('text/javascript').send(PLAYGROUND_SESSION_SCRIPT);
    });
    app.get('/graphql', (req, res, next) => {
      if (!wantsHtml(req)) return next();
      ideCsp(req, res, () => res.type('html').send(playgroundHtml('/graphql')));
    });
  }

  const schema = await buildGatewaySchema();
  const config = services.config;
  const bounds = config.cacheBounds ?? DEFAULT_CACHE_BOUNDS;
  const persistedQueries = config.persistedQueries ?? { mode: 'apq', manifest: null };
  // APQ documents, bounded, shared by Apollo (which registers them) and the request gate (which checks them).
  const apqCache = persistedQueries.mode === 'apq' ? new PersistedDocumentCache(bounds.persistedDocuments) : null;
  const gate = graphqlRequestGate(schema, {
    limits: config.graphqlLimits ?? DEFAULT_GRAPHQL_LIMITS,
    persistedQueries,
    apqCache,
    verdictCacheChars: bounds.limitVerdicts,
  });
  const executor = createExecutor(schema, {
    jit: config.graphqlJit,
    minUses: config.graphqlJitMinUses,
    maxDocuments: bounds.compiledDocuments,
    onCompile: (operationName) => log.debug({ operation: operationName ? truncateOperationName(operationName) : undefined }, 'query compiled'),
  });
  const hideSchemaDetails = !(config.graphqlIntrospection ?? true);
  const formatError = createErrorFormatter((error) => log.error({ err: error }, 'internal error in a GraphQL operation'), {
    hideSuggestions: hideSchemaDetails,
  });
  // Subscriptions (graphql-ws) on the same port and path, under the same limits: src/subscriptions/websocket-server.ts.
  const live = attachSubscriptions(server, {
    schema,
    services,
    limiter: gate.limiter,
    persistedQueries,
    log,
    formatError,
    accepting: () => !readiness.shuttingDown,
  });
  const graphqlContext = async (req: Request, res: Response): Promise<GraphQLContext> => {
    const ctx = await authenticate(services, req.headers, res.locals.requestId as string, req.ip, 'graphql');
    res.locals.login = ctx.principal?.login;
    // Client-controlled: bounded before anything logs it (the metrics plugin refines it once the document parsed).
    const operationName = (req.body as { operationName?: unknown } | undefined)?.operationName;
    res.locals.operationName = typeof operationName === 'string' ? truncateOperationName(operationName) : undefined;
    const context = { ...ctx, services };
    ops.trackGraphQLContext(context, res);
    return context;
  };
  const knownQueries = config.graphqlKnownQueries
    ? createKnownQueries({
        executor,
        contextFor: graphqlContext,
        answered: (context, document, requested, kept) => ops.knownQueryAnswered(context, document, requested, kept),
        maxQueries: bounds.compiledDocuments,
        maxChars: bounds.persistedDocuments,
        answers: {
          covers: (document) => isCoveredDocument(schema, document),
          slot: (context, query, operationName, variables) => answerSlot(services.answerCache, context as GraphQLContext, query, operationName, variables),
        },
      })
    : null;
  const apollo = new ApolloServer<GraphQLContext>({
    // The schema and how operations run (graphql-jit for repeated read queries): src/graphql/executor.ts.
    gateway: executionGateway(schema, executor),
    introspection: config.graphqlIntrospection ?? true,
    // With introspection off, no error suggests schema names ("Did you mean …?"): validation errors here, every
    // other error in the formatter.
    hideSchemaDetailsFromClientErrors: hideSchemaDetails,
    // `trusted` mode: the gate hands Apollo the manifest's text, so Apollo's own APQ stays off.
    persistedQueries: apqCache ? { cache: apqCache.apolloCache } : false,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGINT/SIGTERM: it drains HTTP, then closes the change feed, the pool and the embedded server.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      // Runs after close() has drained requests (below): it stops the listener and ends the idle sockets.
      ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: 2000 }),
      ApolloServerPluginLandingPageDisabled(),
      // No HTTP caching of GraphQL answers here; without this plugin Apollo would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      ops.apolloPlugin,
      ...(knownQueries ? [knownQueries.plugin] : []),
    ],
  });
  await apollo.start();

  const graphqlHandlers = [
    express.json({ limit: BODY_LIMIT_BYTES }),
    // Persisted documents resolved, then depth, cost, aliases, directives, document size and batching checked on
    // exactly what Apollo will run, before any context or SQL: src/graphql/request-gate.ts.
    gate.handler,
    // A read query Apollo already resolved, answered without its pipeline: src/graphql/known-queries.ts.
    ...(knownQueries ? [knownQueries.handler] : []),
    expressMiddleware(apollo, {
      // The known-query lane may have built this request's context already (and handed Apollo the request).
      context: ({ req, res }) => (res.locals.graphqlContext as Promise<GraphQLContext> | undefined) ?? graphqlContext(req, res),
    }),
  ];
  app.use('/graphql', graphqlHandlers);

  // The live dashboard example (docs/dashboards.md), when built.
  mountDashboardExample(app);

  // REST compatibility API (docs/rest.md): its own JSON errors, `{"error": "..."}`.
  app.use('/ds-api', createRestRouter(services, log));

  // Any other path (and /metrics when metrics are off): a JSON 404 like the REST API's, never Express's HTML page.
  const notFound = (req: Request, res: Response) => {
    res.status(404).json({ error: `Not found: ${req.method} ${req.path}` });
  };
  app.use(notFound);

  // Errors raised before GraphQL or REST handlers run (body too large, malformed JSON): answer in JSON, never HTML,
  // with a code of the one taxonomy and its status.
  const answerError = (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const refusal = transportError(error);
    if (!refusal) log.error({ err: error }, 'unhandled HTTP error');
    sendGraphQLRefusal(res, refusal ?? new AppError('INTERNAL_SERVER_ERROR', 'Internal server error'));
  };
  app.use(answerError);

  // POST /graphql without the router's walk, through the same handlers (src/http/direct-route.ts).
  const graphqlPost: DirectRoute = {
    method: 'POST',
    path: '/graphql',
    handlers: [...everyRequest, ...graphqlHandlers],
    notFound,
    onError: answerError,
    // What Express's final handler does once an answer has begun: nothing more can be sent, so the socket goes.
    onUnhandled: (error, req) => {
      log.error({ err: error }, 'unhandled HTTP error');
      req.socket.destroy();
    },
  };

  // Until now the server (when given) answered with its startup listener; from here on the application does.
  if (options.startupListener) server.removeListener('request', options.startupListener);
  server.on('request', (_req, res) => inFlight.add(res));
  server.on('request', (req, res) => {
    if (takes(graphqlPost, req)) serveDirect(app, graphqlPost, req, res);
    else app(req, res);
  });
  // Without a readiness of the caller's (no start sequence to wait for), the application is ready as soon as it exists.
  if (!options.readiness) readiness.set('ready');

  return {
    app,
    server,
    cacheSizes: () => ({
      limitVerdicts: gate.limiter.cacheSize.entries,
      limitVerdictsSize: gate.limiter.cacheSize.size,
      persistedDocuments: apqCache?.size ?? 0,
      persistedDocumentsSize: apqCache?.chars ?? 0,
      compiledDocuments: executor.cachedDocuments,
      knownQueries: knownQueries?.size ?? 0,
    }),
    readiness,
    inFlight: () => inFlight.size,
    close: async (graceMs = 0) => {
      readiness.set('shutting down');
      // Subscribers reconnect to another replica at once; a socket has no "last request" to drain.
      await live.close();
      // Requests already in flight answer with `Connection: close` too (later ones get it from the first middleware).
      for (const res of inFlight.snapshot()) if (!res.headersSent) res.setHeader('connection', 'close');
      const deadline = Date.now() + graceMs;
      while (inFlight.size > 0 && Date.now() < deadline) await sleep(25);
      if (inFlight.size > 0) {
        log.warn({ inFlight: inFlight.size, graceMs }, 'shutdown grace period over: closing the connections of unfinished requests');
        server.closeAllConnections();
      }
      await apollo.stop();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
