/**
 * Connection probe: opens a real PostgreSQL connection to a monitored instance with its monitoring credentials and
 * reads the server version. Bounded by PROBE_TIMEOUT_MS end to end; never throws.
 */
import { Client } from 'pg';

export interface ProbeTarget {
  host: string;
  port: number;
  user: string;
  password: string;
}

export type ProbeOutcome = { status: 'connected'; version: string } | { status: 'failed'; error: string } | { status: 'skipped' };

/** `16.4 (Debian 16.4-1.pgdg120+1)` → `16.4`; `18beta1` stays as is. */
export function parseServerVersion(raw: string): string {
  return raw.trim().split(/\s+/)[0] ?? raw.trim();
}

export class ProbeService {
  constructor(private readonly timeoutMs: number) {}

  get enabled(): boolean {
    return this.timeoutMs > 0;
  }

  async probe(target: ProbeTarget): Promise<ProbeOutcome> {
    if (!this.enabled) return { status: 'skipped' };
    const client = new Client({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      database: 'postgres',
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      application_name: 'ds-access-gateway probe',
    });
    // pg reports socket errors on the client too; without a listener they would crash the process.
    client.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const version = await Promise.race([
        (async () => {
          await client.connect();
          const result = await client.query<{ server_version: string }>('SHOW server_version');
          return parseServerVersion(result.rows[0]?.server_version ?? '');
        })(),
        deadline,
      ]);
      return { status: 'connected', version };
    } catch (error) {
      return { status: 'failed', error: describe(error) };
    } finally {
      clearTimeout(timer);
      client.end().catch(() => undefined);
    }
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  return (code && !message.includes(code) ? `${code}: ${message}` : message).slice(0, 500);
}
