/** The CLI commands, separate from process handling so tests can run them in-process. */
import { randomBytes } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { CLI_ACTING } from '../audit/acting';
import { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import { migrateDown } from '../db/data-source';
import { migrateUnderLock, pendingMigrations } from '../db/migrate';
import { ROLE_NAME, runtimeGrantStatements } from '../db/runtime-grants';
import { schemaToSdl } from '../graphql/print-schema';
import { buildGatewaySchema } from '../graphql/schema';
import { breakingChangesSince, newestRelease, RELEASED_SCHEMA_DIR } from '../graphql/schema-compat';
import { packageInfo } from '../rest/handlers/meta';
import { OPENAPI_PATH, openApiText } from '../rest/openapi';
import { DEFAULT_ADMIN_LOGIN, ensureDefaultAdministrator } from '../services/bootstrap';
import { resetPassword } from '../services/user.service';
import { runAuditCommand } from './audit-commands';
import { migrateAsTheGatewayWould, runOperatorCommand } from './operator-commands';
import { runLdapCheck } from './ldap-check-command';
import { runRotateEncryptionKey } from './rotate-key-command';
import { withDatabase, withDatabaseUrls } from './database';
import type { CliIo } from './io';

// The command modules import CliIo and withDatabase from ./io and ./database, leaf modules, not from this file (which
// imports them): no import cycle. Re-exported for the callers of runCommand.
export type { CliIo } from './io';

export const SCHEMA_PATH = 'schema/schema.graphql';

/** `schema --check`: the served schema breaks nothing of the newest schema in schema/released/. */
function checkCompatibleWithRelease(schema: GraphQLSchema, io: CliIo): number {
  const newest = newestRelease(io.listFiles(RELEASED_SCHEMA_DIR));
  if (!newest) {
    io.err(`no released schema in ${RELEASED_SCHEMA_DIR}/: nothing to check compatibility against`);
    return 1;
  }
  const breaking = breakingChangesSince(io.readFile(`${RELEASED_SCHEMA_DIR}/${newest}`), schema);
  if (breaking.length > 0) {
    io.err(`the schema breaks clients of ${RELEASED_SCHEMA_DIR}/${newest}:`);
    for (const line of breaking) io.err(`  ${line}`);
    io.err('keep the old names (deprecate them instead), or release a new major version with its schema file');
    return 1;
  }
  io.out(`no breaking change since ${RELEASED_SCHEMA_DIR}/${newest}`);
  return 0;
}

/** `grant-runtime --role NAME [--print]`: the runtime role's grants (src/db/runtime-grants.ts), applied as the owner. */
async function grantRuntime(args: string[], config: Config, io: CliIo): Promise<number> {
  const at = args.indexOf('--role');
  const role = at >= 0 ? args[at + 1] : undefined;
  if (!role || !ROLE_NAME.test(role)) {
    io.err('usage: grant-runtime --role NAME [--print]   (NAME: an existing PostgreSQL role, letters, digits, _ $ -)');
    return 2;
  }
  return withDatabase(
    config,
    async (dataSource) => {
      const [where] = await dataSource.query<
        { database: string; schema: string; owner: string; migrationsTable: boolean; auditTable: boolean; roleExists: boolean }[]
      >(
        `SELECT current_database() AS database, current_schema() AS schema, current_user AS owner,
                to_regclass('migrations') IS NOT NULL AS "migrationsTable", to_regclass('audit_events') IS NOT NULL AS "auditTable",
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS "roleExists"`,
        [role],
      );
      const statements = runtimeGrantStatements({
        role,
        database: where.database,
        schema: where.schema,
        migrationsTable: where.migrationsTable,
        auditTable: where.auditTable,
      });
      if (args.includes('--print')) {
        for (const statement of statements) io.out(`${statement};`);
        return 0;
      }
      if (!where.roleExists) {
        io.err(`no PostgreSQL role "${role}": create it first (CREATE ROLE ${role} LOGIN PASSWORD '…')`);
        return 1;
      }
      if (where.owner === role) {
        io.err(`"${role}" is the role these grants would be given by (the owner): use a separate runtime role`);
        return 1;
      }
      await dataSource.transaction(async (manager) => {
        for (const statement of statements) await manager.query(statement);
      });
      io.out(`granted the runtime privileges on ${where.database}.${where.schema} to ${role} (default privileges too, for later migrations by ${where.owner})`);
      return 0;
    },
    true,
  );
}

export async function runCommand(command: string, args: string[], config: Config, io: CliIo): Promise<number> {
  switch (command) {
    case 'migrate': {
      const direction = args[0] ?? 'up';
      if (direction === 'up') {
        // Under the same advisory lock as the gateways' own migrations (src/db/migrate.ts): safe during a rollout.
        return withDatabaseUrls(config, true, async (urls) => {
          const { applied } = await migrateUnderLock(
            urls.migrations,
            () => io.out('another process is applying migrations: waiting for it'),
            undefined,
            urls.migrationLock,
          );
          io.out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
          return 0;
        });
      }
      return withDatabase(
        config,
        async (dataSource) => {
          if (direction === 'down') {
            await migrateDown(dataSource);
            io.out('reverted the last migration');
          } else if (direction === 'status') {
            const done = await dataSource.query<{ name: string }[]>(`SELECT name FROM migrations ORDER BY id`).catch(() => []);
            for (const migration of dataSource.migrations) {
              const name = migration.name ?? migration.constructor.name;
              io.out(`${done.some((d) => d.name === name) ? '[x]' : '[ ]'} ${name}`);
            }
          } else {
            io.err(`unknown migrate direction "${direction}" (use up, down or status)`);
            return 2;
          }
          return 0;
        },
        true,
      );
    }
    case 'migrations-pending': {
      // For pipelines and probes: exit 0 when the database has every migration of this build, 1 otherwise.
      return withDatabase(config, async (dataSource) => {
        const pending = await pendingMigrations(dataSource);
        for (const name of pending) io.out(`pending: ${name}`);
        if (pending.length === 0) io.out('database is up to date');
        return pending.length === 0 ? 0 : 1;
      });
    }
    case 'grant-runtime':
      return grantRuntime(args, config, io);
    case 'schema': {
      const schema = await buildGatewaySchema();
      // The two API descriptions that are build outputs: the GraphQL schema and the REST API's OpenAPI document.
      const outputs: [string, string][] = [
        [SCHEMA_PATH, schemaToSdl(schema)],
        [OPENAPI_PATH, openApiText(packageInfo().version)],
      ];
      if (args.includes('--check')) {
        let stale = 0;
        for (const [path, text] of outputs) {
          let current = '';
          try {
            current = io.readFile(path);
          } catch {
            /* missing file is stale */
          }
          if (current !== text) {
            io.err(`${path} is stale: run \`npm run schema\` and commit the result`);
            stale += 1;
          } else {
            io.out(`${path} is up to date`);
          }
        }
        return stale === 0 ? checkCompatibleWithRelease(schema, io) : 1;
      }
      for (const [path, text] of outputs) {
        io.writeFile(path, text);
        io.out(`wrote ${path}`);
      }
      return 0;
    }
    case 'reset-admin-password': {
      const login = args[0] ?? DEFAULT_ADMIN_LOGIN;
      const generated = config.adminPassword ? undefined : randomBytes(18).toString('base64url');
      const password = config.adminPassword ?? generated!;
      return withDatabase(config, async (dataSource, url) => {
        await migrateAsTheGatewayWould(config, dataSource, url, io);
        // On a fresh database this is the first start: the default administrator is created, with this password.
        if (login === DEFAULT_ADMIN_LOGIN) {
          const bootstrap = await ensureDefaultAdministrator(dataSource, { password, email: config.adminEmail });
          if (bootstrap.created) {
            io.out(
              generated
                ? `default administrator ${login} created, password: ${generated}`
                : `default administrator ${login} created, password from ADMIN_PASSWORD`,
            );
            return 0;
          }
        }
        // Through the user service: the same password rule and token revocation as updateUser / PUT users.
        const user = await resetPassword(dataSource.manager, login, password, { log: new AuditLog(), acting: CLI_ACTING });
        if (!user) {
          io.err(`no account with login "${login}"`);
          return 1;
        }
        io.out(generated ? `new password for ${login}: ${generated}` : `password of ${login} set from ADMIN_PASSWORD`);
        io.out('every earlier token of this account is revoked');
        return 0;
      });
    }
    case 'import-connections':
    case 'export':
    case 'import-roles':
    case 'reprobe':
      return runOperatorCommand(command, args, config, io);
    case 'rotate-encryption-key':
      return runRotateEncryptionKey(args, config, io);
    case 'ldap-check':
      return runLdapCheck(args, config, io);
    case 'audit-export':
    case 'audit-purge':
      return runAuditCommand(command, args, config, io);
    default:
      io.err(`unknown command "${command}"; run with --help`);
      return 2;
  }
}
