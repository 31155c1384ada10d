import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { globalIdOf } from '../../services/global-id';
import type { AuditEvent, AuditEventPageResult } from '../../audit/audit-log';
import { encodeCursor } from '../../services/pagination';
import { ADMIN } from '../auth-checker';
import type { GraphQLContext } from '../context';
import { AuditEventEdge, AuditEventPage, AuditEventType, AuditFilterInput } from '../types/audit.types';
import { AFTER_ARG, FIRST_ARG, PageInfo } from '../types/connection.types';

@Resolver()
export class AuditResolver {
  @Authorized(ADMIN)
  @Query(() => AuditEventPage, { description: 'The audit log, newest first (administrators).' })
  auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AuditFilterInput, { nullable: true, description: 'Only the events matching every given condition.' }) filter: AuditFilterInput | null,
    @Arg('first', () => Int, FIRST_ARG) first: number | null,
    @Arg('after', () => String, AFTER_ARG) after: string | null,
  ): AuditEventPageResult {
    return ctx.services.audit.events(ctx, filter, first, after);
  }
}

@Resolver(() => AuditEventType)
export class AuditEventResolver {
  @FieldResolver(() => ID, { description: 'Opaque global identifier (`node(id)`, administrators).' })
  id(@Root() event: AuditEvent): string {
    return globalIdOf('AuditEvent', event.id);
  }
}

/** Resolves the parts of a page lazily, so `totalCount` is counted only when selected. */
@Resolver(() => AuditEventPage)
export class AuditEventPageResolver {
  @FieldResolver(() => [AuditEventEdge])
  async edges(@Root() page: AuditEventPageResult): Promise<{ cursor: string; node: AuditEvent }[]> {
    const { items } = await page.items();
    return items.map((node) => ({ cursor: encodeCursor(node.id), node }));
  }

  @FieldResolver(() => [AuditEventType])
  async nodes(@Root() page: AuditEventPageResult): Promise<AuditEvent[]> {
    return (await page.items()).items;
  }

  @FieldResolver(() => PageInfo)
  async pageInfo(@Root() page: AuditEventPageResult): Promise<PageInfo> {
    const { items, hasNextPage } = await page.items();
    const first = items[0];
    const last = items[items.length - 1];
    return {
      hasNextPage,
      endCursor: last ? encodeCursor(last.id) : null,
      hasPreviousPage: page.startsAfterCursor,
      startCursor: first ? encodeCursor(first.id) : null,
    };
  }

  @FieldResolver(() => Int)
  totalCount(@Root() page: AuditEventPageResult): Promise<number> {
    return page.totalCount();
  }
}
