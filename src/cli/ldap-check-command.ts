/**
 * `ldap-check --login <login|email> [--password-stdin]`: does the LDAP_* configuration work for this person?
 *
 * Walks the steps of a directory sign-in and prints each one: the gateway account the identifier names (and
 * whether it signs in through the directory), the connection and the service account's bind, the search (base and
 * filter as sent, values escaped), the entry found, its mapped groups and the roles they give, and, with
 * `--password-stdin` (one line on standard input, so it stays out of the shell history and `ps`), whether the
 * directory accepts the password. It never signs in: no token, no throttle counter, no account created, no role
 * changed. Exit code 0 when a sign-in would reach the directory and find exactly one entry (and accept the
 * password, when one is given); 1 otherwise; 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config';
import { LdapDirectory } from '../directory/ldap-directory';
import { AppError } from '../errors/app-error';
import { findAccount } from '../services/auth.service';
import { directoryIdentity } from '../services/directory-sign-in';
import { withDatabase } from './database';
import type { CliIo } from './io';

export async function runLdapCheck(args: string[], config: Config, io: CliIo): Promise<number> {
  let values: { login?: string; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { login: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, strict: true }));
  } catch (error) {
    io.err(`ldap-check: ${(error as Error).message}`);
    return 2;
  }
  const login = values.login?.trim();
  if (!login) {
    io.err('usage: ldap-check --login <login|email> [--password-stdin]');
    return 2;
  }
  const settings = config.directory;
  if (!settings) {
    io.err('no directory is configured: set LDAP_URL and LDAP_USER_BASE');
    return 1;
  }
  let password: string | undefined;
  if (values['password-stdin']) {
    if (!io.readStdin) {
      io.err('ldap-check: --password-stdin needs a standard input');
      return 2;
    }
    password = (await io.readStdin()).replace(/\r?\n$/, '');
  }

  const directory = new LdapDirectory(settings, { warn: (details, message) => io.err(`  ${message} ${JSON.stringify(details)}`) });
  const tls = settings.url.toLowerCase().startsWith('ldaps:') ? 'TLS' : settings.startTls ? 'StartTLS' : 'no TLS';
  io.out(`directory: ${settings.url} (${tls}; CA: ${settings.caFile ?? 'system'}; timeout ${settings.timeoutMs} ms)`);

  let ok = true;
  const account = await withDatabase(config, (dataSource) => findAccount(dataSource, login));
  if (account && !account.ldap) {
    io.out(`gateway account: ${account.login} is a local user: it signs in with its local password, never through the directory`);
    ok = false;
  } else if (account) {
    io.out(`gateway account: ${account.login} <${account.email}>, ldap`);
  } else if (settings.autoProvision) {
    io.out('gateway account: none yet; LDAP_AUTO_PROVISION=true creates it at the first successful sign-in');
  } else {
    io.out('gateway account: none, and LDAP_AUTO_PROVISION is off: sign-in is refused before the directory is asked');
    ok = false;
  }

  const identity = directoryIdentity(login, account);
  const { base, filter } = directory.query(identity);
  io.out(`search: base "${base}", filter ${filter}`);
  if (!directory.canSearch(identity)) {
    io.out('search: not sent: the filter or base needs {email} and only a login was given (try --login <email>)');
    return 1;
  }
  try {
    const found = await directory.lookup(identity);
    io.out(`service account: ${settings.bindDn ? `bound as ${settings.bindDn}` : 'none (anonymous search)'}`);
    if (!found.found) {
      io.out(found.reason === 'ambiguous' ? 'entry: more than one entry matches: sign-in would be refused' : 'entry: none found');
      return 1;
    }
    io.out(`entry: ${found.dn}${found.email ? ` (mail ${found.email})` : ' (no mail attribute)'}`);
    if (settings.groupRoles) {
      const groups = await directory.groups(found.dn);
      const roles = [...new Set(groups.flatMap((g) => settings.groupRoles!.get(g) ?? []))];
      io.out(`groups: ${groups.length ? groups.join('; ') : 'none mapped'}`);
      io.out(roles.length ? `roles: ${roles.join(', ')}` : 'roles: none: sign-in would be refused (FORBIDDEN)');
      if (roles.length === 0) ok = false;
    }
    if (password !== undefined) {
      const result = await directory.authenticate(identity, password);
      io.out(result.ok ? 'password: accepted by the directory' : `password: refused (${result.reason})`);
      if (!result.ok) ok = false;
    }
  } catch (error) {
    if (error instanceof AppError && error.code === 'DIRECTORY_UNAVAILABLE') {
      io.out('directory: unavailable (see the reason above)');
      return 1;
    }
    throw error;
  }
  return ok ? 0 : 1;
}
