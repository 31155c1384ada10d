/**
 * Serves the live dashboard example (examples/dashboard/, bundled by scripts/build-dashboard.mjs into
 * dist/examples/dashboard/) at `/examples/dashboard`, under the strict page CSP: scripts and styles from the gateway
 * only, requests (HTTP and WebSocket) to the gateway only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import { dashboardContentSecurityPolicy } from './security';

export const DASHBOARD_PATH = '/examples/dashboard';

/** The built example: next to the compiled server, or under dist/ when the server runs from its sources (tests). */
function builtDashboardDir(): string | null {
  const candidates = [join(__dirname, '../../examples/dashboard'), join(__dirname, '../../dist/examples/dashboard')];
  return candidates.find((dir) => existsSync(join(dir, 'app.js'))) ?? null;
}

/** Mounts the example when it was built (`npm run build`); returns whether it did. */
export function mountDashboardExample(app: Express): boolean {
  const dir = builtDashboardDir();
  if (!dir) return false;
  app.use(DASHBOARD_PATH, dashboardContentSecurityPolicy(), express.static(dir, { index: 'index.html', maxAge: '5m' }));
  return true;
}
