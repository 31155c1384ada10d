/**
 * The exact JSON shapes of the REST compatibility API (docs/rest.md), built field by field from the entities,
 * so nothing the entity gains later (password hash, sealed password, probe error ...) can leak into a response.
 * Every DTO type is the output type of its zod schema in src/rest/schemas.ts, the one the OpenAPI document is
 * generated from: a DTO that strays from the document does not compile.
 */
import type { z } from 'zod';
import { formatTagString } from '../access/tags';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { RoleEntity } from '../entities/role.entity';
import type { UserEntity } from '../entities/user.entity';
import type { TokenDetails } from '../services/auth.service';
import { MONITORING_SETTING_ROWS, type MONITORING_SETTINGS, type MonitoringSettingName } from '../services/connections';
import type { connectionBody, roleDisplayBody, serviceInfoBody, statusBody, tokenBody, tokenDetailsBody, userDisplayBody } from './schemas';
import { PASSWORD_MASK } from './schemas';

export { PASSWORD_MASK };

/** A successful write: exactly one key (the vendor's scripts fail on any other). */
export type StatusDto = z.output<typeof statusBody>;

export const statusDto = (status: string): StatusDto => ({ status });

export type TokenDto = z.output<typeof tokenBody>;

export const tokenDto = (token: string): TokenDto => ({ 'user-token': token });

export type TokenDetailsDto = z.output<typeof tokenDetailsBody>;

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

export type ConnectionDto = z.output<typeof connectionBody>;
type SettingRestKey = (typeof MONITORING_SETTINGS)[MonitoringSettingName]['rest'];

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
    ...(Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.rest, c[s.name]])) as Pick<ConnectionDto, SettingRestKey>),
  };
}

export type RoleDto = z.output<typeof roleDisplayBody>;

export function roleDto(role: RoleEntity): RoleDto {
  return {
    name: role.name,
    access: role.access.map((group) => ({ filters: group.filters.map((f) => ({ tag: f.tag, value: f.value })) })),
  };
}

export type UserDto = z.output<typeof userDisplayBody>;

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

export type ServiceInfoDto = z.output<typeof serviceInfoBody>;
