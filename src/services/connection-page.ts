import type { ConnectionPredicate } from '../access/predicate';
import type { RequestContext } from '../context/request-context';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { ConnectionConditions, ConnectionPageQuery, ConnectionQuery } from './connection-queries';
import type { ConnectionPaging, KeysetPage } from './connections/order';

/**
 * A page of connections that has not been read yet: the items and the total are loaded only when asked for, through
 * the request's DataLoaders (so many pages in one GraphQL response cost one statement, and a client that does not
 * ask for `totalCount` does not pay for counting).
 */
export class ConnectionPageResult {
  /** Entity properties the caller will read (sorted), or all of them; see {@link reading}. */
  private props: readonly string[] | undefined;
  /** The loader keys, built once: `nodes`, `edges` and `pageInfo` all ask for the items. */
  private itemsQuery: ConnectionPageQuery | undefined;
  private countQuery: ConnectionQuery | undefined;

  constructor(
    private readonly ctx: RequestContext,
    readonly predicate: ConnectionPredicate,
    readonly conditions: ConnectionConditions,
    readonly page: ConnectionPaging,
  ) {}

  /**
   * Reads only these entity properties of each connection (they must include `id` and `name`); the items then have
   * no other property set, so only a caller that reads nothing else may ask (src/graphql/connection-projection.ts).
   */
  reading(props: readonly string[] | undefined): this {
    this.props = props;
    this.itemsQuery = undefined;
    return this;
  }

  items(): Promise<KeysetPage<ConnectionEntity>> {
    this.itemsQuery ??= { predicate: this.predicate, conditions: this.conditions, page: this.page, props: this.props };
    return this.ctx.loaders.connectionPage.load(this.itemsQuery);
  }

  totalCount(): Promise<number> {
    this.countQuery ??= { predicate: this.predicate, conditions: this.conditions };
    return this.ctx.loaders.connectionCount.load(this.countQuery);
  }
}
