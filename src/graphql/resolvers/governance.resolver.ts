/** Access governance (CONTRACT section 5): thin adapters over src/services/governance/. */
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, Info, Int, Query, Resolver, Root } from 'type-graphql';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { RoleEntity } from '../../entities/role.entity';
import type { UserEntity } from '../../entities/user.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import type { UserPageResult } from '../../services/governance/audience';
import type { AccessExplanationResult } from '../../services/governance/explain';
import type { AccessImpactResult } from '../../services/governance/impact';
import { encodeCursor } from '../../services/pagination';
import { ADMIN } from '../auth-checker';
import { projected } from '../connection-projection';
import type { GraphQLContext } from '../context';
import { AFTER_ARG, ConnectionPage, ConnectionType, FIRST_ARG, PageInfo } from '../types/connection.types';
import { AccessExplanation, AccessImpact, UserEdge, UserPage } from '../types/governance.types';
import { RoleType } from '../types/role.types';
import { AccessGroupInput } from '../types/tag.types';
import { UserType } from '../types/user.types';

@Resolver()
export class GovernanceResolver {
  @Authorized()
  @Query(() => AccessExplanation, {
    description:
      'Why a user sees a connection or not (UNRESTRICTED, ROLE_MATCH with the matching groups, NO_MATCH with the first failing filter of each group). ' +
      'Administrators may ask about anyone; any user about themselves, for the connections they can see (others are NOT_FOUND, like a missing name).',
  })
  explainAccess(
    @Ctx() ctx: GraphQLContext,
    @Arg('login', { description: 'Login (or email) of the user, case-insensitive.' }) login: string,
    @Arg('connection', { description: 'Name of the connection.' }) connection: string,
  ): Promise<AccessExplanationResult> {
    return ctx.services.governance.explain.explain(ctx, login, connection);
  }

  @Authorized(ADMIN)
  @Query(() => AccessImpact, {
    description: 'What `updateRole(name, access)` would add and remove, and for whom; nothing is saved. Same errors as `updateRole`.',
  })
  roleChangeImpact(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the role, e.g. `sales-role`.' }) name: string,
    @Arg('access', () => [AccessGroupInput], { description: 'The complete new access rule, exactly as `updateRole` would take it.' })
    access: AccessGroupInput[],
  ): Promise<AccessImpactResult> {
    return ctx.services.governance.impact.roleChange(ctx, name, access);
  }

  @Authorized(ADMIN)
  @Query(() => AccessImpact, {
    description: "What `updateUser(email, { roles })` would add to and remove from the user's connections; nothing is saved. Same errors as `updateUser`.",
  })
  userRolesImpact(
    @Ctx() ctx: GraphQLContext,
    @Arg('email', { description: 'Email of the user (case-insensitive).' }) email: string,
    @Arg('roles', () => [String], { description: 'The complete new list of role names (`[]`: no restriction).' }) roles: string[],
  ): Promise<AccessImpactResult> {
    return ctx.services.governance.impact.userRolesChange(ctx, email, roles);
  }
}

@Resolver(() => AccessImpact)
export class AccessImpactResolver {
  @FieldResolver(() => ConnectionPage, { description: 'Connections visible after the change and not before, sorted by name.' })
  added(
    @Ctx() ctx: GraphQLContext,
    @Root() impact: AccessImpactResult,
    @Arg('first', () => Int, FIRST_ARG) first: number | null,
    @Arg('after', () => String, AFTER_ARG) after: string | null,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionPageResult {
    return projected(impact.added(first, after), info, ctx.services.mappers.connection);
  }

  @FieldResolver(() => ConnectionPage, { description: 'Connections visible before the change and not after, sorted by name.' })
  removed(
    @Ctx() ctx: GraphQLContext,
    @Root() impact: AccessImpactResult,
    @Arg('first', () => Int, FIRST_ARG) first: number | null,
    @Arg('after', () => String, AFTER_ARG) after: string | null,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionPageResult {
    return projected(impact.removed(first, after), info, ctx.services.mappers.connection);
  }

  @FieldResolver(() => Int, { description: 'How many connections `added` holds in all.' })
  addedCount(@Root() impact: AccessImpactResult): Promise<number> {
    return impact.addedCount();
  }

  @FieldResolver(() => Int, { description: 'How many connections `removed` holds in all.' })
  removedCount(@Root() impact: AccessImpactResult): Promise<number> {
    return impact.removedCount();
  }

  @FieldResolver(() => [UserType], {
    description:
      'Users whose visible connections change, sorted by login. For a role: its holders, except those whose other roles already match every added and removed connection.',
  })
  affectedUsers(@Root() impact: AccessImpactResult): Promise<UserEntity[]> {
    return impact.affectedUsers();
  }
}

@Resolver(() => ConnectionType)
export class ConnectionAudienceResolver {
  @Authorized(ADMIN)
  @FieldResolver(() => [RoleType], { description: 'Roles whose filters match this connection now, sorted by name (administrators only).' })
  roles(@Ctx() ctx: GraphQLContext, @Root() connection: ConnectionEntity): Promise<RoleEntity[]> {
    return ctx.services.governance.audience.rolesOf(ctx, connection);
  }

  @Authorized(ADMIN)
  @FieldResolver(() => UserPage, { description: 'Users who can see this connection (users without roles included), sorted by login (administrators only).' })
  visibleTo(
    @Ctx() ctx: GraphQLContext,
    @Root() connection: ConnectionEntity,
    @Arg('first', () => Int, FIRST_ARG) first: number | null,
    @Arg('after', () => String, AFTER_ARG) after: string | null,
  ): UserPageResult {
    return ctx.services.governance.audience.visibleTo(ctx, connection, first, after);
  }
}

/** Resolves the parts of a user page lazily, so `totalCount` is computed only when selected. */
@Resolver(() => UserPage)
export class UserPageResolver {
  @FieldResolver(() => [UserEdge])
  async edges(@Root() page: UserPageResult): Promise<{ cursor: string; node: UserEntity }[]> {
    const { items } = await page.items();
    return items.map((node) => ({ cursor: encodeCursor(node.login), node }));
  }

  @FieldResolver(() => [UserType])
  async nodes(@Root() page: UserPageResult): Promise<UserEntity[]> {
    return (await page.items()).items;
  }

  @FieldResolver(() => PageInfo)
  async pageInfo(@Root() page: UserPageResult): Promise<PageInfo> {
    const { items, hasNextPage } = await page.items();
    const first = items[0];
    const last = items[items.length - 1];
    return {
      hasNextPage,
      hasPreviousPage: page.startsAfterCursor,
      startCursor: first ? encodeCursor(first.login) : null,
      endCursor: last ? encodeCursor(last.login) : null,
    };
  }

  @FieldResolver(() => Int)
  totalCount(@Root() page: UserPageResult): Promise<number> {
    return page.totalCount();
  }
}
