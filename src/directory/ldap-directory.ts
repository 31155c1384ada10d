/**
 * The directory: LDAP or Active Directory, reached with ldapts. Search-then-bind, the standard way to check a
 * password against a directory without knowing how its DNs are built:
 * 1. connect (ldaps://, or ldap:// with StartTLS when asked), bind as the service account (LDAP_BIND_DN) or stay
 *    anonymous;
 * 2. search LDAP_USER_BASE for LDAP_USER_FILTER with `{login}` / `{email}` replaced by escaped values: exactly one
 *    entry must answer (none: unknown; two or more: refused, a filter that is not selective enough must never let
 *    someone in as "the first match");
 * 3. bind as that entry's DN with the given password, on a second connection, so the service connection keeps its
 *    rights for step 4;
 * 4. with LDAP_GROUP_ROLES, read the groups the entry belongs to: its `memberOf` values (Active Directory, OpenLDAP's
 *    memberof overlay) and every mapped `groupOfNames` / `groupOfUniqueNames` that lists it as `member` /
 *    `uniqueMember`.
 *
 * The classic mistakes avoided here: an empty password is refused before any connection (an empty-password bind is
 * an *unauthenticated* bind, RFC 4513 5.1.2, that many servers report as success); values are escaped (RFC 4515 in
 * filters, RFC 4514 in the base DN), so `*` or `a)(uid=*` match nothing; every operation is bounded by
 * LDAP_TIMEOUT_MS, and a directory that does not answer is {@link directoryUnavailable}, never "wrong password".
 *
 * No GraphQL or HTTP here: src/services/directory-sign-in.ts turns outcomes into sign-ins.
 */
import { Client, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, SizeLimitExceededError, type Entry } from 'ldapts';
import type { ConnectionOptions } from 'node:tls';
import { AppError } from '../errors/app-error';
import { normalizeDn, type DirectoryConfig } from '../security-config';
import { escapeDnValue, escapeFilterValue, fillTemplate } from './escape';

/** What identifies the person in the directory's templates. */
export interface DirectoryIdentity {
  login: string;
  email: string;
}

export interface DirectoryEntry {
  dn: string;
  /** First `mail` value, lower-cased; `undefined` when the entry has none. */
  email: string | undefined;
  /** Normalized DNs ({@link normalizeDn}) of the mapped groups the entry belongs to; empty without LDAP_GROUP_ROLES. */
  groups: string[];
}

/** Why a lookup found nobody to bind as. */
export type LookupFailure = 'not-found' | 'ambiguous';

export type LookupResult = { found: true; dn: string; email: string | undefined } | { found: false; reason: LookupFailure; count?: number };

export type AuthenticationResult = { ok: true; entry: DirectoryEntry } | { ok: false; reason: LookupFailure | 'empty-password' | 'wrong-password' };

interface Log {
  warn(details: object, message: string): void;
}

export const directoryUnavailable = () =>
  new AppError('DIRECTORY_UNAVAILABLE', 'The directory did not answer: sign-in of directory users is unavailable, try again later');

/** A failure to talk to the directory (network, TLS, timeout, refused service account), logged with its reason. */
class Unreachable extends Error {}

export class LdapDirectory {
  /** Connections opened so far (tests prove "no directory traffic" with it, alongside slapd's own log). */
  readonly stats = { connections: 0 };

  constructor(
    readonly config: DirectoryConfig,
    private readonly log?: Log,
  ) {}

  /**
   * Search-then-bind. Resolves to the entry when the password is right, to a reason when it is not; rejects with
   * `DIRECTORY_UNAVAILABLE` when the directory cannot be asked.
   */
  async authenticate(identity: DirectoryIdentity, password: string): Promise<AuthenticationResult> {
    // Before anything else: an empty password would be an unauthenticated bind, which servers answer with success.
    if (password === '') return { ok: false, reason: 'empty-password' };
    return this.guard(async () => {
      const service = await this.open();
      try {
        const found = await this.find(service, identity);
        if (!found.found) return { ok: false, reason: found.reason };
        const user = await this.open();
        try {
          await this.bounded(user.bind(found.dn, password), 'bind');
        } catch (error) {
          if (error instanceof ResultCodeError) {
            if (!(error instanceof InvalidCredentialsError)) {
              // Account disabled, password expired, ...: the directory said no; refused like a wrong password.
              this.log?.warn({ dn: found.dn, reason: error.message }, 'directory refused the bind of a user');
            }
            return { ok: false, reason: 'wrong-password' };
          }
          throw error;
        } finally {
          await this.close(user);
        }
        const groups = this.config.groupRoles ? await this.groupsOf(service, found.dn, found.memberOf) : [];
        return { ok: true, entry: { dn: found.dn, email: found.email, groups } };
      } finally {
        await this.close(service);
      }
    });
  }

  /** Finds the entry without binding as it (`ldap-check`). */
  async lookup(identity: DirectoryIdentity): Promise<LookupResult> {
    return this.guard(async () => {
      const service = await this.open();
      try {
        const found = await this.find(service, identity);
        return found.found ? { found: true, dn: found.dn, email: found.email } : found;
      } finally {
        await this.close(service);
      }
    });
  }

  /** The mapped groups the entry `dn` belongs to, normalized (`ldap-check`). */
  async groups(dn: string): Promise<string[]> {
    return this.guard(async () => {
      const service = await this.open();
      try {
        const entries = await this.search(service, dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['memberOf'] });
        return this.groupsOf(service, dn, entries[0] ? values(entries[0], 'memberOf') : []);
      } finally {
        await this.close(service);
      }
    });
  }

  /** The filled search base and filter for `identity`, as sent (`ldap-check` prints them). */
  query(identity: DirectoryIdentity): { base: string; filter: string } {
    return {
      base: fillTemplate(this.config.userBase, identity, escapeDnValue),
      filter: fillTemplate(this.config.userFilter, identity, escapeFilterValue),
    };
  }

  /** True when every placeholder the templates use has a value (an empty one could only match by accident). */
  canSearch(identity: DirectoryIdentity): boolean {
    const templates = this.config.userBase + this.config.userFilter;
    return (!templates.includes('{login}') || identity.login !== '') && (!templates.includes('{email}') || identity.email !== '');
  }

  // ---------------------------------------------------------------- internals

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.log?.warn({ url: this.config.url, reason: (error as Error).message }, 'directory unavailable');
      throw directoryUnavailable();
    }
  }

  private async find(
    service: Client,
    identity: DirectoryIdentity,
  ): Promise<{ found: true; dn: string; email: string | undefined; memberOf: string[] } | { found: false; reason: LookupFailure; count?: number }> {
    if (!this.canSearch(identity)) return { found: false, reason: 'not-found' };
    const { base, filter } = this.query(identity);
    let entries: Entry[];
    try {
      // Two are enough to know the filter is ambiguous; the server stops there (sizeLimitExceeded).
      entries = await this.search(service, base, { scope: 'sub', filter, sizeLimit: 2, attributes: ['mail', 'memberOf'] });
    } catch (error) {
      if (error instanceof SizeLimitExceededError) return this.ambiguous(filter, 2);
      if (error instanceof NoSuchObjectError) return { found: false, reason: 'not-found' };
      throw error;
    }
    if (entries.length === 0) return { found: false, reason: 'not-found' };
    if (entries.length > 1) return this.ambiguous(filter, entries.length);
    const entry = entries[0]!;
    return { found: true, dn: entry.dn, email: values(entry, 'mail')[0]?.toLowerCase(), memberOf: values(entry, 'memberOf') };
  }

  private ambiguous(filter: string, count: number): { found: false; reason: 'ambiguous'; count: number } {
    this.log?.warn({ filter, count }, 'directory: more than one entry matches LDAP_USER_FILTER; sign-in refused');
    return { found: false, reason: 'ambiguous', count };
  }

  private async groupsOf(service: Client, dn: string, memberOf: string[]): Promise<string[]> {
    const mapped = this.config.groupRoles;
    if (!mapped) return [];
    const groups = new Set(memberOf.map(normalizeDn).filter((g) => mapped.has(g)));
    const member = escapeFilterValue(dn);
    for (const group of mapped.keys()) {
      if (groups.has(group)) continue;
      try {
        const hit = await this.search(service, group, {
          scope: 'base',
          filter: `(|(member=${member})(uniqueMember=${member}))`,
          attributes: ['1.1'],
        });
        if (hit.length > 0) groups.add(group);
      } catch (error) {
        // A mapped group that does not exist has no members; anything else is a fault.
        if (!(error instanceof NoSuchObjectError)) throw error;
      }
    }
    return [...groups].sort();
  }

  private async search(client: Client, base: string, options: Parameters<Client['search']>[1]): Promise<Entry[]> {
    const { searchEntries } = await this.bounded(client.search(base, { ...options, timeLimit: Math.ceil(this.config.timeoutMs / 1000) }), 'search');
    return searchEntries;
  }

  /** A connection, TLS set up and bound as the service account (or anonymous). */
  private async open(): Promise<Client> {
    const { url, ca, timeoutMs, startTls, bindDn, bindPassword } = this.config;
    const tlsOptions: ConnectionOptions = { minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) };
    // ldapts speaks TLS from the first byte whenever tlsOptions are given, so only for ldaps:// (StartTLS takes them later).
    const secure = url.toLowerCase().startsWith('ldaps:');
    const client = new Client({ url, timeout: timeoutMs, connectTimeout: timeoutMs, strictDN: false, ...(secure ? { tlsOptions } : {}) });
    this.stats.connections += 1;
    try {
      if (startTls) await this.bounded(client.startTLS({ ...tlsOptions }), 'StartTLS');
      if (bindDn !== undefined && bindPassword) {
        try {
          await this.bounded(client.bind(bindDn, bindPassword), 'service bind');
        } catch (error) {
          if (error instanceof InvalidCredentialsError) throw new Unreachable(`the directory refused LDAP_BIND_DN ${bindDn}: check LDAP_BIND_PASSWORD`);
          throw error;
        }
      }
      return client;
    } catch (error) {
      await this.close(client);
      throw error;
    }
  }

  private async close(client: Client): Promise<void> {
    await this.bounded(client.unbind(), 'unbind').catch(() => undefined);
  }

  /**
   * `operation`, or a rejection once LDAP_TIMEOUT_MS has passed, whatever ldapts does meanwhile (its own timeout
   * covers requests, not every step of a TLS handshake on a server that accepts and never answers).
   */
  private async bounded<T>(operation: Promise<T>, what: string): Promise<T> {
    operation.catch(() => undefined); // a late rejection after the timeout is expected, not unhandled
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Unreachable(`${what}: no answer within ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
    });
    try {
      return await Promise.race([operation, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function values(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}
