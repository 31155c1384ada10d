/**
 * HTTP hardening shared by every route: security headers (helmet), the Content-Security-Policy of the GraphQL IDE,
 * and CORS (closed unless CORS_ORIGINS names origins).
 */
// cors (the Express project's own middleware) and helmet (maintained, the usual set of security headers).
import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Headers for API answers (JSON): nothing may be loaded, framed or executed from them. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
}

/**
 * The pages the gateway serves to browsers (the GraphQL IDE, the REST API reference) and their assets: scripts only
 * from the gateway itself (no inline script, no eval); inline styles (the editor injects its own, React sets style
 * attributes); images and fonts from the gateway or `data:`; requests only to the gateway. They differ in two places:
 * the IDE's editor starts workers from `blob:` URLs and its sign-in bar posts a form to the gateway; the reference
 * page needs neither.
 */
function pageContentSecurityPolicy(page: { workers: boolean; forms: boolean }): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: page.workers ? ["'self'", 'blob:'] : ["'none'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: page.forms ? ["'self'"] : ["'none'"],
      frameAncestors: ["'none'"],
    },
  });
}

/** The GraphQL IDE page (`GET /graphql` from a browser) and its assets. */
export const playgroundContentSecurityPolicy = (): RequestHandler => pageContentSecurityPolicy({ workers: true, forms: true });

/** The REST API reference page (`/ds-api/docs`, Swagger UI) and its assets; it fetches `/ds-api/openapi.json`. */
export const referenceContentSecurityPolicy = (): RequestHandler => pageContentSecurityPolicy({ workers: false, forms: false });

/**
 * CORS: with no origin configured, no CORS header is ever sent, so browsers keep other sites from reading answers.
 * `*` allows any origin (safe for this API: credentials are bearer headers, never cookies). Preflight answers are
 * cached 10 minutes.
 */
export function corsPolicy(origins: readonly string[]): RequestHandler {
  if (origins.length === 0) return (_req, _res, next) => next();
  return cors({
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'User-Token', 'Content-Type', 'Accept', 'X-Request-Id', 'Apollo-Require-Preflight'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'WWW-Authenticate'],
    credentials: false,
    maxAge: 600,
  });
}

/** The live dashboard example (`/examples/dashboard`): its bundle, its stylesheet, and GraphQL over HTTP and WebSocket to the gateway. */
export const dashboardContentSecurityPolicy = (): RequestHandler => pageContentSecurityPolicy({ workers: false, forms: false });
