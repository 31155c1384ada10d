import { FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import { encodeCursor } from '../../services/pagination';
import { ConnectionEdge, ConnectionPage, ConnectionType, PageInfo } from '../types/connection.types';

/** Resolves the parts of a page lazily, so `totalCount` is computed only when selected. */
@Resolver(() => ConnectionPage)
export class ConnectionPageResolver {
  @FieldResolver(() => [ConnectionEdge])
  async edges(@Root() page: ConnectionPageResult): Promise<{ cursor: string; node: ConnectionEntity }[]> {
    const { items } = await page.items();
    return items.map((node) => ({ cursor: encodeCursor(node.name), node }));
  }

  @FieldResolver(() => [ConnectionType])
  async nodes(@Root() page: ConnectionPageResult): Promise<ConnectionEntity[]> {
    return (await page.items()).items;
  }

  @FieldResolver(() => PageInfo)
  async pageInfo(@Root() page: ConnectionPageResult): Promise<PageInfo> {
    const { items, hasNextPage } = await page.items();
    const last = items[items.length - 1];
    return { hasNextPage, endCursor: last ? encodeCursor(last.name) : null };
  }

  @FieldResolver(() => Int)
  totalCount(@Root() page: ConnectionPageResult): Promise<number> {
    return page.totalCount();
  }
}
