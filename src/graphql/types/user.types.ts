import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { PrivilegeEnum, ProfileEnum } from './enums';
import { NodeInterface } from './node.types';

@ObjectType({ simpleResolvers: true, description: 'What a user may do, derived from privilege, profile, roles and Live360 access.' })
export class Permissions {
  @Field({ description: 'May administer users, roles and connections (privilege ADMIN, profile DATA_ADMIN, no role).' })
  administer!: boolean;

  @Field({ description: 'May kill sessions and backends from the dashboards (privilege READ_WRITE or ADMIN).' })
  killSessions!: boolean;

  @Field({ description: 'May use Live360 (direct access to instances).' })
  live360!: boolean;

  @Field(() => [String], { description: 'Dashboard identifiers the user may open, e.g. `top-queries`.' })
  dashboards!: string[];
}

@ObjectType('User', { implements: NodeInterface, simpleResolvers: true, description: 'A person who signs in to the platform. Passwords are never returned.' })
export class UserType {
  @Field(() => ID, {
    description: 'Stable numeric identifier (the vendor API shows it), and the global id of the user (`node(id)`); use `email` in mutations.',
  })
  id!: number;

  @Field({ description: "Derived from the email's local part and made unique; users sign in with login or email." })
  login!: string;

  @Field({ description: 'Unique (case-insensitive); identifies the user in mutations and REST paths.' })
  email!: string;

  @Field(() => ProfileEnum, { description: 'Which dashboards the user sees; see `permissions.dashboards`.' })
  profile!: ProfileEnum;

  @Field(() => PrivilegeEnum, { description: 'What the user may do; see `permissions` for the derived flags.' })
  privilege!: PrivilegeEnum;

  @Field({ description: 'Access to Live360.' })
  live360!: boolean;

  @Field(() => String, { nullable: true, description: 'Free text written by an administrator; null when none.' })
  comment!: string | null;

  @Field({ description: 'Authenticated by the directory; no local password.' })
  ldap!: boolean;

  @Field({ description: 'When the user was created (ISO 8601, UTC).' })
  createdAt!: Date;

  @Field({ description: 'When the user was last changed (ISO 8601, UTC).' })
  updatedAt!: Date;
}

@InputType({ description: 'A new user.' })
export class CreateUserInput {
  @Field(() => String, { nullable: true, description: 'At least 8 characters. Required unless `ldap` is true.' })
  password?: string | null;

  @Field(() => PrivilegeEnum, { nullable: true, description: 'Default ADMIN.' })
  privilege?: PrivilegeEnum;

  @Field(() => ProfileEnum, { nullable: true, description: 'Default DATA_ADMIN.' })
  profile?: ProfileEnum;

  @Field({ nullable: true, description: 'Default true.' })
  live360?: boolean;

  @Field(() => [String], { nullable: true, description: 'Role names. No role = sees every connection.' })
  roles?: string[];

  @Field(() => String, { nullable: true, description: 'Free text, e.g. the team or ticket the account is for.' })
  comment?: string | null;

  @Field({ nullable: true, description: 'Default false.' })
  ldap?: boolean;
}

@InputType({ description: 'Changes to a user. Every field is optional; `roles` replaces the assignment.' })
export class UpdateUserInput {
  @Field(() => String, { nullable: true, description: 'A new password revokes every token of the user at once.' })
  password?: string | null;

  @Field(() => PrivilegeEnum, { nullable: true, description: 'New privilege; applies to the next request of the user.' })
  privilege?: PrivilegeEnum;

  @Field(() => ProfileEnum, { nullable: true, description: 'New profile; applies to the next request of the user.' })
  profile?: ProfileEnum;

  @Field({ nullable: true, description: 'Grant (true) or remove (false) access to Live360.' })
  live360?: boolean;

  @Field(() => [String], { nullable: true, description: 'The complete new list of role names (`[]` removes every restriction).' })
  roles?: string[];

  @Field(() => String, { nullable: true, description: 'Null clears the comment.' })
  comment?: string | null;

  @Field({ nullable: true, description: 'True: authenticate by the directory (the local password is removed); false needs a `password`.' })
  ldap?: boolean;
}
