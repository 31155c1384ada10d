/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the HTTP server's own port and path, `/graphql`.
 *
 * - Authentication: `connection_init` carries `{"authorization": "Bearer <token or API key>"}`, resolved by the same
 *   step as HTTP requests (src/context/authenticate.ts). Refused: close 4403 with the reason.
 * - Revocation: the visibility engine re-checks every subscriber's credential in each snapshot it reads; a deleted
 *   user, a bumped token version, a revoked or expired key close the socket with 4403 on every replica (the change
 *   feed reaches all of them), and a token is closed when it expires.
 * - Bounds: SUBSCRIPTIONS_PER_USER sockets per user on this replica (the next one is closed with 4429),
 *   {@link MAX_OPERATIONS_PER_SOCKET} subscriptions per socket, the request limits of HTTP (depth, cost, aliases,
 *   directives, size, and the persisted-query policy) on every document, messages of at most 1 MiB, and a slow reader
 *   is closed with 1013 once its send buffer passes {@link MAX_BUFFERED_BYTES} (it reconnects and re-reads its list).
 * - The socket carries subscriptions only: queries and mutations go over HTTP, where the access log, metrics and
 *   APQ apply.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError, parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import jwt from 'jsonwebtoken';
import { WebSocketServer, type WebSocket } from 'ws';
import { authenticate } from '../context/authenticate';
import { databaseUrls, runtimeUrlOf } from '../db/open-database';
import type { Principal } from '../context/principal';
import { createRequestContext } from '../context/request-context';
import { AppError } from '../errors/app-error';
import type { RequestLimiter } from '../graphql/limits';
import { documentHash, type PersistedQueryConfig } from '../graphql/persisted-queries';
import type { LiveContext } from '../graphql/resolvers/subscription.resolver';
import type { Logger } from '../logger';
import type { Services } from '../services';
import { SubscriptionChanges } from './change-feed';
import { EventStream } from './event-stream';
import { LiveVisibility, type Credential } from './live-visibility';

export const SUBSCRIPTIONS_PATH = '/graphql';
/** Close codes of this gateway (graphql-ws's own are in the 4400-4500 range too: docs/dashboards.md lists them all). */
export const CLOSE_REVOKED = CloseCode.Forbidden; // 4403
export const CLOSE_TOO_MANY_SOCKETS = 4429;
export const CLOSE_SLOW_CONSUMER = 1013;
export const CLOSE_GOING_AWAY = 1001;
export const MAX_OPERATIONS_PER_SOCKET = 10;
export const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface LiveSubscriptionsOptions {
  schema: GraphQLSchema;
  services: Services;
  limiter: RequestLimiter;
  persistedQueries: PersistedQueryConfig;
  log: Logger;
  /** The gateway's error shaping (codes, masking), applied to every error sent on a socket. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** False once shutdown began: new sockets are refused (503) and open ones closed by {@link LiveSubscriptions.close}. */
  accepting: () => boolean;
}

export interface LiveSubscriptions {
  /** Open sockets now, and subscribers of the visibility engine (for tests and metrics). */
  sockets(): number;
  engine: LiveVisibility;
  /** Closes every socket (1001, so clients reconnect to another replica) and stops listening. */
  close(): Promise<void>;
}

interface SocketState {
  principal: Principal;
  credential: Credential;
  clientAddress: string | undefined;
  expiryTimer?: NodeJS.Timeout;
}

/** A close reason is at most 123 bytes. */
const reasonOf = (text: string) => (Buffer.byteLength(text) <= 120 ? text : `${Buffer.from(text).subarray(0, 117).toString()}...`);

function close(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reasonOf(reason));
}

/** What the credential behind a principal is, for the engine's re-checks. */
function credentialOf(token: string, principal: Principal): Credential | null {
  if (principal.apiKey) return { kind: 'apiKey', userId: principal.userId, keyId: principal.apiKey.id };
  // Signature and version were just checked by the auth service; the claims say which version and until when.
  const claims = jwt.decode(token) as { tv?: unknown; exp?: unknown } | null;
  if (typeof claims?.tv !== 'number' || typeof claims.exp !== 'number') return null;
  return { kind: 'token', userId: principal.userId, tokenVersion: claims.tv, expiresAt: claims.exp * 1000 };
}

export function attachSubscriptions(server: Server, options: LiveSubscriptionsOptions): LiveSubscriptions {
  const { services, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const listenUrl = databaseUrls(services.config, runtimeUrlOf(services.dataSource)).listen;
  const engine = new LiveVisibility(services.dataSource, services.mappers.connection, { log });
  const feed = new SubscriptionChanges(services.changeFeed, listenUrl, (change) => engine.onChange(change), log);
  const states = new WeakMap<WebSocket, SocketState>();
  const socketsPerUser = new Map<number, number>();
  const limit = services.config.subscriptionsPerUser;

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== SUBSCRIPTIONS_PATH || !options.accepting()) {
      const status = path !== SUBSCRIPTIONS_PATH ? '404 Not Found' : '503 Service Unavailable';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  const formatErrors = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((error) => options.formatError(error.toJSON(), error));
  const refusal = (error: AppError) => new GraphQLError(error.message, { extensions: { ...error.details, code: error.code } });

  const disposable = useServer<{ authorization?: unknown }, { state?: SocketState }>(
    {
      schema: options.schema,
      isProd: services.config.environment === 'production',
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        const clientAddress = ctx.extra.request.socket.remoteAddress;
        const auth = await authenticate(services, authorization ? { authorization } : {}, randomUUID(), clientAddress, 'graphql');
        const principal = auth.principal;
        const token = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
        const credential = principal && token ? credentialOf(token, principal) : null;
        if (!principal || !credential) {
          close(socket, CLOSE_REVOKED, auth.authFailure?.message ?? 'connection_init needs {"authorization": "Bearer <token or API key>"}');
          return false;
        }
        if (socket.readyState !== socket.OPEN) return false; // gone while we authenticated
        const open = socketsPerUser.get(principal.userId) ?? 0;
        if (open >= limit) {
          close(socket, CLOSE_TOO_MANY_SOCKETS, `Too many subscription sockets for this user (SUBSCRIPTIONS_PER_USER=${limit})`);
          return false;
        }
        socketsPerUser.set(principal.userId, open + 1);
        const state: SocketState = { principal, credential, clientAddress };
        states.set(socket, state);
        socket.once('close', () => {
          clearTimeout(state.expiryTimer);
          const count = (socketsPerUser.get(principal.userId) ?? 1) - 1;
          if (count > 0) socketsPerUser.set(principal.userId, count);
          else socketsPerUser.delete(principal.userId);
        });
        if (credential.kind === 'token') {
          state.expiryTimer = setTimeout(() => close(socket, CLOSE_REVOKED, 'Token expired: create a new one'), Math.max(0, credential.expiresAt - Date.now()));
          state.expiryTimer.unref();
        }
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        if (Object.keys(ctx.subscriptions).length >= MAX_OPERATIONS_PER_SOCKET) {
          return [new GraphQLError(`At most ${MAX_OPERATIONS_PER_SOCKET} subscriptions per socket`, { extensions: { code: 'BAD_USER_INPUT' } })];
        }
        const { mode, manifest } = options.persistedQueries;
        if (mode === 'trusted' && !manifest?.has(documentHash(payload.query))) {
          return [
            refusal(
              new AppError('PERSISTED_QUERY_NOT_ALLOWED', 'This gateway runs only the documents of its persisted-query manifest (PERSISTED_QUERIES=trusted)'),
            ),
          ];
        }
        const refused = options.limiter.check({ query: payload.query, operationName: payload.operationName ?? undefined, variables: payload.variables ?? {} });
        if (refused) return [refusal(refused)];
        let operation;
        try {
          operation = getOperationAST(parse(payload.query), payload.operationName ?? undefined);
        } catch {
          return; // graphql-ws reports the syntax error itself
        }
        if (operation && operation.operation !== 'subscription') {
          return [
            new GraphQLError('This socket carries subscriptions only: send queries and mutations over HTTP to /graphql', {
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          ];
        }
        return;
      },
      context: (ctx) => {
        const socket = ctx.extra.socket;
        const state = states.get(socket)!;
        const requestId = randomUUID();
        const context: LiveContext = {
          ...createRequestContext(services, state.principal, null, requestId, state.clientAddress),
          services,
          openConnectionEvents: async () => {
            await feed.start();
            const stream = new EventStream({
              engine,
              credential: state.credential,
              principal: state.principal,
              buffered: () => socket.bufferedAmount,
              maxBufferedBytes: MAX_BUFFERED_BYTES,
              onOverflow: () => close(socket, CLOSE_SLOW_CONSUMER, 'Slow consumer: events were not read in time; reconnect and re-read the list'),
              onRevoked: (reason) => close(socket, CLOSE_REVOKED, reason),
              // Each event runs with the caller as of its snapshot, and loaders of its own (nothing cached across events).
              beforeEach: (principal) => {
                state.principal = principal;
                Object.assign(context, createRequestContext(services, principal, null, requestId, state.clientAddress));
              },
            });
            return stream.start();
          },
        };
        return context;
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => formatErrors(errors),
    },
    wss,
  );

  return {
    sockets: () => wss.clients.size,
    engine,
    close: async () => {
      server.off('upgrade', onUpgrade);
      for (const socket of wss.clients) close(socket, CLOSE_GOING_AWAY, 'Server shutting down: reconnect');
      await disposable.dispose();
      await engine.close();
      await feed.stop();
    },
  };
}
