/**
 * Users: accounts, their privileges and role assignments.
 *
 * Guards the one invariant that keeps the platform administrable: there is always at least one unrestricted
 * administrator who can sign in (privilege admin, profile data admin, no role, a local password: this gateway
 * cannot reach a directory, so an LDAP account cannot sign in). Every change of a user goes through
 * {@link guardLastAdministrator}; checks that could race take a transaction-scoped advisory lock first, so two
 * concurrent changes cannot both pass.
 */
import { z } from 'zod';
import { In, type EntityManager } from 'typeorm';
import { countsAsAdministrator, countsAsAdministratorSql, mayAdminister, type AdministrationState } from '../access/administration';
import { visibilityOfRoles } from '../access/predicate';
import { inTransaction, type RequestContext } from '../context/request-context';
import { RoleEntity } from '../entities/role.entity';
import { UserRoleEntity } from '../entities/user-role.entity';
import { UserEntity, type Privilege, type Profile } from '../entities/user.entity';
import { AppError, badInput, conflict, notFound } from '../errors/app-error';
import { ADMIN_INVARIANT_LOCK, LOGIN_CHOICE_LOCK, lockForTransaction } from '../db/locks';
import { isForeignKeyViolation, isUniqueViolation } from '../db/pg-errors';
import { requireAdministrator, requireSignedIn } from './authorization';
import type { ConnectionFilterInput, ConnectionService } from './connections';
import type { ConnectionPageResult } from './connection-page';
import type { PagingInput } from './connections/order';
import { hashPassword } from './passwords';
import { commentSchema, emailSchema, escapeLike, parseInput, userPasswordSchema } from './validation';

export interface UserInput {
  password?: string | null;
  privilege?: Privilege;
  profile?: Profile;
  live360?: boolean;
  roles?: string[];
  comment?: string | null;
  ldap?: boolean;
}

export interface Permissions {
  administer: boolean;
  killSessions: boolean;
  live360: boolean;
  dashboards: string[];
}

/** Every dashboard of the platform, in menu order. */
export const ALL_DASHBOARDS = [
  'session-history',
  'top-queries',
  'top-tables',
  'lock-explorer',
  'cluster-metrics',
  'system-metrics',
  'reporting',
  'alerting',
] as const;
/** The developer profile sees Top Queries, Session History, Top Tables/Indexes and their PDF reports. */
export const DEVELOPER_DASHBOARDS = ['session-history', 'top-queries', 'top-tables', 'reporting'] as const;

const inputSchema = z.object({
  password: userPasswordSchema.nullable().optional(),
  privilege: z.enum(['read', 'read write', 'admin'], 'must be one of read, read write, admin').optional(),
  profile: z.enum(['developer', 'data admin'], 'must be one of developer, data admin').optional(),
  live360: z.boolean().optional(),
  roles: z.array(z.string()).max(100, 'at most 100 roles').optional(),
  comment: commentSchema.optional(),
  ldap: z.boolean().optional(),
});

const NOT_FOUND = (email: string) => notFound(`User ${JSON.stringify(email)} not found`);

export function permissionsOf(user: Pick<UserEntity, 'privilege' | 'profile' | 'live360'>, roleCount: number): Permissions {
  return {
    administer: mayAdminister({ privilege: user.privilege, profile: user.profile, roleCount }),
    killSessions: user.privilege === 'read write' || user.privilege === 'admin',
    live360: user.live360,
    dashboards: [...(user.profile === 'developer' ? DEVELOPER_DASHBOARDS : ALL_DASHBOARDS)],
  };
}

/** What decides whether a user keeps the platform administrable (see {@link countsAsAdministrator}). */
type AdministratorState = AdministrationState & { ldap: boolean };

/**
 * The token-revocation rule: a new password, or a switch to directory sign-in, revokes every token issued before
 * (tokens carry the version they were issued at). Used by {@link UserService.update} and {@link resetPassword}.
 */
function tokenVersionAfter(user: Pick<UserEntity, 'tokenVersion' | 'ldap'>, change: { newPassword: boolean; ldap: boolean }): number {
  return change.newPassword || (change.ldap && !user.ldap) ? user.tokenVersion + 1 : user.tokenVersion;
}

/** The account with this login (case-insensitive), or `null`. */
export function findUserByLogin(manager: EntityManager, login: string, lock = false): Promise<UserEntity | null> {
  const query = manager.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.login) = lower(:login)', { login });
  if (lock) query.setLock('pessimistic_write');
  return query.getOne();
}

/**
 * The operators' recovery (`reset-admin-password`): gives the account with this login a new local password (a
 * directory account becomes local again) and revokes its earlier tokens, by the same password and revocation rules
 * as {@link UserService.update}. Not a caller's request: whoever runs it holds the database credentials. The
 * `users` trigger tells every replica (`ds_access_changed`). `null` when no account has this login.
 */
export async function resetPassword(manager: EntityManager, login: string, password: string): Promise<UserEntity | null> {
  const hash = await hashPassword(parseInput(userPasswordSchema, password, 'password'));
  return manager.transaction(async (tx) => {
    const user = await findUserByLogin(tx, login, true);
    if (!user) return null;
    Object.assign(user, { passwordHash: hash, ldap: false, tokenVersion: tokenVersionAfter(user, { newPassword: true, ldap: false }) });
    return tx.save(user);
  });
}

/** `Jean.Lapioffe@corp.com` → `jean.lapioffe`. */
export function loginBase(email: string): string {
  const local = email.slice(0, email.lastIndexOf('@')).toLowerCase();
  return local === '' ? 'user' : local;
}

export class UserService {
  constructor(
    private readonly connections: ConnectionService,
    /** Told after a commit that changed what a user may do or see (`user:<id>`). */
    private readonly accessChanged: (payload: string) => void = () => undefined,
  ) {}

  list(ctx: RequestContext): Promise<UserEntity[]> {
    requireAdministrator(ctx);
    return ctx.manager.find(UserEntity, { order: { login: 'ASC' } });
  }

  async get(ctx: RequestContext, email: string): Promise<UserEntity | null> {
    requireAdministrator(ctx);
    return this.findByEmail(ctx.manager, email);
  }

  async getOrThrow(ctx: RequestContext, email: string): Promise<UserEntity> {
    const user = await this.get(ctx, email);
    if (!user) throw NOT_FOUND(email);
    return user;
  }

  /** The signed-in caller's own account. */
  async me(ctx: RequestContext): Promise<UserEntity> {
    const principal = requireSignedIn(ctx);
    const user = await ctx.manager.findOneBy(UserEntity, { id: principal.userId });
    if (!user) throw new AppError('UNAUTHENTICATED', 'Token revoked: create a new one');
    return user;
  }

  async create(ctx: RequestContext, email: string, input: UserInput): Promise<UserEntity> {
    requireAdministrator(ctx);
    const address = parseInput(emailSchema, email, 'email');
    const data = parseInput(inputSchema, input);
    const ldap = data.ldap ?? false;
    if (ldap && data.password != null) throw badInput('password: LDAP users have no local password', 'password');
    if (!ldap && data.password == null) throw badInput('password: is required (unless ldap is true)', 'password');
    const passwordHash = data.password == null ? null : await hashPassword(data.password);
    return inTransaction(ctx, async (tx) => {
      if (await this.findByEmail(tx.manager, address)) throw conflict(`User ${JSON.stringify(address)} already exists`);
      const roleIds = await this.resolveRoles(tx.manager, data.roles ?? []);
      const user = await this.insertWithUniqueLogin(tx.manager, {
        email: address,
        passwordHash,
        privilege: data.privilege ?? 'admin',
        profile: data.profile ?? 'data admin',
        live360: data.live360 ?? true,
        comment: data.comment ?? null,
        ldap,
        tokenVersion: 1,
      });
      await this.assignRoles(tx.manager, user.id, roleIds);
      return user;
    });
  }

  /** Updates the given fields; `roles` replaces the assignment. A password change revokes the user's tokens. */
  async update(ctx: RequestContext, email: string, input: UserInput): Promise<UserEntity> {
    requireAdministrator(ctx);
    const data = parseInput(inputSchema, input);
    const newHash = data.password == null ? undefined : await hashPassword(data.password);
    const updated = await inTransaction(ctx, async (tx) => {
      await lockForTransaction(tx.manager, ADMIN_INVARIANT_LOCK);
      const user = await this.findByEmail(tx.manager, email, true);
      if (!user) throw NOT_FOUND(email);
      const ldap = data.ldap ?? user.ldap;
      if (ldap && data.password != null) throw badInput('password: LDAP users have no local password', 'password');
      if (!ldap && user.ldap && data.password == null) {
        throw badInput('password: is required when a user stops being an LDAP user', 'password');
      }
      if (data.password === null && !ldap) throw badInput('password: cannot be removed from a local user', 'password');
      const roleIds = data.roles === undefined ? undefined : await this.resolveRoles(tx.manager, data.roles);
      const currentRoleCount = await tx.manager.countBy(UserRoleEntity, { userId: user.id });
      const after: AdministratorState = {
        privilege: data.privilege ?? user.privilege,
        profile: data.profile ?? user.profile,
        roleCount: roleIds?.length ?? currentRoleCount,
        ldap,
      };
      await this.guardLastAdministrator(tx.manager, user, { ...user, roleCount: currentRoleCount }, after);

      const tokenVersion = tokenVersionAfter(user, { newPassword: newHash !== undefined, ldap });
      Object.assign(user, {
        privilege: after.privilege,
        profile: after.profile,
        live360: data.live360 ?? user.live360,
        comment: data.comment === undefined ? user.comment : data.comment,
        ldap,
        passwordHash: ldap ? null : (newHash ?? user.passwordHash),
        tokenVersion,
      });
      const saved = await tx.manager.save(user);
      if (roleIds !== undefined) {
        await tx.manager.delete(UserRoleEntity, { userId: user.id });
        await this.assignRoles(tx.manager, user.id, roleIds);
      }
      return saved;
    });
    this.accessChanged(`user:${updated.id}`);
    return updated;
  }

  /**
   * The checks {@link update} makes before it replaces a user's roles (same order, same errors: NOT_FOUND, an unknown
   * role, LAST_ADMIN), with nothing written and no lock taken; for impact previews (src/services/governance/impact.ts).
   * @returns the user, the role ids they hold now and the ids they would hold.
   */
  async checkRolesReplacement(ctx: RequestContext, email: string, roles: string[]): Promise<{ user: UserEntity; current: number[]; next: number[] }> {
    requireAdministrator(ctx);
    const data = parseInput(inputSchema, { roles });
    const user = await this.findByEmail(ctx.manager, email);
    if (!user) throw NOT_FOUND(email);
    const next = await this.resolveRoles(ctx.manager, data.roles ?? [], false);
    const current = (await ctx.manager.find(UserRoleEntity, { where: { userId: user.id } })).map((r) => r.roleId);
    await this.guardLastAdministrator(ctx.manager, user, { ...user, roleCount: current.length }, { ...user, roleCount: next.length });
    return { user, current, next };
  }

  async delete(ctx: RequestContext, email: string): Promise<UserEntity> {
    requireAdministrator(ctx);
    const deleted = await inTransaction(ctx, async (tx) => {
      await lockForTransaction(tx.manager, ADMIN_INVARIANT_LOCK);
      const user = await this.findByEmail(tx.manager, email, true);
      if (!user) throw NOT_FOUND(email);
      const roleCount = await tx.manager.countBy(UserRoleEntity, { userId: user.id });
      await this.guardLastAdministrator(tx.manager, user, { ...user, roleCount }, null);
      await tx.manager.delete(UserEntity, { id: user.id });
      return user;
    });
    this.accessChanged(`user:${deleted.id}`);
    return deleted;
  }

  /**
   * Creates the gateway account of a directory user at their first sign-in (LDAP_AUTO_PROVISION): `ldap: true`, no
   * password, login derived from the email by the same rule as {@link create}. Runs in the sign-in's transaction.
   */
  async provisionDirectoryUser(manager: EntityManager, email: string, defaults: { privilege: Privilege; profile: Profile }): Promise<UserEntity> {
    const address = parseInput(emailSchema, email, 'email');
    return this.insertWithUniqueLogin(manager, {
      email: address,
      passwordHash: null,
      privilege: defaults.privilege,
      profile: defaults.profile,
      live360: true,
      comment: 'created at first directory sign-in',
      ldap: true,
      tokenVersion: 1,
    });
  }

  /**
   * Replaces the roles of a directory user by `roleNames` (LDAP_GROUP_ROLES), in the sign-in's transaction; the
   * `user_roles` triggers NOTIFY every replica at commit. Names with no role are left out and returned, for the
   * caller to log; when no name is a role, nothing changes (the caller refuses the sign-in). Holds the administrator
   * invariant: restricting the last unrestricted administrator is LAST_ADMIN.
   * @returns the role ids assigned, the unknown names, and whether the assignment changed.
   */
  async replaceDirectoryRoles(
    manager: EntityManager,
    user: UserEntity,
    roleNames: string[],
  ): Promise<{ roleIds: number[]; unknown: string[]; changed: boolean }> {
    const wanted = [...new Set(roleNames)];
    const roles = wanted.length === 0 ? [] : await manager.find(RoleEntity, { where: { name: In(wanted) }, lock: { mode: 'pessimistic_read' } });
    const roleIds = roles.map((r) => r.id).sort((a, b) => a - b);
    const unknown = wanted.filter((n) => !roles.some((r) => r.name === n));
    // Never down to no role: that would make the user unrestricted (the caller refuses the sign-in instead).
    if (roleIds.length === 0) return { roleIds, unknown, changed: false };
    const current = (await manager.find(UserRoleEntity, { where: { userId: user.id } })).map((r) => r.roleId).sort((a, b) => a - b);
    const changed = current.length !== roleIds.length || current.some((id, i) => id !== roleIds[i]);
    if (!changed) return { roleIds, unknown, changed };
    await lockForTransaction(manager, ADMIN_INVARIANT_LOCK);
    const state = { privilege: user.privilege, profile: user.profile, ldap: user.ldap };
    await this.guardLastAdministrator(manager, user, { ...state, roleCount: current.length }, { ...state, roleCount: roleIds.length });
    await manager.delete(UserRoleEntity, { userId: user.id });
    await this.assignRoles(manager, user.id, roleIds);
    return { roleIds, unknown, changed };
  }

  /** What `user` can see, within what the caller can see. */
  async connectionsOf(ctx: RequestContext, user: UserEntity, paging: PagingInput = {}, filter?: ConnectionFilterInput | null): Promise<ConnectionPageResult> {
    requireSignedIn(ctx);
    const roles = await ctx.loaders.rolesOfUser.load(user.id);
    return this.connections.pageOf(ctx, visibilityOfRoles(roles.map((r) => r.id)), paging, filter);
  }

  // ---------------------------------------------------------------- internals

  private findByEmail(manager: EntityManager, email: string, lock = false): Promise<UserEntity | null> {
    const query = manager.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email: email.trim() });
    if (lock) query.setLock('pessimistic_write');
    return query.getOne();
  }

  /** `lock`: hold the roles (FOR SHARE) until commit, so a concurrent delete cannot remove one before it is assigned. */
  private async resolveRoles(manager: EntityManager, names: string[], lock = true): Promise<number[]> {
    const unique = [...new Set(names)];
    if (unique.length === 0) return [];
    const roles = await manager.find(RoleEntity, { where: { name: In(unique) }, ...(lock ? { lock: { mode: 'pessimistic_read' as const } } : {}) });
    const missing = unique.filter((n) => !roles.some((r) => r.name === n));
    if (missing.length > 0) throw badInput(`roles: unknown role ${missing.map((n) => JSON.stringify(n)).join(', ')}`, 'roles');
    return roles.map((r) => r.id);
  }

  private async assignRoles(manager: EntityManager, userId: number, roleIds: number[]): Promise<void> {
    if (roleIds.length === 0) return;
    try {
      await manager.insert(
        UserRoleEntity,
        roleIds.map((roleId) => ({ userId, roleId })),
      );
    } catch (error) {
      // The role vanished between resolution and insert (a concurrent delete won the race).
      if (isForeignKeyViolation(error)) throw badInput('roles: a role was deleted meanwhile', 'roles');
      throw error;
    }
  }

  /**
   * The one place of the last-administrator rule. `before` and `after` describe `user` around a change (`after` is
   * `null` for a deletion); when the change ends an administrator who counts (see {@link countsAsAdministrator}),
   * another one must remain, else LAST_ADMIN. Call it with the ADMIN_INVARIANT_LOCK held.
   */
  private async guardLastAdministrator(manager: EntityManager, user: UserEntity, before: AdministratorState, after: AdministratorState | null): Promise<void> {
    if (!countsAsAdministrator(before) || (after !== null && countsAsAdministrator(after))) return;
    const [{ n }] = await manager.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM users u WHERE u.id <> $1 AND ${countsAsAdministratorSql('u')}`, [
      user.id,
    ]);
    if (n === 0) {
      throw new AppError('LAST_ADMIN', `${user.login} is the last unrestricted administrator: it cannot be deleted, demoted, given a role or switched to LDAP`);
    }
  }

  private async insertWithUniqueLogin(manager: EntityManager, fields: Omit<UserEntity, 'id' | 'login' | 'createdAt' | 'updatedAt'>): Promise<UserEntity> {
    const base = loginBase(fields.email);
    // Serializes login choice until commit: two new users sharing a local part (jean@a, jean@b) created at the same
    // instant would otherwise both pick `jean`, and one would fail. Callers run this inside their transaction.
    await lockForTransaction(manager, LOGIN_CHOICE_LOCK);
    const taken: { login: string }[] = await manager.query(`SELECT lower(login) AS login FROM users WHERE lower(login) = $1 OR lower(login) LIKE $2`, [
      base,
      `${escapeLike(base)}%`,
    ]);
    const used = new Set(taken.map((t) => t.login));
    let login = base;
    for (let n = 2; used.has(login); n += 1) login = `${base}${n}`;
    try {
      return await manager.save(manager.create(UserEntity, { ...fields, login }));
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw conflict(`User ${JSON.stringify(fields.email)} already exists`);
      if (isUniqueViolation(error, 'users_login_lower_key')) throw conflict(`Login ${login} was taken meanwhile; try again`);
      throw error;
    }
  }
}
