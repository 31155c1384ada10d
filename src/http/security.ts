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
 * The GraphQL IDE page and its assets: scripts only from the gateway itself (no inline script, no eval); inline
 * styles are allowed because the editor injects its own; the editor's workers start from `blob:` URLs.
 */
export function playgroundContentSecurityPolicy(): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
}

/**
 * The REST API reference page (`/ds-api/docs`, Swagger UI) and its assets: scripts only from the gateway (no inline
 * script, no eval), inline styles (React sets style attributes), images from the gateway or `data:` (its icons),
 * requests only to the gateway (it fetches `/ds-api/openapi.json`).
 */
export function referenceContentSecurityPolicy(): RequestHandler {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      workerSrc: ["'none'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  });
}

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
