/**
 * Monitored connections: validation, visibility, probing, and the write paths.
 *
 * Reads are always scoped to the caller (the request's loaders AND the caller's visibility into every query), so an
 * invisible connection is indistinguishable from a missing one: the same `null`, the same NOT_FOUND message.
 */
import { z } from 'zod';
import type { EntityManager } from 'typeorm';
import { MATCH_EVERYTHING, type ConnectionPredicate } from '../access/predicate';
import { compareCodePoints, normalizeUserTags, tagKeyProblem, type TagPair } from '../access/tags';
import { visibility } from '../context/principal';
import { inTransaction, type RequestContext } from '../context/request-context';
import { ConnectionEntity, type CollectionRate } from '../entities/connection.entity';
import { AppError, badInput, conflict, notFound } from '../errors/app-error';
import { lockAccessRelation } from '../db/locks';
import { isUniqueViolation } from '../db/pg-errors';
import { requireAdministrator, requireSignedIn } from './authorization';
import { ConnectionPageResult } from './connection-page';
import type { MembershipCache, TagSummary } from './membership-cache';
import type { ConnectionQueries, TagKeyFilter } from './connection-queries';
import { applyConnectionFilter, isEmptyFilter, type ConnectionFilterInput } from './connections/filter';
import { connectionPaging, type PagingInput } from './connections/order';
import type { ProbeOutcome, ProbeService } from './probe.service';
import { connectionBinding, type SecretBox } from './secret-box';
import { connectionPasswordSchema, defined, hostSchema, nameSchema, parseInput, pgUserSchema, portSchema } from './validation';

export interface MonitoringSettings {
  collectionRate: CollectionRate;
  samples: boolean;
  lockMonitoring: boolean;
  lockMonitoringDelay: number;
  tableMonitoring: boolean;
  queryMonitoring: boolean;
  queryMonitoringOptimize: boolean;
  queryMonitoringMinCalls: number;
  queryMonitoringMinTime: number;
}

/** The vendor's defaults, as its Connection API displays them. */
export const DEFAULT_MONITORING_SETTINGS: MonitoringSettings = {
  collectionRate: 'low',
  samples: false,
  lockMonitoring: true,
  lockMonitoringDelay: 30,
  tableMonitoring: true,
  queryMonitoring: true,
  queryMonitoringOptimize: false,
  queryMonitoringMinCalls: 2,
  queryMonitoringMinTime: 1,
};

export interface ConnectionInput extends Partial<MonitoringSettings> {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  tags?: TagPair[];
  enabled?: boolean;
}

export interface ImportItem {
  name: string;
  input: ConnectionInput;
}

export interface ImportProblem {
  /** 0-based position in the import. */
  index: number;
  name: string;
  message: string;
}

export interface ImportResult {
  created: number;
  names: string[];
}

export const MAX_IMPORT_ITEMS = 100_000;
const IMPORT_CHUNK = 1000;

export type { ConnectionFilterInput } from './connections/filter';

/** The result of a write: the connection as stored, and what the probe said (REST words its answer after it). */
export interface ConnectionWrite {
  connection: ConnectionEntity;
  probe: ProbeOutcome | null;
}

const settingsShape = {
  collectionRate: z.enum(['low', 'medium', 'high'], 'must be one of low, medium, high'),
  samples: z.boolean(),
  lockMonitoring: z.boolean(),
  lockMonitoringDelay: z.number().int('must be an integer').min(1, 'must be at least 1 second').max(86_400, 'must be at most 86400 seconds'),
  tableMonitoring: z.boolean(),
  queryMonitoring: z.boolean(),
  queryMonitoringOptimize: z.boolean(),
  queryMonitoringMinCalls: z.number().int('must be an integer').min(0, 'must be 0 or more').max(1_000_000_000, 'is too large'),
  queryMonitoringMinTime: z.number().min(0, 'must be 0 or more').max(1_000_000_000, 'is too large'),
};
const tagsShape = z.array(z.object({ key: z.string(), value: z.string() }));

const createSchema = z.object({
  host: hostSchema,
  port: portSchema,
  user: pgUserSchema,
  password: connectionPasswordSchema,
  tags: tagsShape.default([]),
  enabled: z.boolean().default(true),
  ...Object.fromEntries(Object.entries(settingsShape).map(([k, s]) => [k, s.optional()])),
});

const updateSchema = z.object({
  host: hostSchema.optional(),
  port: portSchema.optional(),
  user: pgUserSchema.optional(),
  password: connectionPasswordSchema.optional(),
  tags: tagsShape.optional(),
  enabled: z.boolean().optional(),
  ...Object.fromEntries(Object.entries(settingsShape).map(([k, s]) => [k, s.optional()])),
});

/** Most keys one tag summary may ask for. */
const MAX_SUMMARY_KEYS = 100;

const NOT_FOUND = (name: string) => notFound(`Connection ${JSON.stringify(name)} not found`);

export class ConnectionService {
  constructor(
    private readonly queries: ConnectionQueries,
    private readonly probes: ProbeService,
    private readonly secrets: SecretBox,
    private readonly membershipCache?: MembershipCache,
  ) {}

  // ---------------------------------------------------------------- reads (any signed-in caller, scoped)

  /** The caller's visible connections, optionally narrowed by a filter; sorted by name unless `paging.orderBy` says otherwise. */
  list(ctx: RequestContext, paging: PagingInput = {}, filter?: ConnectionFilterInput | null): ConnectionPageResult {
    requireSignedIn(ctx);
    return this.pageOf(ctx, MATCH_EVERYTHING, paging, filter);
  }

  /**
   * A page of what `predicate` matches, within the caller's visibility (applied by the request's loaders).
   * Used by role previews, `Role.connections` and `User.connections`.
   */
  pageOf(ctx: RequestContext, predicate: ConnectionPredicate, paging: PagingInput = {}, filter?: ConnectionFilterInput | null): ConnectionPageResult {
    const page = connectionPaging(paging);
    const terms = applyConnectionFilter(predicate, filter);
    return new ConnectionPageResult(ctx, terms.predicate, terms.conditions, page);
  }

  /** How many connections `predicate` matches within the caller's visibility. */
  countOf(ctx: RequestContext, predicate: ConnectionPredicate): Promise<number> {
    return ctx.loaders.connectionCount.load({ predicate });
  }

  /** A visible connection by name, or `null` when it does not exist or the caller may not see it. */
  async get(ctx: RequestContext, name: string): Promise<ConnectionEntity | null> {
    const principal = requireSignedIn(ctx);
    const [found] = await this.queries.byNames(ctx.manager, visibility(principal), [name]);
    return found ?? null;
  }

  /** Like {@link get}, but NOT_FOUND (the same message for a missing and an invisible connection) instead of `null`. */
  async getOrThrow(ctx: RequestContext, name: string): Promise<ConnectionEntity> {
    const found = await this.get(ctx, name);
    if (!found) throw NOT_FOUND(name);
    return found;
  }

  /**
   * Tag keys and values over the caller's visible connections, with how many carry each; sorted by key, then value.
   * `filter` narrows the keys (`keys`: only these; `automatic`: only automatic or only user keys). A restricted
   * caller's summary depends only on their roles' matches: read from and kept in the membership cache, one entry per
   * filter (never inside a transaction, whose uncommitted writes it cannot know). The answer is shared: callers must
   * not modify it.
   */
  async tagSummary(ctx: RequestContext, filter: TagKeyFilter = {}, connectionFilter?: ConnectionFilterInput | null): Promise<TagSummary> {
    const visible = visibility(requireSignedIn(ctx));
    const terms = applyConnectionFilter(visible, connectionFilter);
    const keys = filter.keys == null ? null : [...new Set(filter.keys)].sort();
    if (keys && keys.length > MAX_SUMMARY_KEYS) throw badInput(`At most ${MAX_SUMMARY_KEYS} keys`, 'keys');
    for (const key of keys ?? []) {
      const problem = tagKeyProblem(key);
      if (problem) throw badInput(`Invalid tag key ${JSON.stringify(key)}: ${problem}`, 'keys');
    }
    const normalized: TagKeyFilter = { keys, automatic: filter.automatic ?? null };
    const variant = keys === null && normalized.automatic === null ? '' : JSON.stringify(normalized);
    // A filter makes the answer specific to it: computed each time, never cached.
    const membership = isEmptyFilter(terms, visible) ? this.queries.pureMembership(visible) : null;
    const view = membership && this.membershipCache ? await this.membershipCache.view(ctx.freshness.mark, ctx.manager) : null;
    const cached = membership && view?.get('tags', membership.roleIds, variant);
    if (cached) return cached;
    const rows = await this.queries.tagSummary(ctx.manager, terms.predicate, normalized, terms.conditions);
    const byKey = new Map<string, { value: string; count: number }[]>();
    for (const row of rows) {
      if (!byKey.has(row.key)) byKey.set(row.key, []);
      byKey.get(row.key)!.push({ value: row.value, count: row.count });
    }
    const summary = [...byKey].map(([key, values]) => ({ key, values }));
    if (membership && view) view.set('tags', membership.roleIds, summary, variant);
    return summary;
  }

  /**
   * Part of one key's values, sorted as the summary sorts them (`COLLATE "C"`: UTF-8 bytes, that is code points):
   * the `first` that come after the value `after` (all when `first` is null).
   */
  pageOfValues<V extends { value: string }>(values: readonly V[], first?: number | null, after?: string | null): readonly V[] {
    if (first != null && (!Number.isInteger(first) || first < 0)) throw badInput('`first` must be zero or more', 'first');
    let start = 0;
    if (after != null) {
      // Values are unique and sorted: binary search for the first one after `after`.
      let high = values.length;
      while (start < high) {
        const middle = (start + high) >>> 1;
        if (compareCodePoints(values[middle]!.value, after) <= 0) start = middle + 1;
        else high = middle;
      }
    }
    return first == null ? values.slice(start) : values.slice(start, start + first);
  }

  // ---------------------------------------------------------------- writes (administrators)

  async create(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    parseInput(nameSchema('name'), name, 'name');
    const data = parseInput(createSchema, defined(input)) as z.output<typeof createSchema> & Partial<MonitoringSettings>;
    const tags = normalizeUserTags(data.tags);
    const saved = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const repo = tx.manager.getRepository(ConnectionEntity);
      const entity = repo.create({
        ...DEFAULT_MONITORING_SETTINGS,
        ...defined(pickSettings(data)),
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
      try {
        return await repo.save(entity);
      } catch (error) {
        if (isUniqueViolation(error, 'connections_name_key')) throw conflict(`Connection ${JSON.stringify(name)} already exists`);
        throw error;
      }
    });
    const probe = saved.enabled ? await this.probeAndRecord(ctx.manager, saved.id, saved.probeGeneration, data) : null;
    return { connection: await this.reload(ctx.manager, saved.id), probe };
  }

  /** Updates the given fields; `tags` replaces the user tags. Host, port, user or password changes trigger a probe. */
  async update(ctx: RequestContext, name: string, input: ConnectionInput): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    const data = parseInput(updateSchema, defined(input)) as z.output<typeof updateSchema> & Partial<MonitoringSettings>;
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
      return {
        entity: { ...current, ...changes } as ConnectionEntity,
        needsProbe: probeNow,
        password: data.password ?? this.secrets.open(current.passwordEncrypted, connectionBinding(current.name)),
      };
    });
    const probe = needsProbe
      ? await this.probeAndRecord(ctx.manager, entity.id, entity.probeGeneration, {
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
    return this.update(ctx, name, { enabled: false });
  }

  /** Resumes monitoring and probes again, even when it was already enabled (an explicit "try again"). */
  async enable(ctx: RequestContext, name: string): Promise<ConnectionWrite> {
    requireAdministrator(ctx);
    const current = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const row = await this.lockByName(tx.manager, name);
      row.enabled = true;
      row.probeGeneration += 1;
      await tx.manager.update(ConnectionEntity, { id: row.id }, { enabled: true, probeGeneration: row.probeGeneration });
      return row;
    });
    const probe = await this.probeAndRecord(ctx.manager, current.id, current.probeGeneration, {
      host: current.host,
      port: current.port,
      user: current.username,
      password: this.secrets.open(current.passwordEncrypted, connectionBinding(current.name)),
    });
    return { connection: await this.reload(ctx.manager, current.id), probe };
  }

  async delete(ctx: RequestContext, name: string): Promise<void> {
    requireAdministrator(ctx);
    const result = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      return tx.manager.delete(ConnectionEntity, { name });
    });
    if (!result.affected) throw NOT_FOUND(name);
  }

  /** Re-probes every enabled connection, a few at a time (operators' CLI). */
  async reprobeAll(ctx: RequestContext, onProgress?: (done: number, total: number) => void): Promise<{ connected: number; failed: number }> {
    requireAdministrator(ctx);
    const rows = await ctx.manager.find(ConnectionEntity, { where: { enabled: true }, order: { name: 'ASC' } });
    let connected = 0;
    let failed = 0;
    let done = 0;
    const queue = [...rows];
    const worker = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        const generation = row.probeGeneration + 1;
        await ctx.manager.update(ConnectionEntity, { id: row.id }, { probeGeneration: generation });
        const outcome = await this.probeAndRecord(ctx.manager, row.id, generation, {
          host: row.host,
          port: row.port,
          user: row.username,
          password: this.secrets.open(row.passwordEncrypted, connectionBinding(row.name)),
        });
        if (outcome.status === 'connected') connected += 1;
        else failed += 1;
        onProgress?.(++done, rows.length);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return { connected, failed };
  }

  /**
   * Bulk import: validates every item first and reports all problems together (nothing is written if one item is
   * bad), then inserts in one transaction with multi-row statements. Probes run after the commit, in the
   * background, a few at a time (`connected` turns true as they succeed), so a large import does not wait for
   * thousands of probes; pass `probe: false` to skip them.
   */
  async importMany(ctx: RequestContext, items: readonly ImportItem[], options: { probe?: boolean } = {}): Promise<ImportResult> {
    requireAdministrator(ctx);
    if (items.length === 0) return { created: 0, names: [] };
    if (items.length > MAX_IMPORT_ITEMS) {
      throw new AppError('BAD_USER_INPUT', `At most ${MAX_IMPORT_ITEMS} connections per import; split the file`, { field: 'inputs' });
    }
    const problems: ImportProblem[] = [];
    const rows: { item: ImportItem; data: z.output<typeof createSchema> & Partial<MonitoringSettings>; tags: TagPair[] }[] = [];
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      try {
        parseInput(nameSchema('name'), item.name, 'name');
        const data = parseInput(createSchema, defined(item.input)) as z.output<typeof createSchema> & Partial<MonitoringSettings>;
        const tags = normalizeUserTags(data.tags);
        if (seen.has(item.name)) throw new AppError('BAD_USER_INPUT', `name: also used by item ${seen.get(item.name)! + 1}`);
        seen.set(item.name, index);
        rows.push({ item, data, tags });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        problems.push({ index, name: String(item.name), message: error.message });
      }
    });
    const names = items.map((i) => i.name);
    const created = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const existing: { name: string }[] = await tx.manager.query(`SELECT name FROM connections WHERE name = ANY($1::text[])`, [names]);
      for (const { name } of existing)
        problems.push({ index: seen.get(name) ?? names.indexOf(name), name, message: `Connection ${JSON.stringify(name)} already exists` });
      if (problems.length > 0) {
        problems.sort((a, b) => a.index - b.index);
        throw new AppError(
          'BAD_USER_INPUT',
          `${problems.length} of ${items.length} connections are invalid; nothing was imported. First: item ${problems[0]!.index + 1} (${problems[0]!.name}): ${problems[0]!.message}`,
          { field: 'inputs', problems: problems.slice(0, 100) },
        );
      }
      const records = rows.map(({ item, data, tags }) => ({
        ...DEFAULT_MONITORING_SETTINGS,
        ...defined(pickSettings(data)),
        name: item.name,
        host: data.host,
        port: data.port,
        username: data.user,
        password_encrypted: this.secrets.seal(data.password, connectionBinding(item.name)),
        user_tags: tags,
        enabled: data.enabled,
      }));
      for (let start = 0; start < records.length; start += IMPORT_CHUNK) {
        const chunk = records.slice(start, start + IMPORT_CHUNK).map((r) => ({
          name: r.name,
          host: r.host,
          port: r.port,
          username: r.username,
          password_encrypted: r.password_encrypted,
          user_tags: r.user_tags,
          enabled: r.enabled,
          collection_rate: r.collectionRate,
          samples: r.samples,
          lock_monitoring: r.lockMonitoring,
          lock_monitoring_delay: r.lockMonitoringDelay,
          table_monitoring: r.tableMonitoring,
          query_monitoring: r.queryMonitoring,
          query_monitoring_optimize: r.queryMonitoringOptimize,
          query_monitoring_min_calls: r.queryMonitoringMinCalls,
          query_monitoring_min_time: r.queryMonitoringMinTime,
        }));
        try {
          await tx.manager.query(
            `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags, enabled, collection_rate, samples,
                                      lock_monitoring, lock_monitoring_delay, table_monitoring, query_monitoring,
                                      query_monitoring_optimize, query_monitoring_min_calls, query_monitoring_min_time, probe_generation)
             SELECT name, host, port, username, password_encrypted, user_tags, enabled, collection_rate, samples,
                    lock_monitoring, lock_monitoring_delay, table_monitoring, query_monitoring,
                    query_monitoring_optimize, query_monitoring_min_calls, query_monitoring_min_time, 1
               FROM jsonb_to_recordset($1::jsonb) AS x(name text, host text, port int, username text, password_encrypted text,
                    user_tags jsonb, enabled boolean, collection_rate text, samples boolean, lock_monitoring boolean,
                    lock_monitoring_delay int, table_monitoring boolean, query_monitoring boolean, query_monitoring_optimize boolean,
                    query_monitoring_min_calls int, query_monitoring_min_time double precision)`,
            [JSON.stringify(chunk)],
          );
        } catch (error) {
          if (isUniqueViolation(error, 'connections_name_key')) throw conflict('A connection of this import was created meanwhile; nothing was imported');
          throw error;
        }
      }
      return rows;
    });
    if (options.probe !== false && this.probes.enabled)
      this.probeInBackground(
        ctx.manager,
        created.map((r) => ({ name: r.item.name, data: r.data })),
      );
    return { created: created.length, names: created.map((r) => r.item.name) };
  }

  /** Background probes still running (awaited by {@link drain} at shutdown). */
  private readonly background = new Set<Promise<unknown>>();

  private probeInBackground(
    manager: EntityManager,
    targets: { name: string; data: { host: string; port: number; user: string; password: string; enabled: boolean } }[],
  ): void {
    const queue = targets.filter((t) => t.data.enabled);
    const worker = async () => {
      for (let t = queue.shift(); t; t = queue.shift()) {
        const row = await manager.findOneBy(ConnectionEntity, { name: t.name }).catch(() => null);
        if (!row) continue;
        await this.probeAndRecord(manager, row.id, row.probeGeneration, t.data).catch(() => undefined);
      }
    };
    const work = Promise.all(Array.from({ length: 8 }, worker));
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** Waits for background probes (bounded by the probe timeout each), for a clean shutdown. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  // ---------------------------------------------------------------- internals

  private async lockByName(manager: EntityManager, name: string): Promise<ConnectionEntity> {
    const row = await manager.getRepository(ConnectionEntity).createQueryBuilder('c').setLock('pessimistic_write').where('c.name = :name', { name }).getOne();
    if (!row) throw NOT_FOUND(name);
    return row;
  }

  private async reload(manager: EntityManager, id: number): Promise<ConnectionEntity> {
    const row = await manager.findOneBy(ConnectionEntity, { id });
    // Deleted between the write and this read: report it like any missing connection.
    if (!row) throw new AppError('NOT_FOUND', 'Connection was deleted meanwhile');
    return row;
  }

  /**
   * Probes outside any transaction (a probe may take PROBE_TIMEOUT_MS) and records the outcome only if no newer
   * change has asked for another probe meanwhile.
   */
  private async probeAndRecord(
    manager: EntityManager,
    id: number,
    generation: number,
    target: { host: string; port: number; user: string; password: string },
  ): Promise<ProbeOutcome> {
    const outcome = await this.probes.probe(target);
    if (outcome.status === 'skipped') return outcome;
    const changes: Partial<ConnectionEntity> =
      outcome.status === 'connected'
        ? { connected: true, pgVersion: outcome.version, lastProbeError: null, lastProbeAt: new Date() }
        : { connected: false, lastProbeError: outcome.error, lastProbeAt: new Date() };
    await manager
      .createQueryBuilder()
      .update(ConnectionEntity)
      .set(changes)
      .where('id = :id AND probe_generation = :generation AND enabled', { id, generation })
      .execute();
    return outcome;
  }
}

function pickSettings(data: Partial<MonitoringSettings>): Partial<MonitoringSettings> {
  return {
    collectionRate: data.collectionRate,
    samples: data.samples,
    lockMonitoring: data.lockMonitoring,
    lockMonitoringDelay: data.lockMonitoringDelay,
    tableMonitoring: data.tableMonitoring,
    queryMonitoring: data.queryMonitoring,
    queryMonitoringOptimize: data.queryMonitoringOptimize,
    queryMonitoringMinCalls: data.queryMonitoringMinCalls,
    queryMonitoringMinTime: data.queryMonitoringMinTime,
  };
}
