/**
 * Operators' CLI tasks that go through the service layer as an administrator, exactly like an API call would:
 *
 *   import-connections <file.csv|file.json> [--no-probe] [--as <login>]
 *   export [file.json] [--as <login>]            roles and users as JSON (never a password or hash)
 *   import-roles <file.json> [--as <login>]      create or update the roles of an `export` file
 *   reprobe [--as <login>]                        probe every enabled connection again
 *
 * Imports are all-or-nothing, in one transaction: every row is checked, every problem is reported with its line (or
 * entry) in the file, and nothing is written unless every row is valid. Connections go through the service's bulk
 * import (`importMany`, the same as the `importConnections` mutation) and are probed once the import has committed,
 * with progress; roles go one by one through `roles.create`/`roles.update`, each behind a savepoint so that one bad
 * role does not hide the next one's problem.
 */
import { parseArgs } from 'node:util';
import type { AccessGroup } from '../access/access-rule';
import type { Config } from '../config';
import { canAdminister } from '../context/principal';
import { createRequestContext, inTransaction, type RequestContext } from '../context/request-context';
import type { DataSource } from 'typeorm';
import { migrateUnderLock, pendingMigrations } from '../db/migrate';
import { databaseUrls } from '../db/open-database';
import { AppError } from '../errors/app-error';
import { createServices, type Services } from '../services';
import { forEachProbe, type ImportProblem, type ImportResult } from '../services/connections';
import { DEFAULT_ADMIN_LOGIN, ensureDefaultAdministrator } from '../services/bootstrap';
import { parseConnectionFile } from './connection-file';
import { withDatabase } from './database';
import type { CliIo } from './io';
import { startProgress } from './progress';

export const OPERATOR_COMMANDS = ['import-connections', 'export', 'import-roles', 'reprobe'] as const;

/** Version of the `export` file format; `import-roles` reads this version. */
export const EXPORT_FORMAT = 'ds-access-gateway/access-export';
export const EXPORT_VERSION = 1;

class UsageError extends Error {}
/** A task that cannot run (unknown account, unreadable file): one line, exit code 1. */
class Failure extends Error {}

/** Rolls the import transaction back after every row was tried. */
class Rejected extends Error {
  constructor(readonly problems: string[]) {
    super('rejected');
  }
}

interface Administrator {
  services: Services;
  ctx: RequestContext;
}

/** The request context of the account named by `--as` (default `datasentinel`), which must be an administrator. */
async function administratorContext(services: Services, login: string): Promise<RequestContext> {
  const rows: { id: number; token_version: number }[] = await services.dataSource.query(`SELECT id, token_version FROM users WHERE lower(login) = lower($1)`, [
    login,
  ]);
  const principal = rows[0] ? await services.auth.loadPrincipal(rows[0].id, rows[0].token_version) : null;
  if (!principal) throw new Failure(`no account with login "${login}" (use --as <login>)`);
  if (!canAdminister(principal)) {
    throw new Failure(`"${login}" is not an unrestricted administrator (privilege admin, profile data admin, no role)`);
  }
  // Audited as the `--as` account, through the `cli` channel.
  return createRequestContext(services, principal, null, undefined, undefined, undefined, 'cli');
}

/**
 * Pending migrations are applied as the gateway applies them at start (MIGRATE_ON_START, default true: as
 * MIGRATIONS_DATABASE_URL when set, under the replicas' lock), so a command on a fresh database works as the first
 * start would; with MIGRATE_ON_START=false the command refuses, as the gateway waits, until `migrate` has run.
 */
export async function migrateAsTheGatewayWould(config: Config, dataSource: DataSource, url: string, io: CliIo): Promise<void> {
  if ((await pendingMigrations(dataSource)).length === 0) return;
  if (!config.migrateOnStart) throw new Failure('the database has pending migrations and MIGRATE_ON_START is false: run `npm run cli -- migrate` first');
  const urls = databaseUrls(config, url);
  const { applied } = await migrateUnderLock(
    urls.migrations,
    () => io.err('another process is applying migrations: waiting for it'),
    undefined,
    urls.migrationLock,
  );
  if (applied.length > 0) io.err(`applied migrations: ${applied.join(', ')}`);
}

async function asAdministrator(config: Config, io: CliIo, login: string | undefined, work: (admin: Administrator) => Promise<number>): Promise<number> {
  return withDatabase(config, async (dataSource, url) => {
    await migrateAsTheGatewayWould(config, dataSource, url, io);
    // A fresh database gets its administrator here as on the gateway's first start (it exists from the start).
    // On stderr, like every note of these commands: stdout carries only the result (`export > backup.json`).
    const bootstrap = await ensureDefaultAdministrator(dataSource, { password: config.adminPassword, email: config.adminEmail });
    if (bootstrap.generatedPassword) {
      io.err(`Default administrator created: login "${DEFAULT_ADMIN_LOGIN}", password "${bootstrap.generatedPassword}"`);
      io.err('It is shown only this once. Set ADMIN_PASSWORD to choose it instead.');
    }
    login ??= DEFAULT_ADMIN_LOGIN;
    const services = await createServices(dataSource, config);
    try {
      const ctx = await administratorContext(services, login);
      return await work({ services, ctx });
    } finally {
      await services.close?.();
    }
  });
}

/** Runs each item behind a savepoint of the open transaction; returns the problems, one line per failed item. */
async function tryEach<T>(
  tx: RequestContext,
  items: T[],
  label: string,
  io: CliIo,
  describe: (item: T) => string,
  work: (item: T) => Promise<void>,
): Promise<string[]> {
  const problems: string[] = [];
  const progress = startProgress(io, label, items.length);
  let done = 0;
  for (const item of items) {
    await tx.manager.query('SAVEPOINT ds_cli_item');
    try {
      await work(item);
      await tx.manager.query('RELEASE SAVEPOINT ds_cli_item');
    } catch (error) {
      await tx.manager.query('ROLLBACK TO SAVEPOINT ds_cli_item');
      problems.push(`${describe(item)}: ${messageOf(error)}`);
    }
    progress.update(++done);
  }
  progress.stop();
  return problems;
}

function readInput(io: CliIo, file: string): string {
  try {
    return io.readFile(file);
  } catch (error) {
    throw new Failure(`cannot read ${file}: ${(error as Error).message}`);
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AppError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function reportProblems(io: CliIo, what: string, problems: string[]): void {
  io.err(`${what}: ${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was written`);
  for (const problem of problems) io.err(`  ${problem}`);
}

async function importConnections(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'no-probe': { type: 'boolean' }, as: { type: 'string' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('usage: import-connections <file.csv|file.json> [--no-probe] [--as <login>]');
  const parsed = parseConnectionFile(file, readInput(io, file));
  if (parsed.rows.length === 0 && parsed.errors.length === 0) {
    io.err(`${file}: no connection to import`);
    return 1;
  }
  const probe = !values['no-probe'] && config.probeTimeoutMs > 0;
  return asAdministrator(config, io, values.as, async ({ services, ctx }) => {
    // The service's bulk import validates every row and reports all problems; it joins this transaction, so rows the
    // file reader already refused roll it back too. Probes wait for the commit (below, with progress).
    let imported: { name: string; enabled: boolean }[];
    try {
      imported = await inTransaction(ctx, async (tx) => {
        const problems = [...parsed.errors];
        let result: ImportResult | undefined;
        try {
          result = await services.connections.importMany(
            tx,
            parsed.rows.map((row) => ({ name: row.name, input: row.input })),
            { probe: false },
          );
        } catch (error) {
          const details = error instanceof AppError ? (error.details as { problems?: ImportProblem[]; problemCount?: number }) : undefined;
          const listed = details?.problems;
          if (!listed) throw error;
          for (const problem of listed) {
            const row = parsed.rows[problem.index];
            // The service numbers the rows it was given ("item 3"); the file's own positions read better.
            const first = problem.duplicateOf === undefined ? undefined : parsed.rows[problem.duplicateOf];
            const message = first ? `name: also used by ${first.where}` : problem.message;
            problems.push({ order: row?.order ?? problem.index, message: `${row ? row.where : `row ${problem.index + 1}`} (${problem.name}): ${message}` });
          }
          if (listed.length < (details.problemCount ?? listed.length)) {
            problems.push({ order: Number.MAX_SAFE_INTEGER, message: '… and more: fix these and run the import again' });
          }
        }
        if (problems.length) throw new Rejected(problems.sort((a, b) => a.order - b.order).map((p) => p.message));
        const enabled = new Map(parsed.rows.map((row) => [row.name, row.input.enabled !== false]));
        return result!.names.map((name) => ({ name, enabled: enabled.get(name) ?? true }));
      });
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      reportProblems(io, file, error.problems);
      return 1;
    }
    io.out(`imported ${imported.length} connection${imported.length === 1 ? '' : 's'} from ${file}`);
    const toProbe = imported.filter((c) => c.enabled).map((c) => c.name);
    if (!probe || toProbe.length === 0) {
      if (toProbe.length) io.out('not probed: run `reprobe` to check them');
      return 0;
    }
    let connected = 0;
    let done = 0;
    const failed: string[] = [];
    const progress = startProgress(io, 'probing', toProbe.length);
    // The service's probe pool, as `reprobe` and the API's background probes use it.
    await forEachProbe(toProbe, async (name) => {
      // `enable` on an enabled connection is the service's explicit "probe again".
      try {
        const { probe: outcome } = await services.connections.enable(ctx, name);
        if (outcome?.status === 'connected') connected += 1;
        else failed.push(name);
      } catch {
        failed.push(name); // deleted meanwhile
      }
      progress.update(++done);
    });
    progress.stop();
    failed.sort();
    const listed = failed.length > 20 ? `${failed.slice(0, 20).join(', ')} and ${failed.length - 20} more` : failed.join(', ');
    io.out(`probed: ${connected} connected, ${failed.length} not connected${failed.length ? ` (${listed})` : ''}`);
    if (failed.length) io.out('their lastProbeError says why (GraphQL, administrators); `reprobe` tries again');
    return 0;
  });
}

export interface AccessExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  roles: { name: string; access: AccessGroup[] }[];
  users: {
    email: string;
    login: string;
    profile: string;
    privilege: string;
    roles: string[];
    live360: boolean;
    comment: string | null;
    ldap: boolean;
  }[];
}

async function exportAccess(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' } } });
  if (positionals.length > 1) throw new UsageError('usage: export [file.json] [--as <login>]');
  return asAdministrator(config, io, values.as, async ({ services, ctx }) => {
    const roles = await services.roles.list(ctx);
    const users = await services.users.list(ctx);
    const rolesOfUsers = await ctx.loaders.rolesOfUser.loadMany(users.map((u) => u.id));
    const document: AccessExport = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: new Date().toISOString(),
      roles: roles.map((r) => ({ name: r.name, access: r.access as AccessGroup[] })),
      // Field by field: the entity also holds the password hash, which a backup must never contain.
      users: users.map((u, i) => {
        const held = rolesOfUsers[i];
        if (held instanceof Error) throw held;
        return {
          email: u.email,
          login: u.login,
          profile: u.profile,
          privilege: u.privilege,
          roles: held!.map((r) => r.name),
          live360: u.live360,
          comment: u.comment,
          ldap: u.ldap,
        };
      }),
    };
    const text = `${JSON.stringify(document, null, 2)}\n`;
    const file = positionals[0];
    if (!file || file === '-') {
      io.out(text.trimEnd());
    } else {
      io.writeFile(file, text);
      io.out(`exported ${document.roles.length} roles and ${document.users.length} users to ${file}`);
    }
    return 0;
  });
}

async function importRoles(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('usage: import-roles <file.json> [--as <login>]');
  let roles: { name: string; access: AccessGroup[] }[];
  try {
    const data = JSON.parse(readInput(io, file)) as Partial<AccessExport> | unknown[];
    const list = Array.isArray(data) ? data : data.roles;
    if (!Array.isArray(list)) throw new Error('expected an `export` file or an array of {name, access}');
    roles = list as typeof roles;
  } catch (error) {
    if (error instanceof Failure) throw error;
    io.err(`${file}: ${(error as Error).message}`);
    return 1;
  }
  return asAdministrator(config, io, values.as, async ({ services, ctx }) => {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    try {
      await inTransaction(ctx, async (tx) => {
        const problems = await tryEach(
          tx,
          roles,
          'importing roles',
          io,
          (role) => `role ${JSON.stringify((role as { name?: unknown })?.name ?? '?')}`,
          async (role) => {
            if (typeof role !== 'object' || role === null || typeof role.name !== 'string') throw new Error('must be an object with a name and an access list');
            const current = await services.roles.get(tx, role.name);
            if (!current) {
              await services.roles.create(tx, role.name, role.access);
              counts.created += 1;
            } else if (JSON.stringify(current.access) !== JSON.stringify(role.access)) {
              await services.roles.update(tx, role.name, role.access);
              counts.updated += 1;
            } else {
              counts.unchanged += 1;
            }
          },
        );
        if (problems.length) throw new Rejected(problems);
      });
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      reportProblems(io, file, error.problems);
      return 1;
    }
    io.out(`roles: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged`);
    return 0;
  });
}

async function reprobe(args: string[], config: Config, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' } } });
  if (positionals.length) throw new UsageError('usage: reprobe [--as <login>]');
  if (config.probeTimeoutMs <= 0) {
    io.err('probing is disabled (PROBE_TIMEOUT_MS=0)');
    return 1;
  }
  return asAdministrator(config, io, values.as, async ({ services, ctx }) => {
    let progress: ReturnType<typeof startProgress> | undefined;
    const result = await services.connections.reprobeAll(ctx, (done, total) => {
      progress ??= startProgress(io, 'probing', total);
      progress.update(done);
    });
    progress?.stop();
    io.out(`probed ${result.connected + result.failed} connections: ${result.connected} connected, ${result.failed} not connected`);
    return 0;
  });
}

/** Entry point from {@link runCommand}. */
export async function runOperatorCommand(command: (typeof OPERATOR_COMMANDS)[number], args: string[], config: Config, io: CliIo): Promise<number> {
  try {
    switch (command) {
      case 'import-connections':
        return await importConnections(args, config, io);
      case 'export':
        return await exportAccess(args, config, io);
      case 'import-roles':
        return await importRoles(args, config, io);
      case 'reprobe':
        return await reprobe(args, config, io);
    }
  } catch (error) {
    // Usage mistakes and unknown options: one line, exit code 2, like the other commands.
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
    ) {
      io.err((error as Error).message);
      return 2;
    }
    if (error instanceof Failure) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}
