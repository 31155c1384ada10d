/**
 * The audit log from the command line:
 *
 *   audit-export --since <time> [--until <time>] --format jsonl|csv [--output FILE]
 *       events at or after `since` (and before `until`), oldest first, one per line; streamed in batches, so an
 *       export of millions of events holds one batch in memory. stdout unless --output.
 *   audit-purge [--older-than-days N]
 *       deletes the events older than N days (default AUDIT_RETENTION_DAYS; refused when neither is given) and
 *       records the purge (`system.audit-purge`) in the same transaction. Runs as MIGRATIONS_DATABASE_URL when set:
 *       the runtime role may not delete events.
 */
import { parseArgs } from 'node:util';
import { CLI_ACTING } from '../audit/acting';
import { AuditLog, type AuditEvent } from '../audit/audit-log';
import type { Config } from '../config';
import { withDatabase } from './database';
import type { CliIo, CliOutput } from './io';

const CSV_COLUMNS = ['id', 'at', 'actor', 'channel', 'requestId', 'action', 'targetType', 'target', 'before', 'after'] as const;

class UsageError extends Error {}

function time(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed.getTime())) {
    throw new UsageError(`${flag} must be an ISO 8601 date or time (e.g. 2026-11-01 or 2026-11-01T08:00:00Z), got "${value}"`);
  }
  return parsed;
}

/** One event as a JSON line: the fields of the GraphQL `AuditEvent`. */
export function jsonLine(event: AuditEvent): string {
  return JSON.stringify({ ...event, at: new Date(event.at).toISOString() });
}

/**
 * One CSV field (RFC 4180 quoting). A field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
 * first) gets a leading `'`: a failed sign-in's target is whatever an anonymous client typed.
 */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(event: AuditEvent): string {
  const row = { ...event, at: new Date(event.at).toISOString() };
  return CSV_COLUMNS.map((column) => csvField(row[column])).join(',');
}

/** Where the lines go: the file of --output, or stdout (`-`). Without `io.openOutput` (tests), a file is written at the end. */
function outputOf(io: CliIo, path: string | undefined): CliOutput {
  if (io.openOutput) return io.openOutput(path ?? '-');
  if (path === undefined || path === '-') return { write: (line) => io.out(line), close: async () => undefined };
  const lines: string[] = [];
  return {
    write: (line) => void lines.push(line),
    close: async () => io.writeFile(path, lines.map((l) => `${l}\n`).join('')),
  };
}

async function auditExport(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { since: { type: 'string' }, until: { type: 'string' }, format: { type: 'string' }, output: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const since = time(values.since, '--since');
  if (since === undefined) throw new UsageError('--since is required (the export starts there)');
  const until = time(values.until, '--until');
  if (values.format !== 'jsonl' && values.format !== 'csv') throw new UsageError('--format must be jsonl or csv');
  const line = values.format === 'csv' ? csvLine : jsonLine;
  return withDatabase(config, async (dataSource) => {
    const output = outputOf(io, values.output);
    let count = 0;
    try {
      if (values.format === 'csv') await output.write(CSV_COLUMNS.join(','));
      for await (const event of new AuditLog().stream(dataSource.manager, { since, until })) {
        await output.write(line(event));
        count += 1;
      }
    } finally {
      await output.close();
    }
    if (values.output !== undefined && values.output !== '-') io.err(`exported ${count} event(s) to ${values.output}`);
    return 0;
  });
}

async function auditPurge(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { 'older-than-days': { type: 'string' } }, strict: true, allowPositionals: false });
  const given = values['older-than-days'];
  if (given !== undefined && !/^[1-9][0-9]{0,4}$/.test(given)) throw new UsageError('--older-than-days must be a whole number of days, at least 1');
  const days = given === undefined ? config.auditRetentionDays : Number(given);
  if (days === undefined) {
    throw new UsageError('nothing to purge by: AUDIT_RETENTION_DAYS is unset (events are kept forever); set it or pass --older-than-days N');
  }
  return withDatabase(
    config,
    async (dataSource) => {
      const deleted = await new AuditLog().purge(dataSource, CLI_ACTING, days);
      io.out(`deleted ${deleted} audit event(s) older than ${days} day(s); the purge itself is recorded (system.audit-purge)`);
      return 0;
    },
    true,
  );
}

export async function runAuditCommand(command: 'audit-export' | 'audit-purge', args: string[], config: Config, io: CliIo): Promise<number> {
  try {
    return await (command === 'audit-export' ? auditExport(args, config, io) : auditPurge(args, config, io));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${command}: ${(error as Error).message}`);
      return 2;
    }
    throw error;
  }
}
