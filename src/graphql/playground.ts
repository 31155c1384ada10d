/**
 * The GraphQL IDE served at `/graphql` to browsers: GraphiQL from the `@graphql-yoga/graphiql` package, whose
 * bundle (React and the editor included) is served by the gateway itself, so it works on networks with no route to
 * any CDN.
 */
import { dirname, join } from 'node:path';

export const PLAYGROUND_ASSETS_PATH = '/graphql/assets';

export function playgroundAssetsDir(): string {
  return join(dirname(require.resolve('@graphql-yoga/graphiql')), '.');
}

const DEFAULT_QUERY = `# Paste your token in the Headers tab as {"Authorization": "Bearer <token>"},
# or get one with the createToken mutation below and the Headers tab fills itself in.
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
    defaultQuery: DEFAULT_QUERY,
    headers: '{}',
    shouldPersistHeaders: true,
  };
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Datasentinel access gateway · GraphiQL</title>
  <link rel="stylesheet" href="${PLAYGROUND_ASSETS_PATH}/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql"><noscript>The GraphQL IDE needs JavaScript.</noscript></div>
  <script src="${PLAYGROUND_ASSETS_PATH}/yoga-graphiql.umd.js"></script>
  <script>
    YogaGraphiQL.renderYogaGraphiQL(document.getElementById('graphiql'), ${JSON.stringify(options).replace(/</g, '\\u003c')});
  </script>
</body>
</html>`;
}
