/**
 * One measurement's load generator, in a Node process of its own: `bench/run.ts` forks this file for every timed
 * load (and warm-up), sends it one {@link LoadJob} and gets one {@link LoadResult} back.
 *
 * Why a process per load: the load generator's own pauses are measured as the server's latency. When it ran inside
 * the bench process, that process carried its heap from one size to the next (seeds, captured statements, EXPLAIN
 * output, the in-process gateways that capture statements), and under the overview's 100 kB answers at 100k, after
 * a 1k size, it ran a full collection every 150-200 ms (6-15 ms pauses, "GC in old space requested" in
 * `--trace-gc`) while using more of a core than the gateway: the overview's p99 was those pauses (BENCHMARKS.md).
 * A new process per load starts every measurement from the same state, as a separate load tool (wrk, k6) would.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';

/** HTTP load with autocannon: `POST {url}/graphql` with this body, for `duration` seconds or `amount` responses. */
export interface HttpLoadJob {
  kind: 'http';
  url: string;
  token: string;
  body: string;
  connections: number;
  duration: number;
  amount?: number;
}

/** The raw SQL floor: these statements replayed through `pg` as the gateway sends them, for `duration` seconds. */
export interface SqlLoadJob {
  kind: 'sql';
  databaseUrl: string;
  statements: { sql: string; params: unknown[] }[];
  connections: number;
  duration: number;
}

export type LoadJob = HttpLoadJob | SqlLoadJob;

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** p50 and p99 of latencies in milliseconds (the same rule for the gateway and the raw floor). */
export function percentiles(latencies: readonly number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { p50: pct(50), p99: pct(99) };
}

async function httpLoad(job: HttpLoadJob): Promise<LoadResult> {
  const instance = autocannon({
    url: `${job.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${job.token}` },
    body: job.body,
    connections: job.connections,
    ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
    timeout: 60, // seconds; autocannon's 10 s would turn the slowest peer answers at a million connections into errors
  });
  // autocannon's own percentiles are whole milliseconds (an HDR histogram with 1 ms resolution): too coarse for a
  // 10 ms request compared with a 3 ms floor. Each response's exact duration comes with its 'response' event.
  const latencies: number[] = [];
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) =>
    latencies.push(responseTime),
  );
  const result = await instance;
  const rps = job.amount ? result.requests.total / result.duration : result.requests.average;
  return { rps, ...percentiles(latencies), errors: result.errors + result.non2xx };
}

/** Replays the captured statements as the gateway sends them (the barrier, then page and count in parallel). */
async function sqlLoad(job: SqlLoadJob): Promise<LoadResult> {
  const pool = new Pool({ connectionString: job.databaseUrl, max: job.connections + 2 });
  const [first, ...rest] = job.statements;
  const once = async () => {
    if (first?.sql === 'SELECT 1') {
      await pool.query(first.sql);
      await Promise.all(rest.map((s) => pool.query(s.sql, s.params)));
    } else {
      await Promise.all(job.statements.map((s) => pool.query(s.sql, s.params)));
    }
  };
  for (let i = 0; i < 20; i += 1) await once();
  const latencies: number[] = [];
  const deadline = Date.now() + job.duration * 1000;
  let errors = 0;
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        try {
          await once();
        } catch {
          errors += 1;
        }
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }),
  );
  await pool.end();
  return { rps: latencies.length / job.duration, ...percentiles(latencies), errors };
}

export function runLoad(job: LoadJob): Promise<LoadResult> {
  return job.kind === 'http' ? httpLoad(job) : sqlLoad(job);
}

/**
 * Runs one load in a Node process of its own (this file, forked) and resolves with its result once that process has
 * exited, so it does not share the cores with what comes next. No Node flag of the caller is passed on (`--cpu-prof`
 * is for the gateway).
 */
export function loadInOwnProcess(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'load-process.js'), [], { execArgv: [], stdio: ['ignore', 2, 2, 'ipc'] });
    let answer: { result?: LoadResult; error?: string } | undefined;
    child.once('message', (message: { result?: LoadResult; error?: string }) => (answer = message));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (answer?.result) resolve(answer.result);
      else reject(new Error(`the load generator failed (exit ${code ?? signal}): ${answer?.error ?? 'no answer'}`));
    });
    child.send(job);
  });
}

// Forked by loadInOwnProcess: one job in, one result out, then exit.
if (require.main === module && process.send) {
  process.once('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1)),
    );
  });
}
