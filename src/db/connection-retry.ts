/**
 * Recovery from dropped server connections.
 *
 * When PostgreSQL ends the gateway's sessions (a restart, a failover, `pg_terminate_backend`, a proxy timing out idle
 * connections), the pool still holds clients whose sockets are about to report it. The pool discards such a client
 * as soon as its error event is processed, but a request that checks one out first would fail. This wrapper makes
 * that invisible: a statement that fails because its *connection* died is run again on a fresh connection, when
 * doing so cannot apply a change twice:
 *
 * - reads (`SELECT`, `WITH`, `SHOW` without a data-changing keyword) outside a transaction;
 * - `START TRANSACTION` (nothing has run in that transaction yet);
 * - any statement the driver refused to send because the client was already known to be broken.
 *
 * Statements inside a transaction are never retried: the transaction is lost with its connection, and the error
 * reaches the caller (a failed request, never a half-applied one). Errors that are not about the connection (a
 * constraint, a syntax error, a refused new connection while the server is down) are never retried either.
 *
 * It hooks TypeORM's PostgreSQL query runner (the one place every statement goes through) by wrapping `query` on each
 * runner the driver creates; the few runner internals it resets are named in {@link RunnerInternals}.
 */
import type { DataSource, QueryRunner } from 'typeorm';

/** SQLSTATEs of a session ended by the server: admin_shutdown, crash_shutdown, and the connection_exception class. */
const DEAD_SESSION_CODES = new Set(['57P01', '57P02', '08000', '08003', '08006']);
/** The driver's own words for a connection that broke under a statement, or before it was sent. */
const DEAD_CONNECTION_MESSAGE = /Connection terminated|is not queryable|ECONNRESET|EPIPE|server closed the connection unexpectedly/i;
/** Statements the driver never sent: always safe to send again. */
const NEVER_SENT_MESSAGE = /is not queryable/i;
const READ_STATEMENT = /^\s*(SELECT|WITH|SHOW)\b/i;
const CHANGES_DATA = /\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE|nextval|setval|set_config|pg_advisory\w*|pg_terminate_backend|pg_cancel_backend)\b/i;

/**
 * How many more connections a statement may try after the first one died. Every idle client of the pool dies at
 * once when the server ends all sessions, and the pool learns it only as each socket's close event is processed: a
 * statement may be handed every dead client in turn before a fresh one, so the bound is the pool's size plus one.
 */
export function maxReconnects(poolSize: number): number {
  return Math.max(1, poolSize) + 1;
}

interface DriverErrorLike {
  code?: string;
  message?: string;
  driverError?: { code?: string; message?: string };
}

/** True when `error` says the connection under the statement is gone (not that the statement itself failed). */
export function isDeadConnectionError(error: unknown): boolean {
  const e = error as DriverErrorLike | null;
  if (!e || typeof e !== 'object') return false;
  const cause = e.driverError ?? e;
  if (typeof cause.code === 'string' && DEAD_SESSION_CODES.has(cause.code)) return true;
  return DEAD_CONNECTION_MESSAGE.test(String(cause.message ?? e.message ?? ''));
}

/** Whether a statement that failed with a dead connection may be sent again without risking a double write. */
export function isSafeToRetry(sql: string, error: unknown, inTransaction: boolean, transactionDepth: number): boolean {
  const e = error as DriverErrorLike;
  if (NEVER_SENT_MESSAGE.test(String(e?.driverError?.message ?? e?.message ?? ''))) return !inTransaction || /^\s*START TRANSACTION\b/i.test(sql);
  if (/^\s*START TRANSACTION\b/i.test(sql)) return transactionDepth === 0;
  return !inTransaction && READ_STATEMENT.test(sql) && !CHANGES_DATA.test(sql);
}

/** TypeORM PostgresQueryRunner fields this module resets to give a runner a new connection. */
interface RunnerInternals {
  databaseConnection?: unknown;
  databaseConnectionPromise?: Promise<unknown>;
  releaseCallback?: (error?: unknown) => void;
  isReleased: boolean;
  isTransactionActive: boolean;
  transactionDepth?: number;
  driver: { connectedQueryRunners: unknown[] };
}

/** Drops the runner's broken connection (the pool destroys a client released with an error) so the next statement takes a new one. */
function dropConnection(runner: RunnerInternals, error: unknown): void {
  try {
    runner.releaseCallback?.(error instanceof Error ? error : new Error(String(error)));
  } catch {
    /* already gone */
  }
  runner.releaseCallback = undefined;
  runner.databaseConnection = undefined;
  runner.databaseConnectionPromise = undefined;
  // The client's error event may have released the runner already; it is ours again with the new connection.
  runner.isReleased = false;
  const index = runner.driver.connectedQueryRunners.indexOf(runner);
  if (index !== -1) runner.driver.connectedQueryRunners.splice(index, 1);
}

/**
 * Installs the retry on a data source (before or after `initialize()`).
 * @param poolSize the pool's `max`, which bounds how many dead clients one statement can meet.
 * @param onRetry told about each retry, for the log.
 */
export function retryOnDeadConnections(
  dataSource: DataSource,
  poolSize: number,
  onRetry?: (info: { attempt: number; reason: string; statement: string }) => void,
): void {
  const limit = maxReconnects(poolSize);
  const driver = dataSource.driver as unknown as { createQueryRunner(mode: string): QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode: string) => {
    const runner = create(mode);
    const internals = runner as unknown as RunnerInternals;
    const query = runner.query.bind(runner) as (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
    (runner as { query: unknown }).query = async (sql: string, parameters?: unknown[], structured?: boolean) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await query(sql, parameters, structured);
        } catch (error) {
          const retry =
            attempt < limit &&
            isDeadConnectionError(error) &&
            isSafeToRetry(sql, error, internals.isTransactionActive && !/^\s*START TRANSACTION\b/i.test(sql), internals.transactionDepth ?? 0);
          if (!retry) throw error;
          dropConnection(internals, error);
          onRetry?.({ attempt: attempt + 1, reason: (error as Error).message, statement: sql.slice(0, 60) });
        }
      }
    };
    return runner;
  };
}

/**
 * The same recovery for a caller that queries the pg pool directly (the login throttle's store): a statement that
 * met a dead pooled client is sent again on another. Only for statements whose repetition errs on the safe side.
 */
export async function queryPoolWithReconnect<T>(run: () => Promise<T>, poolSize: number): Promise<T> {
  const limit = maxReconnects(poolSize);
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= limit || !isDeadConnectionError(error)) throw error;
    }
  }
}
