/**
 * Who is calling, for the REST adapter: the `user-token` header (or `Authorization: Bearer`) through the one
 * {@link authenticate} step shared with GraphQL, or HTTP Basic credentials on the token endpoints. The resulting
 * {@link RequestContext} is kept in `res.locals.ctx` for the handler.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authenticate } from '../context/authenticate';
import { createRequestContext, type RequestContext } from '../context/request-context';
import { AppError, unauthenticated } from '../errors/app-error';
import type { Services } from '../services';
import { requireAdministrator, requireWritable } from '../services/authorization';

export const BASIC_CHALLENGE = 'Basic realm="ds-api", charset="UTF-8"';

type AsyncHandler = (req: Request, res: Response, next: NextFunction) => Promise<void>;

export function ctxOf(res: Response): RequestContext {
  const ctx = res.locals.ctx as RequestContext | undefined;
  if (!ctx) throw new AppError('INTERNAL_SERVER_ERROR', 'REST route without an authentication step');
  return ctx;
}

function remember(res: Response, ctx: RequestContext): void {
  res.locals.ctx = ctx;
  res.locals.login = ctx.principal?.login;
}

/**
 * Needs a signed-in caller (401 otherwise), checked before the body is read or validated, so an anonymous request
 * learns nothing about the API beyond "sign in first".
 */
export function signedIn(services: Services): RequestHandler {
  const handler: AsyncHandler = async (req, res, next) => {
    const ctx = await authenticate(services, req.headers, res.locals.requestId as string, req.ip);
    if (!ctx.principal) {
      throw ctx.authFailure ?? unauthenticated('Authentication required: send a token in the user-token header (POST /ds-api/user-token gives one)');
    }
    remember(res, ctx);
    next();
  };
  return handler;
}

/**
 * Writes need an administrator. The rule is the service layer's ({@link requireAdministrator}, which every write
 * method applies again); checking it here too, before the body, gives non-administrators a 403 rather than a 400
 * about a body they may not send anyway. GraphQL does the same with `@Authorized(ADMIN)`. A read-only API key gets
 * its 403 here too (the services refuse it again in `inTransaction`).
 */
export const administrator: RequestHandler = (_req, res, next) => {
  requireWritable(ctxOf(res));
  requireAdministrator(ctxOf(res));
  next();
};

export interface BasicCredentials {
  login: string;
  password: string;
}

/** `Authorization: Basic base64(login:password)`; `null` when absent or malformed. The password may contain `:`. */
export function basicCredentials(req: Request): BasicCredentials | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const login = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  // Never a valid account: PostgreSQL text cannot even hold NUL, and U+FFFD means the bytes were not UTF-8.
  if (login.includes('\u0000') || login.includes('\uFFFD')) return null;
  return { login, password };
}

/** The Basic credentials of a token endpoint, or a 401 with a Basic challenge. */
export function requireBasic(req: Request, res: Response): BasicCredentials {
  const credentials = basicCredentials(req);
  if (!credentials) {
    res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    throw unauthenticated('Basic authentication required: send your login (or email) and password, e.g. curl -u login:password');
  }
  return credentials;
}

/** Signs a Basic-authenticated caller in for this one request (token details). */
export async function contextFromBasic(services: Services, req: Request, res: Response): Promise<RequestContext> {
  const { login, password } = requireBasic(req, res);
  try {
    const principal = await services.auth.principalFromCredentials(login, password, req.ip);
    const ctx = createRequestContext(services, principal, null, res.locals.requestId as string, req.ip);
    remember(res, ctx);
    return ctx;
  } catch (error) {
    if (error instanceof AppError && error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    throw error;
  }
}
