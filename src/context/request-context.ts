import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AppError } from '../errors/app-error';
import { createLoaders, type Loaders } from './loaders';
import type { Principal } from './principal';
import type { Services } from '../services';

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
}

export function createRequestContext(
  services: Services,
  principal: Principal | null,
  authFailure: AppError | null = null,
  requestId: string = randomUUID(),
  clientAddress?: string,
): RequestContext {
  const manager = services.dataSource.manager;
  return { requestId, principal, authFailure, manager, loaders: createLoaders(services, principal), clientAddress };
}

/**
 * Runs `work` in a transaction carried by the context: services ask `ctx.manager` for data and never need to know
 * whether a transaction is open. Nested calls join the outer transaction.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  if (ctx.manager.queryRunner?.isTransactionActive) return work(ctx);
  return ctx.manager.transaction((manager) => work({ ...ctx, manager }));
}
