/**
 * API keys: long-lived, named credentials for integrations (docs/partner-integrations.md), and everything about them: who
 * may create, list and revoke them, and how a presented secret becomes a caller.
 *
 * Secret format: `dsk_<prefix>_<random>`, `prefix` 12 lowercase hex digits (48 random bits, public, shown in
 * `ApiKey.prefix`), `random` 64 lowercase hex digits (256 random bits). Secret scanners can match it with
 * {@link API_KEY_SCAN_PATTERN}: `dsk_[0-9a-f]{12}_[0-9a-f]{64}`.
 *
 * Storage: the prefix, and a SHA-256 digest of the whole secret. The secret is random, not chosen by a person, so
 * there is nothing for a slow hash (argon2, scrypt) to protect against dictionary attacks: a fast digest is as
 * strong and keeps a cache miss cheap. Digests are compared in constant time.
 *
 * A key acts as its owner with the owner's *current* roles, privilege and profile: the caller is resolved through
 * the same {@link PrincipalCache} as tokens, so a role change applies to the next request. A password change does
 * not revoke keys (unlike tokens): that is the point of a machine credential. Deleting the owner deletes the keys.
 * A read-only key is refused every write (`requireWritable`, applied by `inTransaction`).
 *
 * Per replica, verified keys are kept in a bounded LRU cache, exact under revocation: the `api_keys` triggers send
 * `apikey:<id>` on `ds_access_changed`, this cache subscribes to the change feed (src/db/change-feed.ts), and a
 * cached key is only trusted once a barrier has shown that every notification committed before the request
 * arrived was processed ({@link ChangeFeed.catchUp}). While notifications are not received, nothing is cached.
 *
 * Verifying a key that is not in the cache counts against the per-address sign-in throttle (it is the moment a
 * guessed key would be tried), so unknown, revoked and expired keys use up the same budget as wrong passwords.
 * `lastUsedAt` is written at most once a minute per key (per replica in memory, and across replicas by the
 * statement's own condition), never on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log';
import { SECRET_MASK } from '../audit/audit-values';
import { canAdminister, type Principal } from '../context/principal';
import { inTransaction, type RequestContext } from '../context/request-context';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { UserEntity } from '../entities/user.entity';
import { badInput, notFound, unauthenticated } from '../errors/app-error';
import type { Logger } from '../logger';
import type { AuthService } from './auth.service';
import { requireSignedIn } from './authorization';
import { parseGlobalId } from './global-id';
import type { LoginThrottle } from './login-throttle';
import type { PrincipalCache } from './principal-cache';
import { ACCESS_CHANNEL, type ChangeFeed } from '../db/change-feed';
import { parseInput } from './validation';

/** Every API key secret starts with this, so leaked ones are easy to find. */
export const API_KEY_PREFIX = 'dsk_';
/** What a secret looks like; for secret scanners (GitHub custom patterns, gitleaks, trufflehog). */
export const API_KEY_SCAN_PATTERN = 'dsk_[0-9a-f]{12}_[0-9a-f]{64}';
const SECRET_FORMAT = /^dsk_([0-9a-f]{12})_[0-9a-f]{64}$/;

/** `lastUsedAt` is written at most this often per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;
export const MAX_NAME_LENGTH = 100;
/** Bound on the per-replica caches of verified keys and usage stamps. */
const CACHE_SIZE = 10_000;

export interface ApiKeyInput {
  name: string;
  expiresAt?: Date | null;
  readOnly?: boolean | null;
}

/** What `createApiKey` answers: the key, and its secret, shown this once. */
export interface CreatedApiKey {
  apiKey: ApiKeyEntity;
  secret: string;
}

/** A verified key, as the replica remembers it. */
interface VerifiedKey {
  id: string;
  userId: number;
  readOnly: boolean;
  expiresAt: number | null;
  digest: Buffer;
}

const nameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(MAX_NAME_LENGTH, `is longer than ${MAX_NAME_LENGTH} characters`)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not contain control characters');

const digestOf = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** True for a credential that should be checked as an API key rather than as a token. */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export class ApiKeyService {
  /** Verified keys by prefix; bounded, and expiring after PRINCIPAL_CACHE_TTL_MS as a last safety net. */
  private readonly verified: LRUCache<string, VerifiedKey>;
  /** Bumped on every invalidation: a verification that raced with one is not cached. */
  private generation = 0;
  /** When this replica last wrote `last_used_at`, per key id. */
  private readonly lastStamped = new LRUCache<string, number>({ max: CACHE_SIZE });

  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly principals: PrincipalCache,
    private readonly feed: ChangeFeed,
    private readonly throttle: LoginThrottle,
    cacheTtlMs: number,
    private readonly audit: AuditLog,
    /** Told `apikey:<id>` after a revocation commits, so this replica forgets the key at once. */
    private readonly accessChanged: (payload: string) => void,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {
    this.verified = new LRUCache<string, VerifiedKey>({ max: CACHE_SIZE, ttl: Math.max(cacheTtlMs, 1) });
    feed.subscribe(ACCESS_CHANNEL, (payload) => this.invalidate(payload));
    feed.onDeaf(() => this.invalidate('all'));
  }

  // ---------------------------------------------------------------- management

  /** The caller's keys, or every key for an administrator; sorted by name. Never the secrets. */
  async list(ctx: RequestContext): Promise<ApiKeyEntity[]> {
    const principal = requireSignedIn(ctx);
    return ctx.manager.find(ApiKeyEntity, {
      where: canAdminister(principal) ? {} : { userId: principal.userId },
      relations: { owner: true },
      order: { name: 'ASC', id: 'ASC' },
    });
  }

  /**
   * Creates a key for the caller (any signed-in user, for themselves). The secret is in the answer and nowhere
   * else: only its digest is stored.
   */
  async create(ctx: RequestContext, input: ApiKeyInput): Promise<CreatedApiKey> {
    const principal = requireSignedIn(ctx);
    const name = parseInput(nameSchema, input.name, 'name');
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && !(expiresAt.getTime() > Date.now())) throw badInput('expiresAt: must be in the future', 'expiresAt');
    const prefix = randomBytes(6).toString('hex');
    const secret = `${API_KEY_PREFIX}${prefix}_${randomBytes(32).toString('hex')}`;
    const apiKey = await inTransaction(ctx, async (tx) => {
      const owner = await tx.manager.findOneBy(UserEntity, { id: principal.userId });
      if (!owner) throw unauthenticated('Token revoked: create a new one');
      const [row]: { id: string }[] = await tx.manager.query(
        `INSERT INTO api_keys (user_id, name, prefix, secret_hash, read_only, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [owner.id, name, prefix, digestOf(secret), input.readOnly ?? false, expiresAt],
      );
      const created = await tx.manager.findOneOrFail(ApiKeyEntity, { where: { id: row!.id } });
      created.owner = owner;
      await this.audit.record(tx.manager, {
        ...tx.acting,
        action: 'apikey.create',
        target: created.id,
        after: {
          name: created.name,
          prefix: created.prefix,
          owner: owner.login,
          readOnly: created.readOnly,
          expiresAt: created.expiresAt,
          secret: SECRET_MASK,
        },
      });
      return created;
    });
    return { apiKey, secret };
  }

  /**
   * Revokes a key at once on every replica. Administrators may revoke any key; other users only their own: a key
   * that does not exist or is someone else's is NOT_FOUND alike. Revoking a revoked key changes nothing.
   */
  async revoke(ctx: RequestContext, given: string): Promise<boolean> {
    const principal = requireSignedIn(ctx);
    const missing = () => notFound(`No API key with id ${JSON.stringify(given)}`);
    // `ApiKey.id` (a global id); the bare numeric id that pre-release builds showed is still taken.
    const parsed = parseGlobalId(given);
    const id = parsed?.type === 'ApiKey' ? parsed.key : given;
    if (!/^[1-9][0-9]{0,17}$/.test(id)) throw missing();
    const revoked = await inTransaction(ctx, async (tx) => {
      const key = await tx.manager.findOne(ApiKeyEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!key || (!canAdminister(principal) && key.userId !== principal.userId)) throw missing();
      // Revoking a revoked key changes nothing, and records nothing.
      if (key.revokedAt === null) {
        const result: unknown[] = await tx.manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING revoked_at`, [id]);
        // The driver answers an UPDATE with [rows, affected count].
        const [row] = (Array.isArray(result[0]) ? result[0] : result) as { revoked_at: Date }[];
        await this.audit.record(tx.manager, {
          ...tx.acting,
          action: 'apikey.revoke',
          target: key.id,
          before: { name: key.name, prefix: key.prefix, revokedAt: null },
          after: { name: key.name, prefix: key.prefix, revokedAt: row!.revoked_at },
        });
      }
      return key.id;
    });
    this.accessChanged(`apikey:${revoked}`);
    return true;
  }

  // ---------------------------------------------------------------- authentication

  /**
   * A presented secret to its owner as a caller, marked with the key ({@link Principal.apiKey}). UNAUTHENTICATED
   * for an unknown, revoked or expired key; RATE_LIMITED while the client address is blocked.
   * @param arrival {@link ChangeFeed.mark} taken when the request arrived.
   */
  async principalFromSecret(secret: string, clientAddress: string | undefined, arrival: number): Promise<Principal> {
    const prefix = SECRET_FORMAT.exec(secret)?.[1];
    const digest = digestOf(secret);
    const cached = prefix === undefined ? undefined : this.verified.get(prefix);
    if (cached && timingSafeEqual(cached.digest, digest) && !expired(cached.expiresAt)) {
      const principal = await this.principals.resolve(cached.userId, null, () => this.auth.loadPrincipal(cached.userId, null));
      // Trusted only once every notification sent before the request arrived has been applied: a revocation
      // committed on another replica has removed the entry by then.
      if (principal && (await this.feed.catchUp(arrival)) && this.verified.get(prefix!) === cached) {
        await this.stamp(cached.id);
        return withKey(principal, cached);
      }
    }
    return this.verify(prefix, digest, clientAddress);
  }

  private async verify(prefix: string | undefined, digest: Buffer, clientAddress: string | undefined): Promise<Principal> {
    const attempt = await this.throttle.beginForAddress(clientAddress);
    const generation = this.generation;
    const rows: { id: string; user_id: number; secret_hash: Buffer; read_only: boolean; expires_at: Date | null; revoked_at: Date | null }[] =
      prefix === undefined
        ? []
        : await this.dataSource.query(`SELECT id, user_id, secret_hash, read_only, expires_at, revoked_at FROM api_keys WHERE prefix = $1`, [prefix]);
    const row = rows[0];
    if (!row || !timingSafeEqual(row.secret_hash, digest)) throw unauthenticated('Invalid API key');
    if (row.revoked_at !== null) throw unauthenticated('API key revoked: create a new one');
    const key: VerifiedKey = {
      id: row.id,
      userId: row.user_id,
      readOnly: row.read_only,
      expiresAt: row.expires_at === null ? null : row.expires_at.getTime(),
      digest,
    };
    if (expired(key.expiresAt)) throw unauthenticated('API key expired: create a new one');
    const principal = await this.principals.resolve(key.userId, null, () => this.auth.loadPrincipal(key.userId, null));
    if (!principal) throw unauthenticated('Invalid API key');
    await attempt.succeeded();
    if (this.principals.active && generation === this.generation) {
      this.verified.set(prefix!, key);
    }
    await this.stamp(key.id);
    return withKey(principal, key);
  }

  /** Records a use: at most one write per key per {@link LAST_USED_RESOLUTION_MS}. */
  private async stamp(id: string): Promise<void> {
    const now = Date.now();
    const last = this.lastStamped.get(id);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    this.lastStamped.set(id, now);
    await this.dataSource
      .query(
        `UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= now() - $2 * interval '1 millisecond')`,
        [id, LAST_USED_RESOLUTION_MS],
      )
      .catch((error: Error) => this.log?.warn({ reason: error.message }, 'api keys: cannot record lastUsedAt'));
  }

  /** Applies an invalidation payload: `apikey:<id>`, `user:<id>` (that user's keys) or anything else (all). */
  private invalidate(payload: string): void {
    this.generation += 1;
    const key = /^apikey:(\d+)$/.exec(payload);
    const user = /^user:(\d+)$/.exec(payload);
    if (!key && !user) {
      this.verified.clear();
      return;
    }
    const stale = [...this.verified.entries()].filter(([, entry]) => (key ? entry.id === key[1] : entry.userId === Number(user![1])));
    for (const [prefix] of stale) this.verified.delete(prefix);
  }
}

function expired(expiresAt: number | null): boolean {
  return expiresAt !== null && expiresAt <= Date.now();
}

function withKey(principal: Principal, key: VerifiedKey): Principal {
  return { ...principal, apiKey: { id: key.id, readOnly: key.readOnly } };
}
