/**
 * The GraphQL IDE served at `/graphql` to browsers: GraphiQL from the `@graphql-yoga/graphiql` package, whose
 * bundle (React and the editor included) is served by the gateway itself, so it works on networks with no route to
 * any CDN.
 */
import { dirname, join } from 'node:path';
import { PLAYGROUND_SESSION_CSS, PLAYGROUND_SESSION_PATH } from './playground-session';

export const PLAYGROUND_ASSETS_PATH = '/graphql/assets';
/**
 * The page's start-up code, served as a file of its own so that the page runs under a Content-Security-Policy with
 * no inline script (`script-src 'self'`); it reads its options from a JSON data block, which browsers never execute.
 */
export const PLAYGROUND_INIT_PATH = '/graphql/ide.js';

export const PLAYGROUND_INIT_SCRIPT = `'use strict';
(function () {
  var options = JSON.parse(document.getElementById('graphiql-options').textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('graphiql'), options);
})();
`;

export function playgroundAssetsDir(): string {
  return join(dirname(require.resolve('@graphql-yoga/graphiql')), '.');
}

const DEFAULT_QUERY = `# Sign in with the bar above, or paste a token there:
# it goes in the Headers tab and queries run as you.
# Run one operation with the play button (Ctrl-Enter);
# Ctrl-Space completes; the Docs pane describes fields.
query Dashboard {
  me { login permissions { administer dashboards } }
  connections(first: 20) {
    totalCount
    nodes { name host port connected tags { key value automatic } }
  }
}

mutation SignIn {
  createToken(login: "datasentinel", password: "change me") { token expiresAt }
}
`;

export function playgroundHtml(endpoint = '/graphql'): string {
  const options = {
    endpoint,
    title: 'Datasentinel access gateway',
    // Yoga's GraphiQL takes the first query from the URL (?query=, kept in step while editing) or from `query`.
    query: DEFAULT_QUERY,
    headers: '{}',
    // Tokens stay out of localStorage: the session bar (playground-session.ts) keeps it for the tab only.
    shouldPersistHeaders: false,
  };
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Datasentinel access gateway · GraphiQL</title>
  <link rel="stylesheet" href="${PLAYGROUND_ASSETS_PATH}/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }${PLAYGROUND_SESSION_CSS}</style>
</head>
<body>
  <div id="graphiql"><noscript>The GraphQL IDE needs JavaScript.</noscript></div>
  <script type="application/json" id="graphiql-options">${JSON.stringify(options).replace(/</g, '\\u003c')}</script>
  <script src="${PLAYGROUND_ASSETS_PATH}/yoga-graphiql.umd.js"></script>
  <script src="${PLAYGROUND_SESSION_PATH}"></script>
  <script src="${PLAYGROUND_INIT_PATH}"></script>
</body>
</html>`;
}
