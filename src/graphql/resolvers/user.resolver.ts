import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RoleEntity } from '../../entities/role.entity';
import type { UserEntity } from '../../entities/user.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import { permissionsOf, type Permissions as PermissionSet } from '../../services/user.service';
import { ADMIN } from '../auth-checker';
import { projected } from '../connection-projection';
import type { GraphQLContext } from '../context';
import { pagingInput } from '../paging';
import { ConnectionFilter, ConnectionPage } from '../types/connection.types';
import { ConnectionPagingArgs } from '../types/relay.types';
import { RoleType } from '../types/role.types';
import { CreateUserInput, Permissions, UpdateUserInput, UserType } from '../types/user.types';

@Resolver(() => UserType)
export class UserResolver {
  @Authorized()
  @Query(() => UserType, { description: 'The signed-in user.' })
  me(@Ctx() ctx: GraphQLContext): Promise<UserEntity> {
    return ctx.services.users.me(ctx);
  }

  @Authorized(ADMIN)
  @Query(() => [UserType], { description: 'Every user, sorted by login (administration).' })
  users(@Ctx() ctx: GraphQLContext): Promise<UserEntity[]> {
    return ctx.services.users.list(ctx);
  }

  @Authorized(ADMIN)
  @Query(() => UserType, { nullable: true, description: 'A user by email (case-insensitive); null when absent.' })
  user(@Ctx() ctx: GraphQLContext, @Arg('email', { description: 'Email of the user (case-insensitive).' }) email: string): Promise<UserEntity | null> {
    return ctx.services.users.get(ctx, email);
  }

  @Authorized(ADMIN)
  @Mutation(() => UserType, { description: 'Creates a user; the login is derived from the email.' })
  createUser(
    @Ctx() ctx: GraphQLContext,
    @Arg('email', { description: 'Email of the new user, unique (case-insensitive); the login is derived from its local part.' }) email: string,
    @Arg('input', () => CreateUserInput, { description: 'Password, privilege, profile, roles and the other settings of the user.' }) input: CreateUserInput,
  ): Promise<UserEntity> {
    return ctx.services.users.create(ctx, email, { ...input });
  }

  @Authorized(ADMIN)
  @Mutation(() => UserType, {
    description:
      'Fails with LAST_ADMIN when it would leave no unrestricted administrator who can sign in (with a local password: switching the last one to LDAP is refused too).',
  })
  updateUser(
    @Ctx() ctx: GraphQLContext,
    @Arg('email', { description: 'Email of the user (case-insensitive).' }) email: string,
    @Arg('input', () => UpdateUserInput, { description: 'Only the fields to change; omitted fields keep their value.' }) input: UpdateUserInput,
  ): Promise<UserEntity> {
    return ctx.services.users.update(ctx, email, { ...input });
  }

  @Authorized(ADMIN)
  @Mutation(() => Boolean, { description: 'Deletes a user and revokes their tokens at once. Fails with LAST_ADMIN for the last unrestricted administrator.' })
  async deleteUser(@Ctx() ctx: GraphQLContext, @Arg('email', { description: 'Email of the user (case-insensitive).' }) email: string): Promise<boolean> {
    await ctx.services.users.delete(ctx, email);
    return true;
  }

  @FieldResolver(() => [RoleType], { description: 'Roles held, sorted by name.' })
  roles(@Ctx() ctx: GraphQLContext, @Root() user: UserEntity): Promise<RoleEntity[]> {
    return ctx.loaders.rolesOfUser.load(user.id);
  }

  @FieldResolver(() => Boolean, { description: 'True when the user holds at least one role and so sees only what the roles match.' })
  async restricted(@Ctx() ctx: GraphQLContext, @Root() user: UserEntity): Promise<boolean> {
    return (await ctx.loaders.rolesOfUser.load(user.id)).length > 0;
  }

  @FieldResolver(() => Permissions, { description: 'What the user may do; dashboards use it to show or hide features.' })
  async permissions(@Ctx() ctx: GraphQLContext, @Root() user: UserEntity): Promise<PermissionSet> {
    return permissionsOf(user, (await ctx.loaders.rolesOfUser.load(user.id)).length);
  }

  @FieldResolver(() => ConnectionPage, { description: 'The connections this user can see (within what the caller can see).' })
  connections(
    @Ctx() ctx: GraphQLContext,
    @Root() user: UserEntity,
    @Args(() => ConnectionPagingArgs) paging: ConnectionPagingArgs,
    @Arg('filter', () => ConnectionFilter, {
      nullable: true,
      description: 'Optional conditions (tags, enabled, connected, search); omit for everything this user can see.',
    })
    filter: ConnectionFilter | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ConnectionPageResult> {
    return projected(ctx.services.users.connectionsOf(ctx, user, pagingInput(paging, info), filter), info, ctx.services.mappers.connection);
  }
}
