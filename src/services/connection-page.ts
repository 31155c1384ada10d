import type { ConnectionPredicate } from '../access/predicate';
import type { RequestContext } from '../context/request-context';
import type { ConnectionEntity } from '../entities/connection.entity';
import type { ConnectionConditions } from './connection-queries';
import type { Page, PageArgs } from './pagination';

/**
 * A page of connections that has not been read yet: the items and the total are loaded only when asked for, through
 * the request's DataLoaders (so many pages in one GraphQL response cost one statement, and a client that does not
 * ask for `totalCount` does not pay for counting).
 */
export class ConnectionPageResult {
  constructor(
    private readonly ctx: RequestContext,
    readonly predicate: ConnectionPredicate,
    readonly conditions: ConnectionConditions,
    readonly page: PageArgs,
  ) {}

  items(): Promise<Page<ConnectionEntity>> {
    return this.ctx.loaders.connectionPage.load({ predicate: this.predicate, conditions: this.conditions, page: this.page });
  }

  totalCount(): Promise<number> {
    return this.ctx.loaders.connectionCount.load({ predicate: this.predicate, conditions: this.conditions });
  }
}
