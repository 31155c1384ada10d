import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AppError } from '../errors/app-error';
import { createLoaders, type Loaders } from './loaders';
import type { Principal } from './principal';
import type { Services } from '../services';
import { requireWritable } from '../services/authorization';

/**
 * Everything a service needs to know about the request it serves. Built once per request by {@link authenticate}
 * for both the GraphQL and the REST adapter, and passed first to every service call.
 */
export interface RequestContext {
  readonly requestId: string;
  /** The signed-in caller, or `null` when no valid credentials were presented. */
  readonly principal: Principal | null;
  /** Why presented credentials were refused (expired, revoked ...), reported when an operation needs a caller. */
  readonly authFailure: AppError | null;
  /** The entity manager to use: the data source's, or a transaction's inside {@link inTransaction}. */
  readonly manager: EntityManager;
  /** Per-request DataLoaders, created with the caller's visibility baked in. */
  readonly loaders: Loaders;
  /** The client's IP address as the adapter saw it (TRUST_PROXY decides whether proxies are believed). */
  readonly clientAddress?: string;
  /**
   * What cached reads of this request must reflect: every change committed before `mark`
   * (`ChangeFeed.mark()`, src/db/change-feed.ts), taken when the request arrived and again after each write it commits, so a
   * request reads its own writes. Shared by every copy of the context.
   */
  readonly freshness: { mark: number; renew(): void };
}

export function createRequestContext(
  services: Services,
  principal: Principal | null,
  authFailure: AppError | null = null,
  requestId: string = randomUUID(),
  clientAddress?: string,
  /** `ChangeFeed.mark()` (src/db/change-feed.ts) when the request arrived; now by default. */
  arrivalMark: number = services.changeFeed.mark(),
): RequestContext {
  const manager = services.dataSource.manager;
  const freshness = {
    mark: arrivalMark,
    renew() {
      freshness.mark = services.changeFeed.mark();
      // What the request's loaders remember was read before the write: a later field must not be answered from it.
      // (Object.values types the values of an interface without an index signature as any.)
      for (const loader of Object.values(loaders) as Loaders[keyof Loaders][]) loader.clearAll();
    },
  };
  const loaders = createLoaders(services, principal, freshness);
  return { requestId, principal, authFailure, manager, loaders, clientAddress, freshness };
}

/**
 * Runs `work` in a transaction carried by the context: services ask `ctx.manager` for data and never need to know
 * whether a transaction is open. Nested calls join the outer transaction.
 *
 * Every service write goes through here, so this is where a read-only API key is refused (FORBIDDEN), for GraphQL
 * and REST alike: a write added later cannot forget the rule.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  requireWritable(ctx);
  if (ctx.manager.queryRunner?.isTransactionActive) return work(ctx);
  try {
    return await ctx.manager.transaction((manager) => work({ ...ctx, manager }));
  } finally {
    // Later cached reads of this request must see what it just wrote (or what a failed write may have left).
    ctx.freshness.renew();
  }
}
