/**
 * Per-request DataLoaders. They are created for one request and one caller, and the connection loaders AND the
 * caller's visibility into every query they send, so a batch can never return what its caller may not see. A loader
 * shared between callers would be a leak; never hoist these to module scope. They only batch and cache: the SQL
 * is the services' (src/services/assignment-queries.ts, src/services/connection-queries.ts).
 */
import DataLoader from 'dataloader';
import { MATCH_NOTHING, type ConnectionPredicate } from '../access/predicate';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { RoleEntity } from '../entities/role.entity';
import type { UserEntity } from '../entities/user.entity';
import type { Services } from '../services';
import type { ConnectionPageQuery, ConnectionQuery } from '../services/connection-queries';
import type { Page } from '../services/pagination';
import { audienceCounts, audiencePageKey, audiencePages, rolesOfConnections, type AudiencePageQuery } from '../services/governance/audience';
import type { KeysetPage } from '../services/connections/order';
import { createNodeLoaders, type NodeLoaders } from '../services/nodes';
import { visibility, type Principal } from './principal';

/** Besides these, objects by global id, each type under its visibility rule (src/services/nodes.ts). */
export interface Loaders extends NodeLoaders {
  /** Roles held by a user, sorted by name. */
  rolesOfUser: DataLoader<number, RoleEntity[]>;
  /** Users holding a role, sorted by login; see {@link UsersOfRoleKey}. */
  usersOfRole: DataLoader<UsersOfRoleKey, UserEntity[], string>;
  /** A page of connections, within the caller's visibility. */
  connectionPage: DataLoader<ConnectionPageQuery, KeysetPage<ConnectionEntity>, string>;
  /** A number of connections, within the caller's visibility. */
  connectionCount: DataLoader<ConnectionQuery, number, string>;
  /** Roles matching a connection, sorted by name (administrators: src/services/governance/audience.ts). */
  rolesOfConnection: DataLoader<number, RoleEntity[]>;
  /** A page of the users who can see a connection, sorted by login (administrators). */
  audiencePage: DataLoader<AudiencePageQuery, Page<UserEntity>, string>;
  /** How many users can see a connection, by connection id (administrators). */
  audienceCount: DataLoader<number, number>;
}

const queryKeys = new WeakMap<ConnectionQuery, string>();
/** A query's cache key, remembered per query object (a page asks for its items from several fields). */
function queryKey(q: ConnectionQuery | ConnectionPageQuery): string {
  let key = queryKeys.get(q);
  if (key === undefined) queryKeys.set(q, (key = JSON.stringify(q)));
  return key;
}

export interface UsersOfRoleKey {
  roleId: number;
  /**
   * Only these entity properties (and `id`) are read and set; all of them when absent. For a GraphQL selection of
   * plain columns (`users { login }` over every role is thousands of rows): the rest of each row is never read.
   */
  props?: readonly string[];
}

const propsKeys = new WeakMap<readonly string[], string>();
/** The column set of a key, as text; remembered per array (resolvers pass the same array for every role). */
function propsKey(props: readonly string[] | undefined): string {
  if (!props) return '*';
  let key = propsKeys.get(props);
  if (key === undefined) propsKeys.set(props, (key = [...new Set(['id', ...props])].sort().join(',')));
  return key;
}

export function createLoaders(services: Services, principal: Principal | null, freshness: { mark: number }): Loaders {
  const manager = services.dataSource.manager;
  const scope: ConnectionPredicate = principal ? visibility(principal) : MATCH_NOTHING;
  const scopedPage = (q: ConnectionPageQuery): ConnectionPageQuery => ({ ...q, predicate: [...scope, ...q.predicate] });
  const scopedCount = (q: ConnectionQuery): ConnectionQuery => ({ ...q, predicate: [...scope, ...q.predicate] });

  return {
    ...createNodeLoaders({ manager, mappers: services.mappers, connectionQueries: services.connectionQueries }, principal),
    rolesOfUser: new DataLoader((userIds) => services.assignments.rolesOfUsers(manager, userIds)),
    usersOfRole: new DataLoader<UsersOfRoleKey, UserEntity[], string>(
      async (keys) => {
        // One statement per distinct column set (in practice one).
        const byColumns = new Map<string, number[]>();
        for (const key of keys) {
          const columns = propsKey(key.props);
          const roleIds = byColumns.get(columns);
          if (roleIds) roleIds.push(key.roleId);
          else byColumns.set(columns, [key.roleId]);
        }
        const answers = new Map<string, UserEntity[]>();
        // The administrators' overview asks every role's users on every load: kept per replica between changes.
        const view = await services.assignmentCache.view(freshness.mark, manager);
        for (const [columns, roleIds] of byColumns) {
          const missing = roleIds.filter((roleId) => {
            const cached = view?.get(`users:${roleId}|${columns}`) as readonly UserEntity[] | undefined;
            if (cached) answers.set(`${roleId}|${columns}`, [...cached]);
            return !cached;
          });
          if (missing.length === 0) continue;
          const props = columns === '*' ? undefined : new Set(columns.split(','));
          const grouped = await services.assignments.usersOfRoles(manager, missing, props);
          missing.forEach((roleId, i) => {
            answers.set(`${roleId}|${columns}`, grouped[i]!);
            view?.set(`users:${roleId}|${columns}`, [...grouped[i]!]);
          });
        }
        return keys.map((key) => answers.get(`${key.roleId}|${propsKey(key.props)}`)!);
      },
      { cacheKeyFn: (key) => `${key.roleId}|${propsKey(key.props)}` },
    ),
    connectionPage: new DataLoader<ConnectionPageQuery, KeysetPage<ConnectionEntity>, string>(
      (queries) => services.connectionQueries.pages(manager, queries.map(scopedPage)),
      {
        cacheKeyFn: queryKey,
      },
    ),
    connectionCount: new DataLoader<ConnectionQuery, number, string>(
      (queries) => services.connectionQueries.counts(manager, queries.map(scopedCount), () => services.membershipCache.view(freshness.mark, manager)),
      { cacheKeyFn: queryKey },
    ),
    rolesOfConnection: new DataLoader((ids) => rolesOfConnections(manager, services.mappers.role, ids)),
    audiencePage: new DataLoader((queries) => audiencePages(manager, services.mappers.user, queries), { cacheKeyFn: audiencePageKey }),
    audienceCount: new DataLoader((ids) => audienceCounts(manager, ids)),
  };
}
