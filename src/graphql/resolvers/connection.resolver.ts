import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import { appendAutomaticTags, formatTagString, type TagPair } from '../../access/tags';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import { ADMIN } from '../auth-checker';
import { projected } from '../connection-projection';
import type { GraphQLContext } from '../context';
import { globalIdOf } from '../../services/global-id';
import { pagingInput } from '../paging';
import { ConnectionPagingArgs } from '../types/relay.types';
import { ConnectionFilter, ConnectionPage, ConnectionType, CreateConnectionInput, UpdateConnectionInput } from '../types/connection.types';
import { Tag } from '../types/tag.types';

const userTag = (t: TagPair): Tag => ({ key: t.key, value: t.value, automatic: false });
const automaticTag = (key: string, value: string): Tag => ({ key, value, automatic: true });

/** A connection's tags: user tags in the order they were written, then the automatic ones. */
export function connectionTags(connection: ConnectionEntity): Tag[] {
  // One array per connection, and no object but the tags: a dashboard page builds this for each of its 50
  // connections on every request.
  return appendAutomaticTags(connection, connection.userTags.map(userTag), automaticTag);
}

@Resolver(() => ConnectionType)
export class ConnectionResolver {
  @Authorized()
  @Query(() => ConnectionPage, { description: 'The connections the caller can see, sorted by name unless `orderBy` says otherwise.' })
  connections(
    @Ctx() ctx: GraphQLContext,
    @Args(() => ConnectionPagingArgs) paging: ConnectionPagingArgs,
    @Arg('filter', () => ConnectionFilter, {
      nullable: true,
      description: 'Optional conditions (tags, enabled, connected, search); omit to list everything visible.',
    })
    filter: ConnectionFilter | null,
    @Info() info: GraphQLResolveInfo,
  ): ConnectionPageResult {
    return projected(ctx.services.connections.list(ctx, pagingInput(paging, info), filter), info, ctx.services.mappers.connection);
  }

  @Authorized()
  @Query(() => ConnectionType, { nullable: true, description: 'A connection by name; null when it does not exist or is not visible to the caller.' })
  connection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the connection, e.g. `sales-production`.' }) name: string,
  ): Promise<ConnectionEntity | null> {
    return ctx.services.connections.get(ctx, name);
  }

  @Authorized(ADMIN)
  @Mutation(() => ConnectionType, { description: 'Declares a connection and probes it (the probe never fails the mutation; see `connected`).' })
  async createConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Unique name of the new connection: 1-64 of `A-Z a-z 0-9 _ . -`.' }) name: string,
    @Arg('input', () => CreateConnectionInput, { description: 'Where the instance is, how to sign in to it, its tags and monitoring settings.' })
    input: CreateConnectionInput,
  ): Promise<ConnectionEntity> {
    return (await ctx.services.connections.create(ctx, name, { ...input })).connection;
  }

  @Authorized(ADMIN)
  @Mutation(() => ConnectionType, { description: 'Changes the given fields; a new host, port, user or password triggers a probe.' })
  async updateConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the connection, e.g. `sales-production`.' }) name: string,
    @Arg('input', () => UpdateConnectionInput, { description: 'Only the fields to change; omitted fields keep their value.' })
    input: UpdateConnectionInput,
  ): Promise<ConnectionEntity> {
    return (await ctx.services.connections.update(ctx, name, { ...input })).connection;
  }

  @Authorized(ADMIN)
  @Mutation(() => ConnectionType, { description: 'Stops monitoring the instance (idempotent).' })
  async disableConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the connection, e.g. `sales-production`.' }) name: string,
  ): Promise<ConnectionEntity> {
    return (await ctx.services.connections.disable(ctx, name)).connection;
  }

  @Authorized(ADMIN)
  @Mutation(() => ConnectionType, { description: 'Enables monitoring and probes the instance again.' })
  async enableConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the connection, e.g. `sales-production`.' }) name: string,
  ): Promise<ConnectionEntity> {
    return (await ctx.services.connections.enable(ctx, name)).connection;
  }

  @Authorized(ADMIN)
  @Mutation(() => Boolean, { description: 'Deletes the connection; NOT_FOUND when it does not exist.' })
  async deleteConnection(
    @Ctx() ctx: GraphQLContext,
    @Arg('name', { description: 'Name of the connection, e.g. `sales-production`.' }) name: string,
  ): Promise<boolean> {
    await ctx.services.connections.delete(ctx, name);
    return true;
  }

  // The entity properties each field resolver below reads are listed in CONNECTION_RESOLVER_PROPS
  // (connection-projection.ts): pages that select only listed fields read only those columns.

  @FieldResolver(() => ID, { description: 'Opaque global identifier (Relay `Node`); `node(id)` finds the connection again.' })
  id(@Root() connection: ConnectionEntity): string {
    return globalIdOf('Connection', connection.name);
  }

  @FieldResolver(() => String, { description: 'PostgreSQL role used for monitoring.' })
  user(@Root() connection: ConnectionEntity): string {
    return connection.username;
  }

  // The schema calls connectionTags directly, without type-graphql's wrapper (src/graphql/direct-resolvers.ts).
  @FieldResolver(() => [Tag], { description: 'User tags in the order they were written, then the automatic tags.' })
  tags(@Root() connection: ConnectionEntity): Tag[] {
    return connectionTags(connection);
  }

  @FieldResolver(() => String, { description: 'User tags as the vendor string `k1=v1,k2=v2` (empty when none).' })
  tagString(@Root() connection: ConnectionEntity): string {
    return formatTagString(connection.userTags);
  }

  @Authorized(ADMIN)
  @FieldResolver(() => String, { nullable: true, description: 'Error of the last failed probe (administrators only).' })
  lastProbeError(@Root() connection: ConnectionEntity): string | null {
    return connection.lastProbeError;
  }

  @Authorized(ADMIN)
  @FieldResolver(() => Date, { nullable: true, description: 'When the last probe ran (administrators only).' })
  lastProbeAt(@Root() connection: ConnectionEntity): Date | null {
    return connection.lastProbeAt;
  }
}
