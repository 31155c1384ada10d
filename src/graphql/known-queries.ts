/**
 * The known-query lane: a read query whose exact text Apollo has already parsed, validated and resolved is answered
 * without going through Apollo's request pipeline again. This is the request a dashboard sends every few seconds.
 *
 * Why: measured under the bench's load, Apollo's per-request work (header map, URL parsing, hooks, a document-cache
 * look-up by SHA-256, cloning, response assembly, Express's `res.send` copying the body into a Buffer) was about a
 * quarter of the gateway's own CPU for a dashboard request, more than executing it (BENCHMARKS.md).
 *
 * What stays the same, by construction:
 * - Only documents Apollo itself resolved are served here: the `didResolveOperation` hook registers a query's text
 *   and operation name once parsing, validation (every rule Apollo runs, introspection and persisted-query rules
 *   included) and operation resolution succeeded. Anything else (a new text, a mutation, a subscription, a body
 *   with `extensions`, an odd `variables` or `operationName`, an `Accept` header Apollo would refuse) goes on to
 *   Apollo untouched.
 * - Everything in front of Apollo still runs first: body parser, request gate (limits, persisted-query policy),
 *   security headers, CORS, access log, metrics. CSRF prevention: a body reaches here only when `express.json` parsed
 *   it, that is when its content type is `application/json`, which Apollo's check lets through.
 * - The context is built by the same function Apollo calls, and the operation runs on the same executor.
 * - Only an answer with data and no error is sent from here, with the bytes, status and headers Apollo would send
 *   (`JSON.stringify` plus a newline, the negotiated content type, `Content-Length`). A failed context, an error in
 *   the result or a thrown exception is handed to Apollo, which answers it exactly as always (formatting, status,
 *   plugins) from the result already computed: the operation never runs twice.
 *
 * A document whose every field is covered by the change feed (the access-model overview) has its successful answers
 * kept whole, per caller, between changes (src/graphql/answer-cache.ts).
 *
 * GRAPHQL_KNOWN_QUERIES=false turns the lane off; test/e2e/known-queries.test.ts compares both ways.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DocumentNode, ExecutionResult, OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';
import type { AnswerSlot } from './answer-cache';
import { handOverResult, type Executor } from './executor';
import { isRecord } from './request-gate';

/** Apollo's media types for a single result, in its order of preference (`chooseContentTypeForSingleResultResponse`). */
const SINGLE_RESULT_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/** Distinct `Accept` headers whose negotiated type is remembered (clients send a handful; the rest are negotiated each time). */
const MAX_REMEMBERED_ACCEPT = 64;

interface KnownQuery {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName: string | null;
  /** Its answers may be kept whole (src/graphql/answer-cache.ts). */
  keepAnswers: boolean;
}

/** Whole answers kept between changes (src/graphql/answer-cache.ts). */
export interface KeptAnswers {
  /** Whether a document's answers may be kept (every field it selects is covered). */
  covers(document: DocumentNode): boolean;
  /** This request's slot, after the change feed's barrier; null when the cache cannot serve it. */
  slot(context: object, query: string, operationName: string | null, variables: Record<string, unknown> | undefined): Promise<AnswerSlot | null>;
}

export interface KnownQueryOptions {
  executor: Executor;
  /** The context of a request, built by the function Apollo is given (server.ts). */
  contextFor(req: Request, res: Response): Promise<object>;
  /**
   * Labels and counts an answer sent here, as Apollo's metrics plugin does for its own (src/ops/metrics.ts); `kept`:
   * sent from a kept answer.
   */
  answered(context: object, document: DocumentNode, requestedOperationName: string | undefined, kept: boolean): void;
  /** Most query texts remembered. */
  maxQueries: number;
  /** Most characters of query text remembered, all texts together. */
  maxChars: number;
  /** Whole answers kept between changes; none when absent. */
  answers?: KeptAnswers;
}

export interface KnownQueries {
  /** Registers what Apollo resolved; goes in Apollo's plugins. */
  plugin: ApolloServerPlugin<object>;
  /** Answers a known query, or passes the request on to Apollo; goes right before Apollo's handler. */
  handler: RequestHandler;
  /** Query texts remembered now. */
  readonly size: number;
}

/**
 * What Apollo's `prettyJSONStringify` and Express's `res.send` write for a result (its JSON and a newline), as bytes,
 * copied once from the serialized text.
 *
 * Why not send the string: `json + '\n'` is a rope that measuring its length in UTF-8 flattens into a second copy, and
 * Node's `res.end` joins a string body to the response head into a third before writing them (a dashboard answer is
 * 29 kB; the three copies were a fifth of what a request allocated on the JS heap). A Buffer is written beside the
 * head as it is, and lives outside the young generation.
 */
export function answerBytes(json: string): Buffer {
  const length = Buffer.byteLength(json);
  const bytes = Buffer.allocUnsafe(length + 1);
  bytes.write(json, 0, length, 'utf8');
  bytes[length] = 0x0a;
  return bytes;
}

/** A successful answer, as Apollo sends it. */
function send(res: Response, contentType: string, bytes: Buffer): void {
  res.statusCode = 200;
  res.setHeader('content-type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

/** The key of a query text with the operation name the request asked for (none: the document's only operation). */
const keyOf = (query: string, operationName: string | undefined) => (operationName === undefined ? query : `${operationName}\u0000${query}`);

export function createKnownQueries(options: KnownQueryOptions): KnownQueries {
  const queries = new LRUCache<string, KnownQuery>({
    max: Math.max(1, options.maxQueries),
    maxSize: Math.max(1, options.maxChars),
    sizeCalculation: (_value, key) => Math.max(1, key.length),
  });
  const negotiated = new Map<string, string | null>();

  /** Apollo's content type for a single result, or null when Apollo would refuse the `Accept` header (406). */
  const contentTypeFor = (accept: string | undefined): string | null => {
    if (!accept) return SINGLE_RESULT_TYPES[0]!;
    let type = negotiated.get(accept);
    if (type === undefined) {
      type = new Negotiator({ headers: { accept } }).mediaType(SINGLE_RESULT_TYPES) ?? null;
      if (negotiated.size < MAX_REMEMBERED_ACCEPT) negotiated.set(accept, type);
    }
    return type;
  };

  const plugin: ApolloServerPlugin<object> = {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const { operation, source, document } = rc;
          if (operation?.operation !== 'query' || source === undefined) return;
          const key = keyOf(source, rc.request.operationName);
          if (!queries.has(key)) {
            queries.set(key, { document, operation, operationName: rc.operationName, keepAnswers: options.answers?.covers(document) ?? false });
          }
        },
      };
    },
  };

  const serve = async (req: Request, res: Response, next: NextFunction, query: string, known: KnownQuery, contentType: string) => {
    const body = req.body as Record<string, unknown>;
    const requested = typeof body.operationName === 'string' ? body.operationName : undefined;
    const variables = isRecord(body.variables) ? body.variables : undefined;
    // Apollo's context function takes this same promise (server.ts): a rejection is answered by Apollo as always.
    const contextPromise = options.contextFor(req, res);
    res.locals.graphqlContext = contextPromise;
    let context: object;
    try {
      context = await contextPromise;
    } catch {
      return next();
    }
    const slot = known.keepAnswers ? await options.answers!.slot(context, query, known.operationName, variables).catch(() => null) : null;
    if (slot?.hit !== undefined) {
      options.answered(context, known.document, requested, true);
      return send(res, contentType, slot.hit);
    }
    // As Apollo does: resolvers get a shallow copy of the context.
    const executing = options.executor.run({
      document: known.document,
      operation: known.operation,
      operationName: known.operationName,
      context: Object.assign(Object.create(Object.getPrototypeOf(context) as object | null) as object, context),
      variables,
    });
    const result: ExecutionResult | undefined = await executing.catch(() => undefined);
    if (!result?.data || result.errors || result.extensions) {
      handOverResult(context, { source: query, operationName: known.operationName, result: executing });
      return next();
    }
    options.answered(context, known.document, requested, false);
    const bytes = answerBytes(JSON.stringify({ data: result.data }));
    // A kept answer is encoded once: the bytes kept are the bytes sent.
    send(res, contentType, slot ? slot.store(bytes) : bytes);
  };

  const handler: RequestHandler = (req, res, next) => {
    const body: unknown = req.body;
    if (req.method !== 'POST' || !isRecord(body) || typeof body.query !== 'string' || body.extensions !== undefined) return next();
    const { operationName, variables } = body;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return next();
    if (variables !== undefined && variables !== null && !isRecord(variables)) return next();
    const known = queries.get(keyOf(body.query, operationName ?? undefined));
    if (!known) return next();
    const accept = req.headers.accept;
    const contentType = contentTypeFor(accept);
    if (!contentType) return next();
    return serve(req, res, next, body.query, known, contentType);
  };

  return {
    plugin,
    handler,
    get size() {
      return queries.size;
    },
  };
}
