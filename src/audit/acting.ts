/**
 * Who is acting: the actor, channel and request id every audit event carries. Built by the adapters (the GraphQL
 * and REST contexts, the CLI) and handed to the services inside the {@link RequestContext}, or explicitly where
 * there is no request context yet (sign-in). Never a global: two requests in flight each carry their own.
 */

/** How a change reached the gateway (CONTRACT section 5). `system`: the gateway itself, no person behind it. */
export type AuditChannel = 'graphql' | 'rest' | 'cli' | 'system';

export interface Acting {
  /** The signed-in caller's login; `cli` or `system` when no account acts; `anonymous` before a sign-in. */
  readonly actor: string;
  readonly channel: AuditChannel;
  /** The request's `x-request-id` (assigned by the server when the client sent none); `null` outside a request. */
  readonly requestId: string | null;
}

/** The actor of a context with no signed-in account. */
export function anonymousActor(channel: AuditChannel): string {
  return channel === 'cli' || channel === 'system' ? channel : 'anonymous';
}

/** The CLI acting on its own (no `--as` account): `actor: cli`. */
export const CLI_ACTING: Acting = { actor: 'cli', channel: 'cli', requestId: null };
