/**
 * The SQL that reads role assignments (`user_roles`) in batches: the roles of many users, the users of many roles,
 * one statement each. The per-request DataLoaders (src/context/loaders.ts) call these; they hold no SQL themselves.
 * Column lists come from the entity row mappers (src/db/row-mapper.ts), the one place that names columns.
 */
import type { EntityManager } from 'typeorm';
import type { EntityRowMapper } from '../db/row-mapper';
import type { RoleEntity } from '../entities/role.entity';
import type { UserEntity } from '../entities/user.entity';

export class AssignmentQueries {
  constructor(private readonly mappers: { user: EntityRowMapper<UserEntity>; role: EntityRowMapper<RoleEntity> }) {}

  /** The roles of each user of `userIds` (in that order), sorted by name. */
  async rolesOfUsers(manager: EntityManager, userIds: readonly number[]): Promise<RoleEntity[][]> {
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ur.user_id AS owner_id, ${this.mappers.role.selectList('r')} FROM user_roles ur ` +
        `JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = ANY($1::int[]) ORDER BY r.name`,
      [userIds],
    );
    return groupBy(userIds, rows, (row) => this.mappers.role.map(row));
  }

  /**
   * The users holding each role of `roleIds` (in that order), sorted by login. `props`: only these entity properties
   * (and `id`) are read and set; all of them when absent.
   */
  async usersOfRoles(manager: EntityManager, roleIds: readonly number[], props?: ReadonlySet<string>): Promise<UserEntity[][]> {
    const rows: Record<string, unknown>[] = await manager.query(
      `SELECT ur.role_id AS owner_id, ${this.mappers.user.selectList('u', props)} FROM user_roles ur ` +
        `JOIN users u ON u.id = ur.user_id WHERE ur.role_id = ANY($1::int[]) ORDER BY u.login`,
      [roleIds],
    );
    return groupBy(roleIds, rows, (row) => this.mappers.user.map(row, props));
  }
}

function groupBy<T>(keys: readonly number[], rows: Record<string, unknown>[], map: (row: Record<string, unknown>) => T): T[][] {
  const byKey = new Map<number, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) byKey.get(Number(row.owner_id))?.push(map(row));
  return keys.map((k) => byKey.get(k)!);
}
