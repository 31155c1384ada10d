import { Entity, PrimaryColumn } from 'typeorm';

/** Assignment of a role to a user. */
@Entity('user_roles')
export class UserRoleEntity {
  @PrimaryColumn('integer', { name: 'user_id' })
  userId!: number;

  @PrimaryColumn('integer', { name: 'role_id' })
  roleId!: number;
}
