#!/usr/bin/env node
/**
 * Operator commands: `npm run cli -- <command>` (or `npx ds-gateway <command>` after a build).
 *
 *   migrate [up|down|status]        apply (under the replicas' advisory lock), revert the last, or list migrations
 *   grant-runtime --role NAME       least-privilege grants for the runtime role (src/db/runtime-grants.ts)
 *   schema [--check]                write schema/schema.graphql and schema/openapi.json (or fail if one is stale)
 *   reset-admin-password [login]    set a new password (ADMIN_PASSWORD or a generated one) and revoke tokens
 *   import-connections, export, import-roles, reprobe   operators' tasks through the service layer (operator-commands.ts)
 *   rotate-encryption-key [--batch-size N]   re-seal connection passwords with ENCRYPTION_KEY (rotate-key-command.ts)
 *   ldap-check --login X [--password-stdin]   check the directory configuration for one person (ldap-check-command.ts)
 *   audit-export, audit-purge      the audit log as JSON lines or CSV; retention (audit-commands.ts)
 *
 * They use the same configuration as the server (DATABASE_URL, or the embedded PostgreSQL in DATA_DIR).
 */
import 'reflect-metadata';
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { runCommand } from './commands';

const USAGE = `usage: ds-gateway <command>

  migrate [up|down|status]       apply pending migrations (default), revert the last one, or list them;
                                 as MIGRATIONS_DATABASE_URL when set, under the lock the gateways take
  migrations-pending             exit 1 and list them when migrations are pending, 0 when up to date
  grant-runtime --role NAME [--print]
                                 grant an existing role what the gateway needs at run time and nothing
                                 more (rows, sequences; no DDL), as MIGRATIONS_DATABASE_URL; --print: SQL only
  schema [--check]               write schema/schema.graphql and schema/openapi.json from the code, or
                                 check that both are up to date and that the GraphQL schema breaks
                                 nothing of the newest schema/released/<version>.graphql
  reset-admin-password [login]   set a new password for an account (default: datasentinel); uses
                                 ADMIN_PASSWORD or prints a generated one; revokes the account's tokens
  import-connections <file.csv|file.json> [--no-probe] [--as login]
                                 declare connections in one transaction (every row valid, or nothing is
                                 written), then probe them; CSV header: name,host,port,user,password,tags,...
  export [file.json] [--as login]
                                 roles and users as JSON for backup (no password, no hash); stdout by default
  import-roles <file.json> [--as login]
                                 create or update the roles of an export file, all or nothing
  reprobe [--as login]           probe every enabled connection again and report how many answer
  rotate-encryption-key [--batch-size N]
                                 re-seal every connection password with ENCRYPTION_KEY (old keys in
                                 ENCRYPTION_KEY_PREVIOUS); idempotent, in batches, with progress
  ldap-check --login <login|email> [--password-stdin]
                                 with the LDAP_* configuration: connect, bind the service account, find the
                                 person's entry and mapped groups; with --password-stdin also check the password
                                 (one line on stdin). Never signs in, creates or changes anything
  audit-export --since <time> [--until <time>] --format jsonl|csv [--output FILE]
                                 audit events from since (inclusive) to until (exclusive), oldest first,
                                 streamed to stdout or FILE; CSV columns as the GraphQL AuditEvent
  audit-purge [--older-than-days N]
                                 delete audit events older than N days (default AUDIT_RETENTION_DAYS;
                                 refused when neither is set), as MIGRATIONS_DATABASE_URL when set;
                                 the purge itself is recorded (system.audit-purge)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  return runCommand(command, args, config, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readFile: (path) => readFileSync(resolve(path), 'utf8'),
    writeFile: (path, text) => writeFileSync(resolve(path), text),
    listFiles: (path) => readdirSync(resolve(path)),
    isTTY: process.stderr.isTTY === true,
    openOutput: (path) => {
      // `-`: stdout, with the same back-pressure (a slow pipe must not make the export pile up in memory).
      const stream = path === '-' ? process.stdout : createWriteStream(resolve(path));
      return {
        write: async (line) => {
          if (!stream.write(`${line}\n`)) await once(stream, 'drain');
        },
        close: () =>
          path === '-' ? Promise.resolve() : new Promise<void>((done, fail) => stream.end((error?: Error | null) => (error ? fail(error) : done()))),
      };
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  });
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    if (error instanceof ConfigError && error.problems.length > 1) {
      process.stderr.write(`Configuration errors (${error.problems.length}):\n${error.problems.map((p) => `- ${p}\n`).join('')}`);
    } else {
      process.stderr.write(`${error instanceof ConfigError ? 'Configuration error: ' : ''}${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  });
