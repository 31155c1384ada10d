/**
 * The bench's peer: PostGraphile v5 (amber preset, grafserv on node:http) over the bench database, every request
 * under row-level security (bench/peer/rls.sql). Started by bench/run.ts for the `peer` scenario; not part of the
 * gateway.
 *
 *   DATABASE_URL=postgres://… PEER_JWT_SECRET=… [PORT=0] [HOST=127.0.0.1] [DATABASE_POOL_SIZE=10] node bench/peer/server.mjs
 *
 * Callers send `Authorization: Bearer <JWT>` (HS256, audience `bench-peer`, claim `user_id`), verified here as the
 * PostGraphile documentation recommends (in `grafast.context`, not the lazy-jwt preset), and passed to PostgreSQL as
 * pgSettings: `role = bench_peer` (SET LOCAL ROLE) and `jwt.claims.user_id`, which the policy reads. A missing or
 * invalid token is a 401. Production settings: no GraphiQL, no explain, no watch mode, NODE_ENV=production.
 * Prints `peer ready at http://host:port/graphql` once it listens.
 */
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import jwt from 'jsonwebtoken';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { pgSmartTags } from 'postgraphile/utils';

// PostGraphile 5 wants Node 22 (engines), as the gateway does; its only newer API it calls on Node 20 is this one.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

const { DATABASE_URL, PEER_JWT_SECRET } = process.env;
if (!DATABASE_URL || !PEER_JWT_SECRET) {
  process.stderr.write('DATABASE_URL and PEER_JWT_SECRET are required\n');
  process.exit(2);
}
const ROLE = 'bench_peer';
// Built once, as the gateway does: given a string, jsonwebtoken would rebuild the key on every verification.
const key = createSecretKey(Buffer.from(PEER_JWT_SECRET));

/** The verified caller's settings for this request's transaction. */
function pgSettingsFor(authorization) {
  const [scheme, token] = (authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token) throw Object.assign(new Error('Authorization required'), { statusCode: 401 });
  let claims;
  try {
    claims = jwt.verify(token, key, { algorithms: ['HS256'], audience: 'bench-peer' });
  } catch {
    throw Object.assign(new Error('Invalid token'), { statusCode: 401 });
  }
  if (typeof claims !== 'object' || !Number.isInteger(claims.user_id)) throw Object.assign(new Error('Invalid token'), { statusCode: 401 });
  return { role: ROLE, 'jwt.claims.user_id': String(claims.user_id) };
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [
    // The peer's API is the connections table. The gateway's other tables (which bench_peer may not read anyway) and
    // its SQL functions live in `public` too: none of them is part of it.
    pgSmartTags([
      { kind: 'class', match: (table) => table.relname !== 'connections', tags: { behavior: '-*' } },
      { kind: 'procedure', match: () => true, tags: { behavior: '-*' } },
    ]),
  ],
  pgServices: [
    makePgService({
      connectionString: DATABASE_URL,
      schemas: ['public'],
      poolConfig: { max: Number(process.env.DATABASE_POOL_SIZE ?? 10) },
      // Introspect as the role requests run as, so the RBAC plugin exposes what bench_peer may read and nothing else.
      pgSettingsForIntrospection: { role: ROLE },
    }),
  ],
  grafserv: { graphqlPath: '/graphql', graphiql: false, graphqlOverGET: false, watch: false, websockets: false },
  grafast: {
    explain: false,
    context(requestContext) {
      return { pgSettings: pgSettingsFor(requestContext.node?.req.headers.authorization) };
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
await serv.addTo(server);
await pgl.getSchema(); // introspect before the first request, so the bench measures a warm server
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stdout.write(`peer ready at http://${address}:${port}/graphql\n`);
});

const stop = () => {
  server.close();
  Promise.resolve(pgl.release()).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
