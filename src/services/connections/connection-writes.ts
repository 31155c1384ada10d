/**
 * The administrators' writes of one connection: create, update, enable, disable, delete. Each takes the
 * access-relation lock first (src/db/locks.ts), commits, then probes outside the transaction when the write calls for
 * it (new connection, new credentials, enabling).
 */
import type { EntityManager } from 'typeorm';
import { normalizeUserTags } from '../../access/tags';
import type { AuditLog } from '../../audit/audit-log';
import { changedFields, SECRET_MASK, type AuditValues } from '../../audit/audit-values';
import { inTransaction, type RequestContext } from '../../context/request-context';
import { lockAccessRelation } from '../../db/locks';
import { isUniqueViolation } from '../../db/pg-errors';
import { ConnectionEntity } from '../../entities/connection.entity';
import { AppError, conflict, notFound } from '../../errors/app-error';
import { requireAdministrator } from '../authorization';
import { connectionBinding, type SecretBox } from '../secret-box';
import { defined, nameSchema, parseInput } from '../validation';
import { createConnectionSchema, updateConnectionSchema } from './connection-input';
import type { ConnectionProbing } from './connection-probing';
import type { ConnectionInput, ConnectionWrite } from './connection-types';
import { DEFAULT_MONITORING_SETTINGS, MONITORING_SETTING_ROWS, pickSettings } from './monitoring-settings';

/** The same answer for a missing and an invisible connection. */
export const connectionNotFound = (name: string) => notFound(`Connection ${JSON.stringify(name)} not found`);

/**
 * A connection as its audit events show it: what an administrator sets, with the password only as
 * {@link SECRET_MASK} (never its sealed value); no probe results (`connected`, `pgVersion`: observations, not changes).
 */
export function connectionSnapshot(connection: ConnectionEntity): AuditValues {
  const settings = connection as unknown as Record<string, unknown>;
  return {
    name: connection.name,
    host: connection.host,
    port: connection.port,
    user: connection.username,
    tags: connection.userTags,
    enabled: connection.enabled,
    ...Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.name, settings[s.name]])),
    password: SECRET_MASK,
  };
}

export class ConnectionWrites {
  constructor(
    private readonly probing: ConnectionProbing,
    private readonly secrets: SecretBox,
    /** Every write records one event in its transaction (src/audit/audit-log.ts). */
    private readonly audit: AuditLog,
  ) {}

  async create(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    parseInput(nameSchema('name'), name, 'name');
    const data = parseInput(createConnectionSchema, defined(input));
    const tags = normalizeUserTags(data.tags);
    const saved = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const repo = tx.manager.getRepository(ConnectionEntity);
      const entity = repo.create({
        ...DEFAULT_MONITORING_SETTINGS,
        ...pickSettings(data),
        name,
        host: data.host,
        port: data.port,
        username: data.user,
        passwordEncrypted: this.secrets.seal(data.password, connectionBinding(name)),
        userTags: tags,
        enabled: data.enabled,
        connected: false,
        probeGeneration: 1,
      });
      let created: ConnectionEntity;
      try {
        created = await repo.save(entity);
      } catch (error) {
        if (isUniqueViolation(error, 'connections_name_key')) throw conflict(`Connection ${JSON.stringify(name)} already exists`);
        throw error;
      }
      await this.audit.record(tx.manager, { ...tx.acting, action: 'connection.create', target: name, after: connectionSnapshot(created) });
      return created;
    });
    const probe = saved.enabled ? await this.probing.probeAndRecord(ctx.manager, saved.id, saved.probeGeneration, data) : null;
    return { connection: await this.reload(ctx.manager, saved.id), probe };
  }

  /** Updates the given fields; `tags` replaces the user tags. Host, port, user or password changes trigger a probe. */
  update(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    return this.change(ctx, name, input, 'connection.update');
  }

  /** {@link update}, audited as `action` (`connection.disable` for {@link disable}). */
  private async change(
    ctx: RequestContext,
    name: string,
    input: ConnectionInput,
    action: 'connection.update' | 'connection.disable',
  ): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    const data = parseInput(updateConnectionSchema, defined(input));
    const tags = data.tags === undefined ? undefined : normalizeUserTags(data.tags);
    const { entity, needsProbe, password } = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const current = await this.lockByName(tx.manager, name);
      const credentialsChanged =
        (data.host !== undefined && data.host !== current.host) ||
        (data.port !== undefined && data.port !== current.port) ||
        (data.user !== undefined && data.user !== current.username) ||
        data.password !== undefined;
      const enabling = data.enabled === true && !current.enabled;
      const changes: Partial<ConnectionEntity> = defined({
        ...pickSettings(data),
        host: data.host,
        port: data.port,
        username: data.user,
        passwordEncrypted: data.password === undefined ? undefined : this.secrets.seal(data.password, connectionBinding(current.name)),
        userTags: tags,
        enabled: data.enabled,
      });
      const enabled = data.enabled ?? current.enabled;
      const probeNow = enabled && (credentialsChanged || enabling);
      if (probeNow) changes.probeGeneration = current.probeGeneration + 1;
      if (!enabled) changes.connected = false;
      await tx.manager.update(ConnectionEntity, { id: current.id }, changes);
      const next = { ...current, ...changes } as ConnectionEntity;
      const diff = changedFields(connectionSnapshot(current), connectionSnapshot(next));
      if (data.password !== undefined) {
        // The event says the password was set, never what it was or became.
        diff.before.password = SECRET_MASK;
        diff.after.password = SECRET_MASK;
      }
      await this.audit.record(tx.manager, { ...tx.acting, action, target: current.name, ...diff });
      return {
        entity: next,
        needsProbe: probeNow,
        // Opened only for a probe: an update that probes nothing never needs (nor fails on) the stored password.
        password: probeNow ? (data.password ?? this.secrets.open(current.passwordEncrypted, connectionBinding(current.name))) : undefined,
      };
    });
    const probe =
      needsProbe && password !== undefined
        ? await this.probing.probeAndRecord(ctx.manager, entity.id, entity.probeGeneration, {
            host: entity.host,
            port: entity.port,
            user: entity.username,
            password,
          })
        : null;
    return { connection: await this.reload(ctx.manager, entity.id), probe };
  }

  /** Stops monitoring: `enabled` false, `connected` false. Idempotent. */
  disable(ctx: RequestContext, name: string): Promise<ConnectionWrite> {
    return this.change(ctx, name, { enabled: false }, 'connection.disable');
  }

  /** Resumes monitoring and probes again, even when it was already enabled (an explicit "try again"). */
  async enable(ctx: RequestContext, name: string): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    const current = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const row = await this.lockByName(tx.manager, name);
      await this.audit.record(tx.manager, {
        ...tx.acting,
        action: 'connection.enable',
        target: row.name,
        before: { enabled: row.enabled },
        after: { enabled: true },
      });
      row.enabled = true;
      row.probeGeneration += 1;
      await tx.manager.update(ConnectionEntity, { id: row.id }, { enabled: true, probeGeneration: row.probeGeneration });
      return row;
    });
    const probe = await this.probing.probeAndRecord(ctx.manager, current.id, current.probeGeneration, this.probing.targetOf(current));
    return { connection: await this.reload(ctx.manager, current.id), probe };
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    requireAdministrator(ctx);
    const result = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      // RETURNING: the deleted row for its event, in the DELETE itself (no extra read).
      const repo = tx.manager.getRepository(ConnectionEntity);
      const deleted = await repo.createQueryBuilder().delete().where('name = :name', { name }).returning('*').execute();
      const row = (deleted.raw as Record<string, unknown>[])[0];
      if (row) {
        const entity = Object.fromEntries(repo.metadata.columns.map((c) => [c.propertyName, row[c.databaseName]])) as unknown as ConnectionEntity;
        await this.audit.record(tx.manager, { ...tx.acting, action: 'connection.delete', target: name, before: connectionSnapshot(entity) });
      }
      return deleted;
    });
    if (!result.affected) throw connectionNotFound(name);
  }

  private async lockByName(manager: EntityManager, name: string): Promise<ConnectionEntity> {
    const row = await manager.getRepository(ConnectionEntity).createQueryBuilder('c').setLock('pessimistic_write').where('c.name = :name', { name }).getOne();
    if (!row) throw connectionNotFound(name);
    return row;
  }

  private async reload(manager: EntityManager, id: number): Promise<ConnectionEntity> {
    const row = await manager.findOneBy(ConnectionEntity, { id });
    // Deleted between the write and this read: report it like any missing connection.
    if (!row) throw new AppError('NOT_FOUND', 'Connection was deleted meanwhile');
    return row;
  }
}
