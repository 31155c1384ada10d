import { ApiKeyEntity } from './api-key.entity';
import { ConnectionEntity } from './connection.entity';
import { RoleEntity } from './role.entity';
import { SettingEntity } from './setting.entity';
import { UserRoleEntity } from './user-role.entity';
import { UserEntity } from './user.entity';

export { ApiKeyEntity, ConnectionEntity, RoleEntity, SettingEntity, UserEntity, UserRoleEntity };
export const entities = [UserEntity, RoleEntity, UserRoleEntity, ConnectionEntity, SettingEntity, ApiKeyEntity];
