/**
 * Operations instrumentation: Prometheus metrics at `GET /metrics` (prom-client) and the names the access log shows
 * for each request (REST route template, GraphQL operation name as parsed).
 *
 * Metrics, all on a registry of this gateway's own (several gateways may run in one process, e.g. under tests):
 * - `ds_gateway_http_requests_total` and `ds_gateway_http_request_duration_seconds` by `kind` (graphql, rest,
 *   other), `operation` (GraphQL operation name, REST route template, or the endpoint) and HTTP `status`;
 * - `ds_gateway_graphql_errors_total` by `operation` and error `code`;
 * - `ds_gateway_graphql_known_query_answers_total`: answers sent without Apollo's pipeline (src/graphql/known-queries.ts),
 *   and `ds_gateway_graphql_kept_answers_total`: those of them sent from a kept answer (src/graphql/answer-cache.ts);
 * - `ds_gateway_db_pool_*`: connections in the PostgreSQL pool (open, idle, max) and queries waiting for one;
 * - `ds_gateway_db_errors_total` by SQLSTATE `class`: statements PostgreSQL refused or that never got an answer;
 * - the default Node.js process metrics (`process_*`, `nodejs_*`).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AfterQueryEvent, DataSource } from 'typeorm';
import type { Logger } from '../logger';
import {
  ANONYMOUS_OPERATION,
  BoundedLabels,
  classifyRequest,
  operationNameOf,
  selectedOperation,
  truncateOperationName,
  type RouteKind,
} from './request-labels';

export const METRICS_PATH = '/metrics';

/** Where a GraphQL context keeps the `res.locals` of its HTTP response. */
const RESPONSE_LOCALS = Symbol('ds-gateway.responseLocals');

/** The part of pg's Pool the gauges read. */
interface PoolLike {
  totalCount?: number;
  idleCount?: number;
  waitingCount?: number;
  options?: { max?: number };
}

export interface OpsInstrumentation {
  /** `null` when METRICS_ENABLED is false. */
  readonly registry: Registry | null;
  /** Labels and times each request: mount it early, before any route. */
  readonly middleware: RequestHandler;
  /** Mounts `GET /metrics` when enabled (after {@link middleware}). */
  install(app: Express): void;
  /** Apollo plugin: records the parsed operation name and the error codes of each GraphQL request. */
  readonly apolloPlugin: ApolloServerPlugin<object>;
  /**
   * Labels the response of a GraphQL context with its operation and counts the answer: what `apolloPlugin` does for
   * Apollo's answers, for the answers the known-query lane sends itself (never with errors: those go to Apollo).
   */
  knownQueryAnswered(context: object, document: DocumentNode, requested: string | undefined, kept: boolean): void;
  /** Ties a GraphQL context to its HTTP response, so the plugin can label the response. */
  trackGraphQLContext(context: object, res: Response): void;
}

interface RequestLocals {
  routeKind?: RouteKind;
  route?: string;
  /** Operation name as parsed from the GraphQL document (bounded later for labels). */
  graphqlOperation?: string;
  /** Shown by the access log. */
  operationName?: string;
}

export function createOpsInstrumentation(options: {
  dataSource: DataSource;
  enabled: boolean;
  log: Logger;
  /** Requests received and not answered yet (the scrape itself included). */
  inFlight: () => number;
}): OpsInstrumentation {
  const { dataSource, enabled, log, inFlight } = options;
  const operations = new BoundedLabels();
  const registry = enabled ? new Registry() : null;

  let requests: Counter<'kind' | 'operation' | 'status'> | undefined;
  let durations: Histogram<'kind' | 'operation' | 'status'> | undefined;
  let graphqlErrors: Counter<'operation' | 'code'> | undefined;
  let knownQueryAnswers: Counter | undefined;
  let keptAnswers: Counter | undefined;
  if (registry) {
    collectDefaultMetrics({ register: registry });
    requests = new Counter({
      name: 'ds_gateway_http_requests_total',
      help: 'HTTP requests answered, by route kind (graphql, rest, other), operation and status code.',
      labelNames: ['kind', 'operation', 'status'],
      registers: [registry],
    });
    durations = new Histogram({
      name: 'ds_gateway_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route kind, operation and status code.',
      labelNames: ['kind', 'operation', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    graphqlErrors = new Counter({
      name: 'ds_gateway_graphql_errors_total',
      help: 'Errors in GraphQL responses, by operation and extensions.code.',
      labelNames: ['operation', 'code'],
      registers: [registry],
    });
    knownQueryAnswers = new Counter({
      name: 'ds_gateway_graphql_known_query_answers_total',
      help: "GraphQL answers sent by the known-query lane, without Apollo's request pipeline (src/graphql/known-queries.ts).",
      registers: [registry],
    });
    keptAnswers = new Counter({
      name: 'ds_gateway_graphql_kept_answers_total',
      help: 'Known-query answers sent again from the per-replica cache of whole answers, without running the operation (src/graphql/answer-cache.ts).',
      registers: [registry],
    });
    new Gauge({
      name: 'ds_gateway_http_requests_in_flight',
      help: 'HTTP requests received and not answered yet, this scrape included; during a shutdown, what is left to drain.',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
    const pool = (): PoolLike | undefined =>
      dataSource.isInitialized ? ((dataSource.driver as unknown as { master?: PoolLike }).master ?? undefined) : undefined;
    const poolGauge = (name: string, help: string, read: (p: PoolLike) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const p = pool();
          this.set(p ? (read(p) ?? 0) : 0);
        },
      });
    poolGauge('ds_gateway_db_pool_connections_open', 'Connections open in the PostgreSQL pool (idle and in use).', (p) => p.totalCount);
    poolGauge('ds_gateway_db_pool_connections_idle', 'Open connections of the PostgreSQL pool waiting for work.', (p) => p.idleCount);
    poolGauge('ds_gateway_db_pool_requests_waiting', 'Queries waiting for a free connection of the PostgreSQL pool.', (p) => p.waitingCount);
    poolGauge('ds_gateway_db_pool_connections_max', 'Size limit of the PostgreSQL pool (DATABASE_POOL_SIZE).', (p) => p.options?.max);
    const dbErrors = new Counter({
      name: 'ds_gateway_db_errors_total',
      help: 'Statements that failed in PostgreSQL or on the way to it, by SQLSTATE class (08 connection, 42 syntax or permission, 53 resources, 57 shutdown ...; none = no answer from the server).',
      labelNames: ['class'],
      registers: [registry],
    });
    // A TypeORM subscriber sees every statement the data source runs, whatever the query runner.
    dataSource.subscribers.push({
      afterQuery(event: AfterQueryEvent) {
        if (event.success) return;
        const error = event.error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
        const code = error?.driverError?.code ?? error?.code;
        dbErrors.inc({ class: typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code.slice(0, 2) : 'none' });
      },
    });
  }

  const operationLabel = (locals: RequestLocals): string => {
    if (locals.routeKind !== 'graphql') return locals.route ?? 'unmatched';
    return operations.label(locals.graphqlOperation ?? ANONYMOUS_OPERATION);
  };

  const middleware: RequestHandler = (req: Request, res: Response, next) => {
    const locals = res.locals as RequestLocals;
    // Computed now: routers rewrite req.url while they run, so the path may read differently once the response ends.
    const path = req.originalUrl.split('?')[0] ?? '/';
    const { kind, route } = classifyRequest(req.method, path);
    locals.routeKind = kind;
    locals.route = route;
    if (kind === 'rest') locals.operationName = route;
    if (!registry) return next();
    const stopTimer = durations!.startTimer();
    res.on('finish', () => {
      // GET /graphql answered with the IDE's HTML page is the playground, not a GraphQL operation.
      const playground = kind === 'graphql' && String(res.getHeader('content-type') ?? '').startsWith('text/html');
      const labels = playground
        ? { kind: 'other', operation: 'playground', status: String(res.statusCode) }
        : { kind, operation: operationLabel(locals), status: String(res.statusCode) };
      requests!.inc(labels);
      stopTimer(labels);
    });
    next();
  };

  /** What the access log and the metrics learn once a GraphQL answer is ready (from Apollo, or the known-query lane). */
  const graphqlAnswered = (
    context: object,
    document: DocumentNode | undefined,
    requested: string | undefined,
    errors: readonly GraphQLFormattedError[] = [],
  ) => {
    const locals = (context as { [RESPONSE_LOCALS]?: RequestLocals })[RESPONSE_LOCALS];
    if (!locals) return;
    if (document) {
      const parsed = operationNameOf(document, requested);
      locals.graphqlOperation = parsed;
      // The log shows what the client asked for when the document has no such operation (bounded in length).
      locals.operationName = !selectedOperation(document, requested) && requested ? truncateOperationName(requested) : parsed;
    } else if (locals.operationName) {
      locals.operationName = truncateOperationName(locals.operationName);
    }
    if (graphqlErrors && errors.length > 0) {
      const operation = operations.label(locals.graphqlOperation ?? ANONYMOUS_OPERATION);
      for (const error of errors) {
        const code = typeof error.extensions?.code === 'string' && /^[A-Z_]{1,40}$/.test(error.extensions.code) ? error.extensions.code : 'OTHER';
        graphqlErrors.inc({ operation, code });
      }
    }
  };

  const apolloPlugin: ApolloServerPlugin<object> = {
    async requestDidStart() {
      return {
        async willSendResponse(rc) {
          const errors = rc.response.body.kind === 'single' ? rc.response.body.singleResult.errors : undefined;
          graphqlAnswered(rc.contextValue, rc.document, rc.request.operationName, errors);
        },
      };
    },
  };

  return {
    registry,
    middleware,
    install(app) {
      if (!registry) return;
      app.get(METRICS_PATH, async (_req, res) => {
        try {
          const text = await registry.metrics();
          res.setHeader('cache-control', 'no-store');
          res.type(registry.contentType).send(text);
        } catch (error) {
          log.error({ err: error }, 'metrics collection failed');
          res.status(500).type('text/plain').send('metrics collection failed\n');
        }
      });
    },
    apolloPlugin,
    knownQueryAnswered(context, document, requested, kept) {
      knownQueryAnswers?.inc();
      if (kept) keptAnswers?.inc();
      graphqlAnswered(context, document, requested);
    },
    trackGraphQLContext(context, res) {
      // Apollo hands plugins a shallow copy of the context: an enumerable own property survives the copy.
      Object.defineProperty(context, RESPONSE_LOCALS, { value: res.locals, enumerable: true, writable: false, configurable: false });
    },
  };
}
