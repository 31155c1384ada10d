/**
 * The bench's bare Node.js server: the dashboard answered with the least any Node.js gateway must do, and nothing
 * else. It reads the request body, sends the very statements the gateway sends for it (captured, as the raw SQL
 * floor replays them) through `pg`, builds the same nodes from the rows (user tags parsed once per text, automatic
 * tags by the gateway's own derivation) and writes the same bytes the gateway writes. The total and the page
 * information are taken from the gateway's answer (the gateway reads them from its caches, without SQL).
 *
 * No authentication, GraphQL, security headers, access log, metrics, limits or error handling: it stands for a
 * lower bound, not for a product. The bench checks that its answer equals the gateway's byte for byte before it
 * measures it (bench/run.ts), and measures it in the dashboard's alternating rounds beside the raw SQL floor, so the
 * run shows how much of the gateway's distance to the floor any Node.js server on the same machine already has.
 *
 * Run by the bench as a process of its own: `node dist/bench/bare-server.js` with BARE_SPEC_FILE (a {@link BareSpec}
 * as JSON); it prints "bare server ready at http://…/graphql".
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { appendAutomaticTags, compareCodePoints, type TagPair } from '../src/access/tags';
import { answerBytes } from '../src/graphql/known-queries';

export interface BareSpec {
  databaseUrl: string;
  /** The statements one dashboard request sends, in order (the last one reads the page). */
  statements: { sql: string; params: unknown[] }[];
  /** `connections { totalCount pageInfo { … } }` of the gateway's answer. */
  head: { totalCount: number; pageInfo: Record<string, unknown> };
  /** The page size asked for (`first`). */
  first: number;
}

interface Tag {
  key: string;
  value: string;
  automatic: boolean;
}

/** A row of the page statement, as `pg` gives it. */
export type PageRow = Record<string, unknown>;

/**
 * The answer's bytes for the rows of the page statement: its items (not the look-around row) in the page's order,
 * cut at `first`, each as `{ name host port connected tags { key value automatic } }`.
 */
export function bareAnswer(rows: readonly PageRow[], spec: Pick<BareSpec, 'head' | 'first'>, userTagsOf: (text: string) => readonly TagPair[]): Buffer {
  const items = rows
    .filter((row) => Number(row.batch_part) === 0)
    .sort((a, b) => compareCodePoints(String(a.order_key), String(b.order_key)) || compareCodePoints(String(a.name), String(b.name)))
    .slice(0, spec.first);
  const nodes = items.map((row) => {
    const connection = { name: String(row.name), host: String(row.host), pgVersion: (row.pg_version as string | null) ?? null };
    const tags = appendAutomaticTags(
      connection,
      userTagsOf(String(row.user_tags)).map((t): Tag => ({ key: t.key, value: t.value, automatic: false })),
      (key, value): Tag => ({ key, value, automatic: true }),
    );
    return { name: connection.name, host: connection.host, port: row.port, connected: row.connected, tags };
  });
  return answerBytes(JSON.stringify({ data: { connections: { totalCount: spec.head.totalCount, pageInfo: spec.head.pageInfo, nodes } } }));
}

/** The server, listening on 127.0.0.1 (`port` 0: any free one). */
export async function startBareServer(spec: BareSpec, port = 0): Promise<{ server: Server; url: string; pool: Pool }> {
  const pool = new Pool({ connectionString: spec.databaseUrl, max: 10 });
  // Parsed once per distinct text, as the gateway does (src/db/shared-json.ts).
  const parsed = new Map<string, readonly TagPair[]>();
  const userTagsOf = (text: string) => {
    let tags = parsed.get(text);
    if (!tags) parsed.set(text, (tags = JSON.parse(text) as TagPair[]));
    return tags;
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          // What any server must do with the request: read its JSON.
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          let rows: PageRow[] = [];
          for (const statement of spec.statements) rows = (await pool.query(statement.sql, statement.params)).rows as PageRow[];
          const bytes = bareAnswer(rows, spec, userTagsOf);
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
          res.end(bytes);
        } catch (error) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pool };
}

if (require.main === module) {
  const file = process.env.BARE_SPEC_FILE;
  if (!file) throw new Error('bare-server: BARE_SPEC_FILE is not set');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as BareSpec;
  void startBareServer(spec, Number(process.env.PORT ?? 0)).then(({ url }) => process.stdout.write(`bare server ready at ${url}/graphql\n`));
}
