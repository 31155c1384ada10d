/**
 * Per-request DataLoaders. They are created for one request and one caller, and the connection loaders AND the
 * caller's visibility into every query they send, so a batch can never return what its caller may not see. A loader
 * shared between callers would be a leak; never hoist these to module scope.
 */
import DataLoader from 'dataloader';
import { MATCH_NOTHING, type ConnectionPredicate } from '../access/predicate';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { RoleEntity } from '../entities/role.entity';
import type { UserEntity } from '../entities/user.entity';
import type { Services } from '../services';
import type { ConnectionPageQuery, ConnectionQuery } from '../services/connection-queries';
import type { Page } from '../services/pagination';
import { visibility, type Principal } from './principal';

export interface Loaders {
  /** Roles held by a user, sorted by name. */
  rolesOfUser: DataLoader<number, RoleEntity[]>;
  /** Users holding a role, sorted by login. */
  usersOfRole: DataLoader<number, UserEntity[]>;
  /** A page of connections, within the caller's visibility. */
  connectionPage: DataLoader<ConnectionPageQuery, Page<ConnectionEntity>, string>;
  /** A number of connections, within the caller's visibility. */
  connectionCount: DataLoader<ConnectionQuery, number, string>;
}

const queryKey = (q: ConnectionQuery | ConnectionPageQuery) => JSON.stringify(q);

export function createLoaders(services: Services, principal: Principal | null): Loaders {
  const manager = services.dataSource.manager;
  const scope: ConnectionPredicate = principal ? visibility(principal) : MATCH_NOTHING;
  const scopedPage = (q: ConnectionPageQuery): ConnectionPageQuery => ({ ...q, predicate: [...scope, ...q.predicate] });
  const scopedCount = (q: ConnectionQuery): ConnectionQuery => ({ ...q, predicate: [...scope, ...q.predicate] });

  return {
    rolesOfUser: new DataLoader(async (userIds) => {
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ur.user_id AS owner_id, ${services.mappers.role.selectList('r')} FROM user_roles ur ` +
          `JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ANY($1::int[]) ORDER BY r.name`,
        [userIds],
      );
      return groupBy(userIds, rows, (row) => services.mappers.role.map(row));
    }),
    usersOfRole: new DataLoader(async (roleIds) => {
      const rows: Record<string, unknown>[] = await manager.query(
        `SELECT ur.role_id AS owner_id, ${services.mappers.user.selectList('u')} FROM user_roles ur ` +
          `JOIN users u ON u.id = ur.user_id WHERE ur.role_id = ANY($1::int[]) ORDER BY u.login`,
        [roleIds],
      );
      return groupBy(roleIds, rows, (row) => services.mappers.user.map(row));
    }),
    connectionPage: new DataLoader<ConnectionPageQuery, Page<ConnectionEntity>, string>((queries) => services.connectionQueries.pages(manager, queries.map(scopedPage)), {
      cacheKeyFn: queryKey,
    }),
    connectionCount: new DataLoader<ConnectionQuery, number, string>((queries) => services.connectionQueries.counts(manager, queries.map(scopedCount)), {
      cacheKeyFn: queryKey,
    }),
  };
}

function groupBy<T>(keys: readonly number[], rows: Record<string, unknown>[], map: (row: Record<string, unknown>) => T): T[][] {
  const byKey = new Map<number, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) byKey.get(Number(row.owner_id))?.push(map(row));
  return keys.map((k) => byKey.get(k)!);
}
