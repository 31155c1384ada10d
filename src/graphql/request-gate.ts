/**
 * The gate in front of Apollo on `/graphql`: reads the GraphQL request once, resolves a persisted document to its
 * text, checks the request limits on that text with the request's own variables, and hands Apollo exactly what it
 * checked. Nothing else decides what runs: the limits cannot see one request while Apollo runs another.
 *
 * Reading the request once matters for GET: Express's query-string parser stops at 1,000 parameters, Apollo reads
 * them all, so a `query` placed after 1,000 dummy parameters used to reach Apollo unchecked. Here the search string is
 * parsed the way Apollo parses it (`URLSearchParams`, each field at most once, `variables` and `extensions` as JSON),
 * and the URL is rewritten to carry only those four fields, so Apollo reads the very values the limits read.
 *
 * Persisted documents (src/graphql/persisted-queries.ts):
 * - `apq`: a hash-only request whose document is registered is given its text (Apollo checks the hash again);
 *   one that is not registered is answered PERSISTED_QUERY_NOT_FOUND here, exactly as Apollo would. Apollo never
 *   sees a hash-only request, so it cannot find a document the gate did not check (one registered by a concurrent
 *   request between the gate and Apollo's own look-up).
 * - `trusted`: a request runs only when its document is in the manifest, by hash or by text; anything else gets
 *   PERSISTED_QUERY_NOT_ALLOWED. Apollo is handed the manifest's text, never the client's.
 * - `off`: Apollo's own APQ is off, so it refuses any `persistedQuery` extension (PERSISTED_QUERY_NOT_SUPPORTED).
 */
import { parse as parseUrl } from 'node:url';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { AppError } from '../errors/app-error';
import { truncateOperationName } from '../ops/request-labels';
import type { GraphQLLimits } from '../security-config';
import { RequestLimiter, sendGraphQLRefusal } from './limits';
import { documentHash, normalizeHash, type PersistedDocumentCache, type PersistedQueryConfig } from './persisted-queries';

/** The GraphQL request as Apollo will read it. */
interface GraphQLHttpRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

const FIELDS = ['query', 'operationName', 'variables', 'extensions'] as const;

/** A JSON object (not an array, not a raw body): what Apollo accepts as `variables` or `extensions`. */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  Boolean(value) && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);

/**
 * The fields of a POST body as Apollo reads them (`runHttpQuery`): `query` and `operationName` only when strings,
 * `variables` and `extensions` only when objects; anything else is as good as absent to Apollo.
 */
function readBody(body: Record<string, unknown>): GraphQLHttpRequest {
  const request: GraphQLHttpRequest = {};
  if (typeof body.query === 'string') request.query = body.query;
  if (typeof body.operationName === 'string') request.operationName = body.operationName;
  if (isRecord(body.variables)) request.variables = body.variables;
  if (isRecord(body.extensions)) request.extensions = body.extensions;
  return request;
}

/**
 * The fields of a GET request, read as Apollo reads them; `null` when Apollo will refuse the request itself (a field
 * given twice, `variables` or `extensions` not a JSON object).
 */
function readSearch(url: string): GraphQLHttpRequest | null {
  const params = new URLSearchParams(parseUrl(url).search ?? '');
  const request: GraphQLHttpRequest = {};
  for (const field of FIELDS) {
    const values = params.getAll(field);
    if (values.length > 1) return null;
    if (values.length === 0) continue;
    if (field === 'variables' || field === 'extensions') {
      try {
        const parsed: unknown = JSON.parse(values[0]!);
        if (!isRecord(parsed)) return null;
        request[field] = parsed;
      } catch {
        return null;
      }
    } else request[field] = values[0];
  }
  return request;
}

/** The URL Apollo reads for a GET request: the path and the four GraphQL fields, nothing else. */
function canonicalUrl(url: string, request: GraphQLHttpRequest): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = request[field];
    if (value === undefined) continue;
    params.set(field, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return `${parseUrl(url).pathname ?? '/'}?${params.toString()}`;
}

/** The `persistedQuery` extension when Apollo would act on it (any truthy value; a malformed one it refuses itself). */
function persistedQueryOf(request: GraphQLHttpRequest): Record<string, unknown> | undefined {
  const persisted = isRecord(request.extensions) ? request.extensions.persistedQuery : undefined;
  return persisted ? (isRecord(persisted) ? persisted : {}) : undefined;
}

/** The request without its `persistedQuery` extension, carrying `text` as its query. */
function withText(request: GraphQLHttpRequest, text: string, keepHash: boolean): GraphQLHttpRequest {
  if (keepHash) return { ...request, query: text };
  const { persistedQuery: _persistedQuery, ...extensions } = request.extensions as Record<string, unknown>;
  const { extensions: _extensions, ...rest } = request;
  return Object.keys(extensions).length ? { ...rest, query: text, extensions } : { ...rest, query: text };
}

/** Apollo's own answer to a hash it does not know (status 200, so APQ clients send the text next). */
function sendPersistedQueryNotFound(res: Response): void {
  res.status(200).setHeader('cache-control', 'private, no-cache, must-revalidate');
  res.json({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
}

const NOT_REGISTERED = Symbol('not registered');

const notAllowed = () =>
  new AppError(
    'PERSISTED_QUERY_NOT_ALLOWED',
    'This gateway runs only the documents of its persisted-query manifest (PERSISTED_QUERIES=trusted); this one is not among them',
  );

export interface RequestGateOptions {
  limits: GraphQLLimits;
  persistedQueries: PersistedQueryConfig;
  /** The APQ documents shared with Apollo (`apq` mode). */
  apqCache: PersistedDocumentCache | null;
  /** Size bound of the per-document verdict cache of the limits (4 units per character of document text). */
  verdictCacheChars?: number;
}

export interface RequestGate {
  handler: RequestHandler;
  limiter: RequestLimiter;
}

/** Express middleware for `/graphql`, after the JSON body parser and before Apollo (see the module comment). */
export function graphqlRequestGate(schema: GraphQLSchema, options: RequestGateOptions): RequestGate {
  const limiter = new RequestLimiter(schema, options.limits, options.verdictCacheChars);
  const { mode, manifest } = options.persistedQueries;

  const resolve = async (request: GraphQLHttpRequest): Promise<GraphQLHttpRequest | AppError | typeof NOT_REGISTERED> => {
    const persisted = persistedQueryOf(request);
    if (mode === 'trusted') {
      const hash = persisted ? normalizeHash(persisted.sha256Hash) : typeof request.query === 'string' ? documentHash(request.query) : null;
      const text = hash ? manifest?.get(hash) : undefined;
      // A text sent with a hash must be that hash's document.
      if (!text || (persisted && typeof request.query === 'string' && documentHash(request.query) !== hash)) return notAllowed();
      return persisted ? withText(request, text, false) : { ...request, query: text };
    }
    if (mode === 'apq' && persisted && request.query === undefined && persisted.version === 1) {
      // Apollo registers documents under the lower-case hex hash only, so any other spelling is not registered.
      const hash = normalizeHash(persisted.sha256Hash);
      const text = hash && hash === persisted.sha256Hash ? await options.apqCache?.get(hash) : undefined;
      // Registered: Apollo gets the text with the hash (it checks the hash again and runs exactly this text).
      return text === undefined ? NOT_REGISTERED : withText(request, text, true);
    }
    return request;
  };

  const handler: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    if (Array.isArray(req.body)) {
      sendGraphQLRefusal(res, new AppError('BATCHING_DISABLED', 'Batched requests are not accepted: send one operation per request, not a JSON array'));
      return;
    }
    const isGet = req.method === 'GET' || req.method === 'HEAD';
    const read: GraphQLHttpRequest | null = isGet ? readSearch(req.url) : isRecord(req.body) ? readBody(req.body) : null;
    if (!read) return next(); // Apollo refuses it with its own message
    const refuse = (error: AppError, operationName: unknown) => {
      // Client-controlled: bounded before the access log or a metric label sees it.
      res.locals.operationName = typeof operationName === 'string' ? truncateOperationName(operationName) : undefined;
      sendGraphQLRefusal(res, error);
    };
    resolve(read)
      .then((request) => {
        if (request === NOT_REGISTERED) return sendPersistedQueryNotFound(res);
        if (request instanceof AppError) return refuse(request, read.operationName);
        const refused = limiter.check(request);
        if (refused) return refuse(refused, request.operationName);
        if (isGet) req.url = canonicalUrl(req.url, request);
        else if (request !== read) {
          // A POST gets here only with an object body (`read` came from readBody(req.body) above).
          const body: Record<string, unknown> = { ...(req.body as Record<string, unknown>), ...request };
          if (!request.extensions) delete body.extensions; // Apollo refuses an `extensions` key that is not an object
          req.body = body;
        }
        next();
      })
      .catch(next);
  };
  return { handler, limiter };
}
