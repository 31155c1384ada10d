/** `node(id)` and `nodes(ids)` (Relay object identification); the rules are the service's (src/services/nodes.ts). */
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { NodeEntity } from '../services/nodes';
import type { GraphQLContext } from './context';
import { NodeInterface } from './types/node.types';

@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => NodeInterface, {
    nullable: true,
    description: 'The object with this global id; null when it does not exist, is not visible to the caller, or the id is not one (no difference).',
  })
  async node(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID, { description: 'A global id, as `id` of any Node gives it.' }) id: string,
  ): Promise<NodeEntity | null> {
    const [found] = await ctx.services.nodes.resolve(ctx, [id]);
    return found ?? null;
  }

  @Authorized()
  @Query(() => [NodeInterface], {
    nullable: 'items',
    description: 'The objects with these global ids (at most 500), in the same order; null for each one `node` would answer null.',
  })
  nodes(
    @Ctx() ctx: GraphQLContext,
    @Arg('ids', () => [ID], { description: 'Global ids, as `id` of any Node gives them.' }) ids: string[],
  ): Promise<(NodeEntity | null)[]> {
    return ctx.services.nodes.resolve(ctx, ids);
  }
}
