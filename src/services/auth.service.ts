/**
 * Authentication: credentials to tokens, tokens to a {@link Principal}.
 *
 * Tokens are HS256 JWTs (jsonwebtoken) valid 24 hours. They carry the user's token version: a password change
 * bumps it and deleting the user removes the row, so both revoke every earlier token at once. Everything else about
 * the caller (privilege, profile, roles) is resolved through the per-replica principal cache, which is exact: the
 * change feed (src/db/change-feed.ts) invalidates it on every committed change, and a request trusts it only after a
 * barrier, so changes apply to the next request on every replica.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { buildPrincipal, type Principal } from '../context/principal';
import type { RequestContext } from '../context/request-context';
import { UserEntity, type Privilege, type Profile } from '../entities/user.entity';
import { AppError, unauthenticated } from '../errors/app-error';
import type { DirectorySignIn } from './directory-sign-in';
import { LoginThrottle } from './login-throttle';
import { verifyPassword } from './passwords';
import type { PrincipalCache } from './principal-cache';
import type { SettingsService } from './settings.service';

export const TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

interface TokenClaims {
  sub: string;
  user: string;
  email: string;
  /** Organization name, under the claim name the vendor's tokens use. */
  database: string;
  /** Token version of the user when the token was issued. */
  tv: number;
  exp: number;
  iat: number;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
  user: UserEntity;
}

export interface TokenDetails {
  user: string;
  email: string;
  organizationName: string;
  expireTime: Date;
}

const INVALID_CREDENTIALS = 'Invalid login or password';
/** The one refusal for a wrong login or password, whichever it was and whoever checked it. */
export const invalidCredentials = () => unauthenticated(INVALID_CREDENTIALS);

/** The account a sign-in names: by email when the identifier holds `@`, else by login (case-insensitive). */
export async function findAccount(dataSource: DataSource, login: string): Promise<UserEntity | null> {
  const identifier = login.trim().toLowerCase();
  if (!identifier) return null;
  return dataSource
    .getRepository(UserEntity)
    .createQueryBuilder('u')
    .where(identifier.includes('@') ? 'lower(u.email) = :id' : 'lower(u.login) = :id', { id: identifier })
    .getOne();
}

export class AuthService {
  /** The signing key as a KeyObject, built once: given a string, jsonwebtoken would rebuild it on every call. */
  private secret: KeyObject | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Config,
    private readonly settings: SettingsService,
    private readonly cache?: PrincipalCache,
    /** Sign-in of `ldap` users through LDAP_URL; `undefined` when no directory is configured. */
    readonly directory?: DirectorySignIn,
  ) {
    this.verified = new LRUCache<string, TokenClaims>({ max: Math.max(1, config.cacheBounds?.verifiedTokens ?? 10_000) });
  }

  /** Loads the signing key: JWT_SECRET, or the one generated once and kept in the database for every replica. */
  async init(): Promise<void> {
    const secret = this.config.jwtSecret ?? (await this.settings.getOrCreate('jwt_secret'));
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  private throttleInstance: LoginThrottle | undefined;

  /** Sign-in throttling, shared by every way of signing in (GraphQL and REST both come through here). */
  private get throttle(): LoginThrottle {
    return (this.throttleInstance ??= new LoginThrottle(this.dataSource, this.config.loginThrottle));
  }

  /**
   * Tokens whose signature this process has already checked, with their claims. Verification depends only on the
   * token's bytes and the signing key (fixed once `init()` ran), so a hit is as good as a fresh check; the expiry is
   * still checked on every use, and revocation is not a property of the token (the caller query checks the token
   * version). Saves an HMAC and jsonwebtoken's parsing on every request of a client that reuses its token.
   */
  private readonly verified: LRUCache<string, TokenClaims>;

  /** Tokens whose verification is cached now (for tests and metrics); bounded by `cacheBounds.verifiedTokens`. */
  get verifiedTokenCount(): number {
    return this.verified.size;
  }

  private signingKey(): KeyObject {
    if (!this.secret) throw new Error('AuthService.init() was not called');
    return this.secret;
  }

  /**
   * Checks a login (or email) and password; the same error whatever was wrong, so accounts cannot be probed.
   * Throttled per login and per `clientAddress` ({@link LoginThrottle}): too many failures give `RATE_LIMITED`
   * before any lookup, password hash or directory request. Local accounts are checked against their hash only;
   * `ldap` accounts (and, with LDAP_AUTO_PROVISION, unknown identifiers) by the directory only
   * ({@link DirectorySignIn}), which may also answer `DIRECTORY_UNAVAILABLE` or `FORBIDDEN` (no mapped role).
   */
  async verifyCredentials(login: string, password: string, clientAddress?: string): Promise<UserEntity> {
    const attempt = await this.throttle.begin(login, clientAddress);
    const identifier = login.trim().toLowerCase();
    const user = await findAccount(this.dataSource, identifier);
    if (this.directory && identifier && (user ? user.ldap : this.directory.provisions)) {
      return this.directory.signIn(attempt, identifier, user, password);
    }
    // Never a local password for an `ldap` account (it has none, and a stray hash must not count).
    const hash = user && !user.ldap ? user.passwordHash : null;
    const ok = await verifyPassword(hash, password);
    if (!user || !ok || user.ldap) throw invalidCredentials();
    await attempt.succeeded();
    return user;
  }

  async createToken(login: string, password: string, clientAddress?: string): Promise<IssuedToken> {
    const user = await this.verifyCredentials(login, password, clientAddress);
    return this.issue(user);
  }

  /**
   * The gateway serves one organization (ORGANIZATION_NAME). A caller naming another one (REST
   * `POST /ds-api/user-token/{organization}`) gets no token: it would claim an organization it does not belong to.
   */
  checkOrganization(organization: string): void {
    if (organization !== this.config.organizationName) {
      throw unauthenticated(`Unknown organization ${JSON.stringify(organization)}`);
    }
  }

  issue(user: UserEntity): IssuedToken {
    const token = jwt.sign({ user: user.login, email: user.email, database: this.config.organizationName, tv: user.tokenVersion }, this.signingKey(), {
      algorithm: 'HS256',
      expiresIn: TOKEN_LIFETIME_SECONDS,
      subject: String(user.id),
    });
    const { exp } = jwt.decode(token) as TokenClaims;
    return { token, expiresAt: new Date(exp * 1000), user };
  }

  private verifySignature(token: string): TokenClaims {
    const known = this.verified.get(token);
    if (known) {
      // jsonwebtoken's rule: expired once the clock reaches `exp`.
      if (Math.floor(Date.now() / 1000) < known.exp) return known;
      this.verified.delete(token);
      throw unauthenticated('Token expired: create a new one');
    }
    try {
      const claims = jwt.verify(token, this.signingKey(), { algorithms: ['HS256'] }) as TokenClaims;
      // Only tokens that can expire are kept (ours always carry `exp`); a token without one is re-checked each time.
      if (typeof claims.exp === 'number') this.verified.set(token, claims);
      return claims;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw unauthenticated('Token expired: create a new one');
      throw unauthenticated('Invalid token');
    }
  }

  /** Token to caller, in one statement (the user and the ids of their roles). */
  async principalFromToken(token: string): Promise<Principal> {
    const claims = this.verifySignature(token);
    const userId = Number(claims.sub);
    const principal = this.cache
      ? await this.cache.resolve(userId, claims.tv, () => this.loadPrincipal(userId, claims.tv))
      : await this.loadPrincipal(userId, claims.tv);
    if (!principal) throw unauthenticated('Token revoked: create a new one');
    return principal;
  }

  /** Basic-auth style: credentials straight to a caller (REST token endpoints). */
  async principalFromCredentials(login: string, password: string, clientAddress?: string): Promise<Principal> {
    const user = await this.verifyCredentials(login, password, clientAddress);
    const principal = await this.loadPrincipal(user.id, user.tokenVersion);
    if (!principal) throw invalidCredentials();
    return principal;
  }

  /**
   * The caller with this id if their token version is still `tokenVersion` (any version when `null`: API keys);
   * `null` when revoked or deleted.
   */
  async loadPrincipal(userId: number, tokenVersion: number | null): Promise<Principal | null> {
    if (!Number.isSafeInteger(userId)) return null;
    const rows: {
      id: number;
      login: string;
      email: string;
      profile: Profile;
      privilege: Privilege;
      live360: boolean;
      token_version: number;
      roles: { id: number }[];
    }[] = await this.dataSource.query(
      `SELECT u.id, u.login, u.email, u.profile, u.privilege, u.live360, u.token_version,
              coalesce(jsonb_agg(jsonb_build_object('id', ur.role_id) ORDER BY ur.role_id)
                         FILTER (WHERE ur.role_id IS NOT NULL), '[]'::jsonb) AS roles
         FROM users u
         LEFT JOIN user_roles ur ON ur.user_id = u.id
        WHERE u.id = $1
        GROUP BY u.id`,
      [userId],
    );
    const row = rows[0];
    if (!row || (tokenVersion !== null && row.token_version !== tokenVersion)) return null;
    return buildPrincipal(
      {
        userId: row.id,
        login: row.login,
        email: row.email,
        profile: row.profile,
        privilege: row.privilege,
        live360: row.live360,
      },
      row.roles,
    );
  }

  /**
   * Details of a token asked by a signed-in caller (GraphQL `tokenInfo`). Unknown, expired and revoked tokens are
   * all NOT_FOUND: the caller is already authenticated, the token they ask about is what does not exist.
   */
  async tokenDetails(ctx: RequestContext, token: string): Promise<TokenDetails> {
    if (!ctx.principal) throw ctx.authFailure ?? unauthenticated();
    try {
      return await this.describeToken(token);
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') throw new AppError('NOT_FOUND', 'Token not found or expired');
      throw error;
    }
  }

  /**
   * Details of a token for whoever holds it (REST `GET /ds-api/user-token?token=T`, where the vendor's Ansible role
   * sends no credentials): the token proves itself, and the answer only repeats what the token already carries. An
   * invalid, expired or revoked token is UNAUTHENTICATED and counts against the client address like a failed
   * sign-in ({@link LoginThrottle.beginForAddress}), so tokens cannot be guessed faster than passwords.
   */
  async tokenDetailsByPossession(token: string, clientAddress?: string): Promise<TokenDetails> {
    const attempt = await this.throttle.beginForAddress(clientAddress);
    const details = await this.describeToken(token);
    await attempt.succeeded();
    return details;
  }

  /** What a valid token says about its user; UNAUTHENTICATED (invalid, expired, revoked) otherwise. */
  private async describeToken(token: string): Promise<TokenDetails> {
    const claims = this.verifySignature(token);
    const principal = await this.loadPrincipal(Number(claims.sub), claims.tv);
    if (!principal) throw unauthenticated('Token revoked: create a new one');
    return {
      user: principal.login,
      email: principal.email,
      organizationName: claims.database,
      expireTime: new Date(claims.exp * 1000),
    };
  }
}
