import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RoleEntity } from '../../entities/role.entity';
import type { UserEntity } from '../../entities/user.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import { ADMIN } from '../auth-checker';
import { projected } from '../connection-projection';
import type { GraphQLContext } from '../context';
import { globalIdOf } from '../../services/global-id';
import { pagingInput } from '../paging';
import { ConnectionPage } from '../types/connection.types';
import { ConnectionPagingArgs } from '../types/relay.types';
import { RoleType } from '../types/role.types';
import { AccessGroupInput } from '../types/tag.types';
import { plainSelection } from '../selection';
import { UserType } from '../types/user.types';

@Resolver(() => RoleType)
export class RoleResolver {
  @Authorized(ADMIN)
  @Query(() => [RoleType], { description: 'Every role, sorted by name (administration).' })
  roles(@Ctx() ctx: GraphQLContext): Promise<RoleEntity[]> {
    return ctx.services.roles.list(ctx);
  }

  @Authorized(ADMIN)
  @Query(() => RoleType, { nullable: true, description: 'A role by name; null when absent (administration).' })
  role(@Ctx() ctx: GraphQLContext, @Arg('name', { description: 'Name of the role, e.g. `sales-role`.' }) name: string): Promise<RoleEntity | null> {
    return ctx.services.roles.get(ctx, name);
  }

  @Authorized(ADMIN)
  @Query(() => ConnectionPage, { description: 'Dry run of an access rule: the connections a role with it would match now.' })
  previewAccess(
    @Ctx() ctx: GraphQLContext,
    @Arg('access', () => [AccessGroupInput], { description: 'The access rule to try, exactly as `createRole` would take it.' })
    access: AccessGroupInput[],
    @Args(() => ConnectionPagingArgs) paging: ConnectionPagingArgs,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionPageResult {
    return projected(ctx.services.roles.preview(ctx, access, pagingInput(paging, info)), info, ctx.services.mappers.connection);
  }

  @Authorized(ADMIN)
  @Mutation(() => RoleType, { description: 'Creates a role. Filters may name tags no connection carries yet: they match nothing until one does.' })
  createRole(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Unique name of the new role: 1-64 of `A-Z a-z 0-9 _ . -`.' }) name: string,
    @Arg('access', () => [AccessGroupInput], { description: 'The access rule: OR of groups, each an AND of tag filters; at least one non-empty group.' })
    access: AccessGroupInput[],
  ): Promise<RoleEntity> {
    return ctx.services.roles.create(ctx, name, access);
  }

  @Authorized(ADMIN)
  @Mutation(() => RoleType, { description: 'Replaces the access rule; holders see the change on their next request.' })
  updateRole(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the role, e.g. `sales-role`.' }) name: string,
    @Arg('access', () => [AccessGroupInput], { description: 'The complete new access rule (replaces the current one).' }) access: AccessGroupInput[],
  ): Promise<RoleEntity> {
    return ctx.services.roles.update(ctx, name, access);
  }

  @Authorized(ADMIN)
  @Mutation(() => Boolean, { description: 'Fails with ROLE_IN_USE while a user holds the role.' })
  async deleteRole(@Ctx() ctx: GraphQLContext, @Arg('name', { description: 'Name of the role, e.g. `sales-role`.' }) name: string): Promise<boolean> {
    await ctx.services.roles.delete(ctx, name);
    return true;
  }

  @FieldResolver(() => ID, { description: 'Opaque global identifier (Relay `Node`); `node(id)` finds the role again.' })
  id(@Root() role: RoleEntity): string {
    return globalIdOf('Role', role.name);
  }

  @Authorized(ADMIN)
  @FieldResolver(() => [UserType], { description: 'Users holding this role, sorted by login (administrators only).' })
  users(@Ctx() ctx: GraphQLContext, @Root() role: RoleEntity, @Info() info: GraphQLResolveInfo): Promise<UserEntity[]> {
    // A selection of plain columns only (`users { login }`) reads just those columns: no other resolver will see
    // these entities. Anything else (a field with its own resolver, @skip/@include) reads whole rows.
    const plain = plainSelection(info);
    return ctx.loaders.usersOfRole.load({ roleId: role.id, props: plain && ctx.services.mappers.user.isSubset(plain) ? plain : undefined });
  }

  @FieldResolver(() => ConnectionPage, { description: 'The connections the filters match now (within what the caller can see).' })
  connections(
    @Ctx() ctx: GraphQLContext,
    @Root() role: RoleEntity,
    @Args(() => ConnectionPagingArgs) paging: ConnectionPagingArgs,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionPageResult {
    return projected(ctx.services.roles.connectionsOf(ctx, role, pagingInput(paging, info)), info, ctx.services.mappers.connection);
  }

  @FieldResolver(() => Int, { description: 'How many connections the filters match now (within what the caller can see).' })
  connectionCount(@Ctx() ctx: GraphQLContext, @Root() role: RoleEntity): Promise<number> {
    return ctx.services.roles.connectionCountOf(ctx, role);
  }
}
