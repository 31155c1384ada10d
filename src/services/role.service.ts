/**
 * Roles: named access rules. Administration only. The connections a role matches are stored in `role_connections`,
 * kept exact by triggers on every rule and tag change (migration RoleMembership); rules are compiled by
 * src/access/predicate.ts for previews and filters.
 */
import { normalizeAccessRule, type AccessGroup } from '../access/access-rule';
import type { AuditLog } from '../audit/audit-log';
import { changedFields } from '../audit/audit-values';
import { compileRules, memberOf } from '../access/predicate';
import { inTransaction, type RequestContext } from '../context/request-context';
import { RoleEntity } from '../entities/role.entity';
import { UserRoleEntity } from '../entities/user-role.entity';
import type { UserEntity } from '../entities/user.entity';
import { AppError, conflict, notFound } from '../errors/app-error';
import { lockAccessRelation } from '../db/locks';
import { isForeignKeyViolation, isUniqueViolation } from '../db/pg-errors';
import { requireAdministrator } from './authorization';
import type { ConnectionPageResult } from './connection-page';
import type { ConnectionService } from './connections';
import type { PagingInput } from './connections/order';
import type { ExactCache } from './exact-cache';
import { nameSchema, parseInput } from './validation';

const NOT_FOUND = (name: string) => notFound(`Role ${JSON.stringify(name)} not found`);

/** A role as its audit events show it. */
const snapshot = (role: Pick<RoleEntity, 'name' | 'access'>) => ({ name: role.name, access: role.access });

export class RoleService {
  constructor(
    private readonly connections: ConnectionService,
    private readonly audit: AuditLog,
    /** Told after a commit that changed what some callers may see (`all`). */
    private readonly accessChanged: (payload: string) => void = () => undefined,
    private readonly cache?: ExactCache<readonly RoleEntity[] | readonly UserEntity[]>,
  ) {}

  /** Every role, by name; kept per replica between changes (src/services/exact-cache.ts). */
  async list(ctx: RequestContext): Promise<RoleEntity[]> {
    requireAdministrator(ctx);
    const view = this.cache ? await this.cache.view(ctx.freshness.mark, ctx.manager) : null;
    const cached = view?.get('roles') as readonly RoleEntity[] | undefined;
    if (cached) return [...cached];
    const roles = await ctx.manager.find(RoleEntity, { order: { name: 'ASC' } });
    view?.set('roles', [...roles]);
    return roles;
  }

  async get(ctx: RequestContext, name: string): Promise<RoleEntity | null> {
    requireAdministrator(ctx);
    return ctx.manager.findOneBy(RoleEntity, { name });
  }

  async getOrThrow(ctx: RequestContext, name: string): Promise<RoleEntity> {
    const role = await this.get(ctx, name);
    if (!role) throw NOT_FOUND(name);
    return role;
  }

  async create(ctx: RequestContext, name: string, access: AccessGroup[]): Promise<RoleEntity> {
    requireAdministrator(ctx);
    parseInput(nameSchema('name'), name, 'name');
    const rule = normalizeAccessRule(access);
    try {
      return await inTransaction(ctx, async (tx) => {
        await lockAccessRelation(tx.manager);
        const role = await tx.manager.save(tx.manager.create(RoleEntity, { name, access: rule }));
        await this.audit.record(tx.manager, { ...tx.acting, action: 'role.create', target: role.name, after: snapshot(role) });
        return role;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'roles_name_key')) throw conflict(`Role ${JSON.stringify(name)} already exists`);
      throw error;
    }
  }

  async update(ctx: RequestContext, name: string, access: AccessGroup[]): Promise<RoleEntity> {
    requireAdministrator(ctx);
    const rule = normalizeAccessRule(access);
    const saved = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const role = await tx.manager.findOne(RoleEntity, { where: { name }, lock: { mode: 'pessimistic_write' } });
      if (!role) throw NOT_FOUND(name);
      const before = snapshot(role);
      role.access = rule;
      const updated = await tx.manager.save(role);
      await this.audit.record(tx.manager, { ...tx.acting, action: 'role.update', target: role.name, ...changedFields(before, snapshot(updated)) });
      return updated;
    });
    this.accessChanged('all');
    return saved;
  }

  /** Deletes a role nobody holds. The foreign key makes this safe against a concurrent assignment, too. */
  async delete(ctx: RequestContext, name: string): Promise<void> {
    requireAdministrator(ctx);
    const inUse = () => new AppError('ROLE_IN_USE', `Role ${JSON.stringify(name)} is assigned to users; unassign it first`);
    try {
      await inTransaction(ctx, async (tx) => {
        await lockAccessRelation(tx.manager);
        const role = await tx.manager.findOne(RoleEntity, { where: { name }, lock: { mode: 'pessimistic_write' } });
        if (!role) throw NOT_FOUND(name);
        const holders = await tx.manager.countBy(UserRoleEntity, { roleId: role.id });
        if (holders > 0) {
          throw new AppError('ROLE_IN_USE', `Role ${JSON.stringify(name)} is assigned to ${holders} user(s); unassign it first`);
        }
        await tx.manager.delete(RoleEntity, { id: role.id });
        await this.audit.record(tx.manager, { ...tx.acting, action: 'role.delete', target: role.name, before: snapshot(role) });
      });
      this.accessChanged('all');
    } catch (error) {
      if (isForeignKeyViolation(error, 'user_roles_role_fkey')) throw inUse();
      throw error;
    }
  }

  /** What the role's filters match now, within the caller's visibility. */
  connectionsOf(ctx: RequestContext, role: RoleEntity, paging: PagingInput = {}): ConnectionPageResult {
    return this.connections.pageOf(ctx, [memberOf([role.id])], paging);
  }

  connectionCountOf(ctx: RequestContext, role: RoleEntity): Promise<number> {
    return this.connections.countOf(ctx, [memberOf([role.id])]);
  }

  /** Dry run of a rule: what a role with this access would match, without saving anything. */
  preview(ctx: RequestContext, access: AccessGroup[], paging: PagingInput = {}): ConnectionPageResult {
    requireAdministrator(ctx);
    const rule = normalizeAccessRule(access);
    return this.connections.pageOf(ctx, [compileRules([rule])], paging);
  }
}
