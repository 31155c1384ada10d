import { getArgumentValues } from 'graphql/execution/values';
import type { GraphQLObjectType, GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { isAutomaticTagKey } from '../../access/tags';
import type { TagValuePage } from '../../services/tag-summary-queries';
import { DEFAULT_VALUES_PER_PAGE, MAX_VALUES_PER_PAGE } from '../../services/connections/tag-summaries';
import type { TagSummary as TagSummaryEntries } from '../../services/membership-cache';
import type { GraphQLContext } from '../context';
import { ownFields } from '../selection';
import { ConnectionFilter } from '../types/connection.types';
import { TagSummary, TagValueCount } from '../types/tag.types';

type SummaryEntry = TagSummaryEntries[number];

/**
 * The one page of values every `values` field under this `tags` field asks for, so the summary is computed for that
 * page in SQL (the gateway then never holds more than a page of values per key). `{ first: 0 }` when no `values`
 * field is selected (keys and value counts only). Fragments are followed. `null` when the fields ask for different
 * pages or the selection depends on run time (`@skip`/`@include`): the summary then holds every value of each key
 * and each field takes its page (bounded by the fleet, not by the page: the one case that is).
 */
function requestedValuePage(info: GraphQLResolveInfo): TagValuePage | null {
  const fields = ownFields(info);
  if (!fields) return null;
  const summaryType = info.schema.getType('TagSummary') as GraphQLObjectType;
  const valuesField = summaryType.getFields().values!;
  const pages = new Set<string>();
  let page: { first: number; after: string | null } | null = null;
  let valueCounts = false;
  for (const field of fields) {
    if (field.name.value === 'valueCount') valueCounts = true;
    if (field.name.value !== 'values') continue;
    const args = getArgumentValues(valuesField, field, info.variableValues) as { first?: number | null; after?: string | null };
    page = { first: args.first ?? DEFAULT_VALUES_PER_PAGE, after: args.after ?? null };
    pages.add(JSON.stringify(page));
  }
  if (pages.size > 1) return null;
  return { ...(page ?? { first: 0, after: null }), valueCounts };
}

@Resolver(() => TagSummary)
export class TagResolver {
  @Authorized()
  @Query(() => [TagSummary], {
    name: 'tags',
    description:
      'Tag keys and values over the connections the caller can see, with counts; sorted by key, then value. ' +
      `Each key lists a page of its values (\`values(first:, after:)\`, ${DEFAULT_VALUES_PER_PAGE} by default) and how many it has (\`valueCount\`).`,
  })
  async tagSummary(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
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
    const summary = await ctx.services.connections.tagSummary(ctx, { keys, automatic }, filter, requestedValuePage(info));
    return summary.map((s) => ({ key: s.key, automatic: isAutomaticTagKey(s.key), valueCount: s.valueCount, values: s.values, entry: s }));
  }

  @FieldResolver(() => [TagValueCount], {
    description: `A page of the key's values, sorted by code point (ASCII: alphabetically, capitals first): ${DEFAULT_VALUES_PER_PAGE} unless \`first\` says otherwise; \`valueCount\` tells how many there are in all.`,
  })
  values(
    @Ctx() ctx: GraphQLContext,
    @Root() summary: TagSummary & { entry: SummaryEntry },
    @Arg('first', () => Int, {
      nullable: true,
      description: `At most this many values: 0 to ${MAX_VALUES_PER_PAGE}, ${DEFAULT_VALUES_PER_PAGE} when omitted (or null). Page with \`after\` for more.`,
    })
    first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'Only values after this one, e.g. the last value of the previous call.' })
    after: string | null,
  ): readonly TagValueCount[] {
    return ctx.services.connections.pageOfValues(summary.entry, first, after);
  }
}
