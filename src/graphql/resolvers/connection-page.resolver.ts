import { FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ConnectionEntity } from '../../entities/connection.entity';
import type { ConnectionPageResult } from '../../services/connection-page';
import { encodeOrderCursor } from '../../services/connections/order';
import { ConnectionEdge, ConnectionPage, ConnectionType, PageInfo } from '../types/connection.types';

/** Resolves the parts of a page lazily, so `totalCount` is computed only when selected. */
@Resolver(() => ConnectionPage)
export class ConnectionPageResolver {
  @FieldResolver(() => [ConnectionEdge])
  async edges(@Root() page: ConnectionPageResult): Promise<{ cursor: string; node: ConnectionEntity }[]> {
    const { items, positions } = await page.items();
    return items.map((node, i) => ({ cursor: encodeOrderCursor(page.page.order, positions[i]!), node }));
  }

  @FieldResolver(() => [ConnectionType])
  async nodes(@Root() page: ConnectionPageResult): Promise<ConnectionEntity[]> {
    return (await page.items()).items;
  }

  @FieldResolver(() => PageInfo)
  async pageInfo(@Root() page: ConnectionPageResult): Promise<PageInfo> {
    const { positions, hasNextPage, hasPreviousPage } = await page.items();
    const cursor = (i: number) => (positions.length ? encodeOrderCursor(page.page.order, positions[i]!) : null);
    return { hasNextPage, hasPreviousPage, startCursor: cursor(0), endCursor: cursor(positions.length - 1) };
  }

  @FieldResolver(() => Int)
  totalCount(@Root() page: ConnectionPageResult): Promise<number> {
    return page.totalCount();
  }
}
