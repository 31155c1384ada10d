/**
 * The bench's peer (scenario `peer`): PostGraphile v5 with row-level security serving the dashboard on the same
 * database. Its code lives in bench/peer/ with its own package.json, installed on demand: PostGraphile is never a
 * dependency of the gateway. See bench/peer/rls.sql for the policy and bench/peer/server.mjs for the server.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import type { Client } from 'pg';
import { spawnServer, type GatewayChild } from './process';

/** bench/peer in the source tree (this file runs from dist/bench). */
const PEER_DIR = join(__dirname, '../../bench/peer');

/** The dashboard in PostGraphile's generated API: the caller's first 50 connections in name order, as the gateway's. */
export const PEER_DASHBOARD = `query Dashboard { allConnections(first: 50, orderBy: NAME_ASC) { totalCount pageInfo { hasNextPage endCursor } nodes { name host port connected tags } } }`;

/** Installs bench/peer's own dependencies (`npm ci --prefix bench/peer`) unless they are there already. */
export function ensurePeerInstalled(): void {
  if (existsSync(join(PEER_DIR, 'node_modules/postgraphile/package.json'))) return;
  process.stderr.write('bench: installing the peer (npm ci --prefix bench/peer)…\n');
  // npm's output goes to stderr: stdout is the results table.
  execFileSync('npm', ['ci', '--prefix', PEER_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
}

/** The peer's role, function and policy (bench/peer/rls.sql), applied to a seeded bench database. */
export async function applyPeerPolicy(db: Client): Promise<void> {
  await db.query(readFileSync(join(PEER_DIR, 'rls.sql'), 'utf8'));
}

export interface PeerChild extends GatewayChild {
  /** A token for the peer naming `userId` (what the gateway's own sign-in gives its callers). */
  tokenFor(userId: number): string;
}

/** Starts bench/peer/server.mjs on the database (pool of 10, as the bench's gateway). */
export async function spawnPeer(databaseUrl: string): Promise<PeerChild> {
  const secret = randomBytes(32).toString('hex');
  const child = await spawnServer(
    'peer',
    [join(PEER_DIR, 'server.mjs')],
    { DATABASE_URL: databaseUrl, PEER_JWT_SECRET: secret, DATABASE_POOL_SIZE: '10' },
    /peer ready at (http:\/\/[^\s"]+)\/graphql/,
  );
  return { ...child, tokenFor: (userId) => jwt.sign({ user_id: userId }, secret, { algorithm: 'HS256', audience: 'bench-peer', expiresIn: '12h' }) };
}

/**
 * EXPLAIN ANALYZE of the two statements the peer sends for the dashboard (its page and its count, as PostGraphile
 * writes them), run as a peer request runs: role bench_peer and the caller's id in `jwt.claims.user_id`.
 */
export async function explainPeer(db: Client, userId: number): Promise<string> {
  const statements = [
    'SELECT name, host, port::text, connected::text, tags::text FROM public.connections ORDER BY name ASC LIMIT 51',
    'SELECT count(*)::text FROM public.connections',
  ];
  const parts: string[] = [];
  await db.query('BEGIN');
  try {
    await db.query(`SELECT set_config('role', 'bench_peer', true), set_config('jwt.claims.user_id', $1, true)`, [String(userId)]);
    for (const sql of statements) {
      const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`);
      parts.push(`-- peer (PostGraphile, row-level security), user ${userId}: ${sql}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    }
  } finally {
    await db.query('ROLLBACK');
  }
  return parts.join('\n\n');
}
