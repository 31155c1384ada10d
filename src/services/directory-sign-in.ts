/**
 * Sign-in of `ldap` users: the directory checks the password (src/directory/ldap-directory.ts), the gateway keeps
 * the account. {@link AuthService} sends here every user whose account says `ldap: true`, and, with
 * LDAP_AUTO_PROVISION, every identifier that matches no account; local accounts never come here, and `ldap`
 * accounts never reach a local password.
 *
 * After a successful bind, in one transaction:
 * - LDAP_AUTO_PROVISION: the account is created from the entry (`mail`; login derived by the usual rule). An entry
 *   whose `mail` belongs to a *local* account is refused: the directory never signs a local user in.
 * - LDAP_GROUP_ROLES: the user's roles become the roles of their mapped groups. Role names that match no role are
 *   left out with a warning (a missing role can only narrow what the user sees, never widen it, since roles add
 *   up); a user left with no role is refused with FORBIDDEN, because no role means "sees everything" here.
 * The `user_roles` triggers NOTIFY every replica's caches at commit; this replica forgets the user at once.
 */
import type { DataSource } from 'typeorm';
import type { Acting } from '../audit/acting';
import type { AuditLog } from '../audit/audit-log';
import { UserEntity } from '../entities/user.entity';
import { AppError } from '../errors/app-error';
import type { DirectoryIdentity, LdapDirectory } from '../directory/ldap-directory';
import { auditedFailures, invalidCredentials } from './auth.service';
import type { LoginAttempt } from './login-throttle';
import type { UserService } from './user.service';
import { loginBase } from './user.service';

interface Log {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * What `{login}` and `{email}` stand for: the account's own login and email when it exists; otherwise (provisioning)
 * what was typed: an email gives `{email}` and its local part as `{login}`, anything else is `{login}` only.
 */
export function directoryIdentity(identifier: string, account: Pick<UserEntity, 'login' | 'email'> | null): DirectoryIdentity {
  if (account) return { login: account.login, email: account.email.toLowerCase() };
  const typed = identifier.trim().toLowerCase();
  return typed.includes('@') ? { login: loginBase(typed), email: typed } : { login: typed, email: '' };
}

export class DirectorySignIn {
  constructor(
    private readonly dataSource: DataSource,
    readonly directory: LdapDirectory,
    private readonly users: UserService,
    private readonly accessChanged: (payload: string) => void,
    private readonly log?: Log,
    /** The sign-in is recorded in the transaction that provisions the account or changes its roles. */
    private readonly audit?: AuditLog,
  ) {}

  /** LDAP_AUTO_PROVISION: an identifier with no account may still be a directory user. */
  get provisions(): boolean {
    return this.directory.config.autoProvision;
  }

  /**
   * `user` (an `ldap` account) or, with provisioning, the person typed as `identifier`, checked by the directory.
   * The throttle attempt is settled here: success clears it, a refusal leaves it counted, an unreachable directory
   * gives it back.
   */
  async signIn(
    attempt: LoginAttempt,
    identifier: string,
    user: UserEntity | null,
    password: string,
    acting: Acting & { clientAddress?: string },
  ): Promise<UserEntity> {
    const { clientAddress, ...who } = acting;
    const identity = directoryIdentity(identifier, user);
    let result;
    try {
      result = await this.directory.authenticate(identity, password);
    } catch (error) {
      if (error instanceof AppError && error.code === 'DIRECTORY_UNAVAILABLE') await attempt.unchecked();
      throw error;
    }
    if (!result.ok) throw invalidCredentials();
    const { entry } = result;

    const groupRoles = this.directory.config.groupRoles;
    const refusal = () => new AppError('FORBIDDEN', 'Your directory groups give you no role on this gateway: ask an administrator');
    let outcome: { account: UserEntity; refused: boolean; changed: boolean };
    const settle = (): Promise<typeof outcome> =>
      this.dataSource.transaction(async (manager) => {
        let account = user;
        let created = false;
        if (!account) {
          if (!entry.email) {
            this.log?.warn({ dn: entry.dn }, 'directory entry has no mail attribute: cannot create its account');
            throw invalidCredentials();
          }
          account = await manager
            .getRepository(UserEntity)
            .createQueryBuilder('u')
            .where('lower(u.email) = :email', { email: entry.email })
            .setLock('pessimistic_write')
            .getOne();
          if (account && !account.ldap) {
            this.log?.warn({ dn: entry.dn, login: account.login }, 'directory entry matches a local account: refused');
            throw invalidCredentials();
          }
          if (!account) {
            const { defaultPrivilege: privilege, defaultProfile: profile } = this.directory.config;
            account = await this.users.provisionDirectoryUser(manager, entry.email, { privilege, profile });
            created = true;
          }
        }
        const signedIn = async (rolesChanged: boolean) =>
          this.audit?.record(manager, {
            ...who,
            actor: account.login,
            action: 'auth.sign-in',
            target: account.login,
            after: { directory: true, provisioned: created, rolesChanged, clientAddress: clientAddress ?? null },
          });
        if (!groupRoles) {
          await signedIn(false);
          return { account, refused: false, changed: created };
        }
        const names = entry.groups.flatMap((g) => groupRoles.get(g) ?? []);
        const { roleIds, unknown, changed } = await this.users.replaceDirectoryRoles(manager, account, names);
        if (unknown.length > 0) this.log?.warn({ login: account.login, unknown }, 'LDAP_GROUP_ROLES names roles that do not exist: ignored');
        if (roleIds.length > 0) {
          if (created) this.log?.info({ login: account.login, dn: entry.dn }, 'directory user provisioned at first sign-in');
          await signedIn(changed);
          return { account, refused: false, changed: changed || created };
        }
        // Fail closed. A new account is not created (the transaction rolls back); an existing one keeps its roles (no
        // role would mean unrestricted) and loses its tokens, since the directory no longer grants it anything here.
        if (created) throw refusal();
        await manager.query('UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = $1', [account.id]);
        await this.audit?.record(manager, {
          ...who,
          action: 'auth.sign-in-failure',
          target: account.login,
          after: { reason: 'FORBIDDEN', directory: true, tokensRevoked: true, clientAddress: clientAddress ?? null },
        });
        return { account, refused: true, changed: true };
      });
    try {
      // Two first sign-ins of one person at once: the second to commit finds the email taken (CONFLICT); once more,
      // it finds the account the first one created.
      outcome = await settle().catch((error: unknown) => {
        if (!user && error instanceof AppError && error.code === 'CONFLICT') return settle();
        throw error;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORBIDDEN') await attempt.succeeded();
      throw error;
    }
    if (outcome.changed) this.accessChanged(`user:${outcome.account.id}`);
    // The password was right either way: the guessing counters have nothing to hold against this login.
    await attempt.succeeded();
    if (outcome.refused) {
      this.log?.warn({ login: outcome.account.login, groups: entry.groups }, 'directory user has no mapped role: sign-in refused');
      const refused = refusal();
      auditedFailures.add(refused);
      throw refused;
    }
    return outcome.account;
  }
}
