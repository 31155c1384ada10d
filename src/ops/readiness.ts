/**
 * What /readyz says, for orchestrators and load balancers. The HTTP server listens from the first moment of the
 * start, so probes get an answer while the gateway waits for the database or for migrations:
 *
 *   starting → migrating | migrations pending → ready → shutting down
 *
 * /healthz (liveness) answers 200 in every state: a replica waiting for a migration job must not be restarted for it.
 * Before `ready`, every other path answers 503 with a Retry-After; from `shutting down` on, /readyz answers 503 while
 * in-flight requests drain (server.ts), so the load balancer stops sending new work before the process exits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type ReadinessState = 'starting' | 'migrating' | 'migrations pending' | 'ready' | 'shutting down';

export class Readiness {
  private current: ReadinessState = 'starting';

  get state(): ReadinessState {
    return this.current;
  }

  get ready(): boolean {
    return this.current === 'ready';
  }

  get shuttingDown(): boolean {
    return this.current === 'shutting down';
  }

  set(state: ReadinessState): void {
    if (this.current === 'shutting down') return; // never comes back
    this.current = state;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** The HTTP answers while the application is not assembled yet (before Express and GraphQL exist). */
export function startupListener(readiness: Readiness): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') return sendJson(res, 503, { status: 'unavailable', reason: readiness.state });
    sendJson(res, 503, { error: `The gateway is not ready yet (${readiness.state})` }, { 'retry-after': '5' });
  };
}
