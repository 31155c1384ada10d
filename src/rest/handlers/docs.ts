/**
 * `GET /ds-api/docs`: the API reference page, Swagger UI (the `swagger-ui-dist` package) over
 * `/ds-api/openapi.json`. Like the GraphQL IDE (src/graphql/playground.ts) everything it needs is served by the
 * gateway itself, so it works on networks with no route to a CDN, and it runs under a Content-Security-Policy with
 * no inline script: its start-up code is a file of its own, and Swagger UI's validator badge (which would call
 * validator.swagger.io) is off.
 */
import { dirname, join } from 'node:path';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { referenceContentSecurityPolicy } from '../../http/security';

/** Relative to `/ds-api`. */
export const API_REFERENCE_ASSETS_PATH = '/docs/assets';

const ASSETS_URL = `/ds-api${API_REFERENCE_ASSETS_PATH}`;

/** Only what the page loads; not the package's demo page or its initializer (which points at a public pet store). */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

export const API_REFERENCE_INIT_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/ds-api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    docExpansion: 'list',
    tryItOutEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Datasentinel access gateway · REST API reference</title>
  <link rel="stylesheet" href="${ASSETS_URL}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"><noscript>The API reference needs JavaScript; the document itself is at /ds-api/openapi.json.</noscript></div>
  <script src="${ASSETS_URL}/swagger-ui-bundle.js"></script>
  <script src="${ASSETS_URL}/init.js"></script>
</body>
</html>
`;

function assetsDir(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

export function apiReferenceHandlers(): { page: RequestHandler[]; assets: RequestHandler[] } {
  const csp = referenceContentSecurityPolicy();
  const dir = assetsDir();
  const assets = express.Router();
  assets.get('/init.js', (_req: Request, res: Response) => {
    res.type('text/javascript').send(API_REFERENCE_INIT_SCRIPT);
  });
  for (const file of ASSETS) {
    assets.get(`/${file}`, (_req: Request, res: Response, next) => {
      res.setHeader('cache-control', 'public, max-age=86400');
      res.sendFile(join(dir, file), (error) => error && next(error));
    });
  }
  return {
    page: [
      csp,
      (_req: Request, res: Response) => {
        res.type('html').send(PAGE);
      },
    ],
    assets: [csp, assets],
  };
}
