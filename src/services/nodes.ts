/**
 * `node(id)` and `nodes(ids)`: objects by global id ({@link parseGlobalId}), each type under the rule that already
 * decides who may see it, so an id never reveals more than the list it came from:
 * - a connection: the caller's visible set (the same predicate as every connection query);
 * - a role: administrators, or a caller who holds it (as `me { roles }` shows it);
 * - a user: administrators, or the caller themselves (as `me`);
 * - an API key: administrators, or its owner (as `apiKeys`).
 * Anything else is `null`, exactly as for an id that names nothing, or is not an id at all: no existence oracle.
 *
 * Lookups go through per-request DataLoaders: `nodes` of 100 ids costs one statement per type, whatever the count.
 */
import DataLoader from 'dataloader';
import { In, type EntityManager } from 'typeorm';
import { canAdminister, visibility, type Principal } from '../context/principal';
import type { RequestContext } from '../context/request-context';
import type { EntityRowMapper } from '../db/row-mapper';
import { ApiKeyEntity } from '../entities/api-key.entity';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { RoleEntity } from '../entities/role.entity';
import type { UserEntity } from '../entities/user.entity';
import { badInput } from '../errors/app-error';
import { requireSignedIn } from './authorization';
import type { ConnectionQueries } from './connection-queries';
import { parseGlobalId } from './global-id';
import { MAX_PAGE_SIZE } from './pagination';

export type NodeEntity = ConnectionEntity | RoleEntity | UserEntity | ApiKeyEntity;

/** Spread into the request's loaders (which are all DataLoaders: a write clears them all). */
export interface NodeLoaders {
  nodeConnection: DataLoader<string, ConnectionEntity | null>;
  nodeRole: DataLoader<string, RoleEntity | null>;
  nodeUser: DataLoader<number, UserEntity | null>;
  nodeApiKey: DataLoader<string, ApiKeyEntity | null>;
}

export interface NodeSources {
  manager: EntityManager;
  mappers: { user: EntityRowMapper<UserEntity>; role: EntityRowMapper<RoleEntity> };
  connectionQueries: ConnectionQueries;
}

/** Answers in key order; a key with no row is `null`. */
function byKey<K, T>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): (T | null)[] {
  const found = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => found.get(key) ?? null);
}

/** Per-request loaders for one caller (never share them between callers: each has that caller's rules in it). */
export function createNodeLoaders(sources: NodeSources, principal: Principal | null): NodeLoaders {
  const { manager, mappers } = sources;
  const admin = principal !== null && canAdminister(principal);
  const none = <K, T>(keys: readonly K[]) => keys.map((): T | null => null);
  return {
    nodeConnection: new DataLoader(async (names) => {
      if (!principal) return none(names);
      const rows = await sources.connectionQueries.byNames(manager, visibility(principal), names);
      return byKey(names, rows, (row) => row.name);
    }),
    nodeRole: new DataLoader(async (names) => {
      if (!principal) return none(names);
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ${mappers.role.selectList('r')} FROM roles r WHERE r.name = ANY($1::text[])` + (admin ? '' : ` AND r.id = ANY($2::int[])`),
        admin ? [names] : [names, principal.roleIds],
      );
      return byKey(
        names,
        rows.map((row) => mappers.role.map(row)),
        (role) => role.name,
      );
    }),
    nodeUser: new DataLoader(async (ids) => {
      if (!principal) return none(ids);
      const wanted = admin ? ids : ids.filter((id) => id === principal.userId);
      const rows: Record<string, unknown>[] = wanted.length
        ? await manager.query(`SELECT ${mappers.user.selectList('u')} FROM users u WHERE u.id = ANY($1::int[])`, [wanted])
        : [];
      return byKey(
        ids,
        rows.map((row) => mappers.user.map(row)),
        (user) => user.id,
      );
    }),
    nodeApiKey: new DataLoader(async (ids) => {
      if (!principal) return none(ids);
      const rows = await manager.find(ApiKeyEntity, {
        where: admin ? { id: In([...ids]) } : { id: In([...ids]), userId: principal.userId },
        relations: { owner: true },
      });
      return byKey(ids, rows, (key) => key.id);
    }),
  };
}

export class NodeService {
  /**
   * The objects these ids name, in order; `null` for each the caller may not see, that does not exist, or that is
   * not an id.
   * @throws AppError BAD_USER_INPUT for more than {@link MAX_PAGE_SIZE} ids.
   */
  async resolve(ctx: RequestContext, ids: readonly string[]): Promise<(NodeEntity | null)[]> {
    requireSignedIn(ctx);
    if (ids.length > MAX_PAGE_SIZE) throw badInput(`At most ${MAX_PAGE_SIZE} ids`, 'ids');
    return Promise.all(
      ids.map(async (id): Promise<NodeEntity | null> => {
        const parsed = parseGlobalId(id);
        switch (parsed?.type) {
          case 'Connection':
            return ctx.loaders.nodeConnection.load(parsed.key);
          case 'Role':
            return ctx.loaders.nodeRole.load(parsed.key);
          case 'User':
            return ctx.loaders.nodeUser.load(Number(parsed.key));
          case 'ApiKey':
            return ctx.loaders.nodeApiKey.load(parsed.key);
          default:
            return null;
        }
      }),
    );
  }
}
