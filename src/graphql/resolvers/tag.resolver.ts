import { Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { isAutomaticTagKey } from '../../access/tags';
import type { GraphQLContext } from '../context';
import { TagSummary } from '../types/tag.types';

@Resolver(() => TagSummary)
export class TagResolver {
  @Authorized()
  @Query(() => [TagSummary], {
    name: 'tags',
    description: 'Tag keys and values over the connections the caller can see, with counts; sorted by key, then value.',
  })
  async tagSummary(@Ctx() ctx: GraphQLContext): Promise<TagSummary[]> {
    const summary = await ctx.services.connections.tagSummary(ctx);
    return summary.map((s) => ({ ...s, automatic: isAutomaticTagKey(s.key) }));
  }
}
