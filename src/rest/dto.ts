/**
 * The exact JSON shapes of the REST compatibility API (CONTRACT section 3), built field by field from the entities,
 * so nothing the entity gains later (password hash, sealed password, probe error ...) can leak into a response.
 */
import type { AccessRule } from '../access/access-rule';
import { formatTagString } from '../access/tags';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { RoleEntity } from '../entities/role.entity';
import type { Privilege, Profile, UserEntity } from '../entities/user.entity';
import type { TokenDetails } from '../services/auth.service';

/** What REST shows in place of a connection password (write-only everywhere). */
export const PASSWORD_MASK = '********';

/** A successful write: exactly one key (the vendor's scripts fail on any other). */
export interface StatusDto {
  status: string;
}

export const statusDto = (status: string): StatusDto => ({ status });

export interface TokenDto {
  'user-token': string;
}

export const tokenDto = (token: string): TokenDto => ({ 'user-token': token });

export interface TokenDetailsDto {
  email: string;
  /** `YYYY-MM-DD HH:MM:SS`, UTC. */
  expire_time: string;
  organization_name: string;
  user: string;
}

/** `2020-04-28T13:58:53.000Z` → `2020-04-28 13:58:53` (UTC, the vendor's format). */
export function vendorDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function tokenDetailsDto(details: TokenDetails): TokenDetailsDto {
  return {
    email: details.email,
    expire_time: vendorDateTime(details.expireTime),
    organization_name: details.organizationName,
    user: details.user,
  };
}

export interface ConnectionDto {
  name: string;
  host: string;
  port: number;
  user: string;
  password: typeof PASSWORD_MASK;
  /** User tags as `k1=v1,k2=v2` (automatic tags are not shown: they cannot be written back). */
  tags: string;
  enabled: boolean;
  connected: boolean;
  'collection-rate': string;
  samples: boolean;
  'lock-monitoring': boolean;
  'lock-monitoring-delay': number;
  'table-monitoring': boolean;
  'query-monitoring': boolean;
  'query-monitoring-optimize': boolean;
  'query-monitoring-min-calls': number;
  'query-monitoring-min-time': number;
}

export function connectionDto(c: ConnectionEntity): ConnectionDto {
  return {
    name: c.name,
    host: c.host,
    port: c.port,
    user: c.username,
    password: PASSWORD_MASK,
    tags: formatTagString(c.userTags),
    enabled: c.enabled,
    connected: c.connected,
    'collection-rate': c.collectionRate,
    samples: c.samples,
    'lock-monitoring': c.lockMonitoring,
    'lock-monitoring-delay': c.lockMonitoringDelay,
    'table-monitoring': c.tableMonitoring,
    'query-monitoring': c.queryMonitoring,
    'query-monitoring-optimize': c.queryMonitoringOptimize,
    'query-monitoring-min-calls': c.queryMonitoringMinCalls,
    'query-monitoring-min-time': c.queryMonitoringMinTime,
  };
}

export interface RoleDto {
  name: string;
  access: AccessRule;
}

export function roleDto(role: RoleEntity): RoleDto {
  return {
    name: role.name,
    access: role.access.map((group) => ({ filters: group.filters.map((f) => ({ tag: f.tag, value: f.value })) })),
  };
}

export interface UserDto {
  id: number;
  login: string;
  email: string;
  profile: Profile;
  privilege: Privilege;
  /** Every role held, sorted by name. */
  roles: string[];
  /**
   * The older single-role field: the first role (by name) when the user holds any, `null` when they hold none
   * (unrestricted). Kept for the vendor's scripts, which read and write `role`.
   */
  role: string | null;
  live_360: 0 | 1;
  comment: string | null;
  ldap: boolean;
}

/** `roles` must be the user's roles sorted by name (what `ctx.loaders.rolesOfUser` returns). */
export function userDto(user: UserEntity, roles: readonly RoleEntity[]): UserDto {
  const names = roles.map((r) => r.name);
  return {
    id: user.id,
    login: user.login,
    email: user.email,
    profile: user.profile,
    privilege: user.privilege,
    roles: names,
    role: names[0] ?? null,
    live_360: user.live360 ? 1 : 0,
    comment: user.comment,
    ldap: user.ldap,
  };
}

export interface ServiceInfoDto {
  service: string;
  version: string;
  api: string;
}
