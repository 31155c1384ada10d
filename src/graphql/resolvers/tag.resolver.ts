import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { isAutomaticTagKey } from '../../access/tags';
import type { GraphQLContext } from '../context';
import { ConnectionFilter } from '../types/connection.types';
import { TagSummary, TagValueCount } from '../types/tag.types';

@Resolver(() => TagSummary)
export class TagResolver {
  @Authorized()
  @Query(() => [TagSummary], {
    name: 'tags',
    description: 'Tag keys and values over the connections the caller can see, with counts; sorted by key, then value.',
  })
  async tagSummary(
    @Ctx() ctx: GraphQLContext,
    @Arg('keys', () => [String], { nullable: true, description: 'Only these keys (at most 100), e.g. `["environment", "datacenter"]`; omit for every key.' })
    keys: string[] | null,
    @Arg('automatic', () => Boolean, {
      nullable: true,
      description:
        'Only automatic keys (true) or only user keys (false); omit for both. `false` leaves out `pg_instance` and `server`, which have one value per connection.',
    })
    automatic: boolean | null,
    @Arg('filter', () => ConnectionFilter, {
      nullable: true,
      description:
        'Count only the visible connections this filter lets through, as `connections(filter:)` does (tag conditions included), so a filter menu narrows its own choices.',
    })
    filter: ConnectionFilter | null,
  ): Promise<TagSummary[]> {
    const summary = await ctx.services.connections.tagSummary(ctx, { keys, automatic }, filter);
    return summary.map((s) => ({ key: s.key, automatic: isAutomaticTagKey(s.key), valueCount: s.values.length, values: s.values }));
  }

  @FieldResolver(() => [TagValueCount], { description: 'Values sorted by code point (ASCII: alphabetically, capitals first).' })
  values(
    @Ctx() ctx: GraphQLContext,
    @Root() summary: TagSummary,
    @Arg('first', () => Int, { nullable: true, description: 'At most this many values; omit for all of them.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'Only values after this one, e.g. the last value of the previous call.' })
    after: string | null,
  ): readonly TagValueCount[] {
    return ctx.services.connections.pageOfValues(summary.values, first, after);
  }
}
