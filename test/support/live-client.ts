/**
 * A graphql-ws client for tests: one socket to a gateway's /graphql, the events of its `connectionEvents`
 * subscriptions collected in order, and how the socket closed.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveEvent {
  kind: 'ADDED' | 'CHANGED' | 'REMOVED';
  name: string;
  connection: { name: string; enabled?: boolean; connected?: boolean; tags?: { key: string; value: string }[] } | null;
}

export interface LiveSocket {
  client: Client;
  /** Every event received so far, in order. */
  events: LiveEvent[];
  /** Errors sent on the subscription (its `error` message). */
  errors: unknown[];
  /** How the socket closed: set once it did. */
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first event (from index `from`) that matches; rejects when the socket closes first or after `timeoutMs`. */
  waitFor(match: (event: LiveEvent) => boolean, from?: number, timeoutMs?: number): Promise<LiveEvent>;
  dispose(): Promise<void>;
}

export const EVENT_FIELDS = `kind name connection { name enabled connected tags { key value } }`;
export const CONNECTION_EVENTS = `subscription { connectionEvents { ${EVENT_FIELDS} } }`;

/** Opens a socket authenticated with `credential` and subscribes `query` (by default: every event, with tags). */
export function openLive(url: string, credential: string | null, query = CONNECTION_EVENTS): LiveSocket {
  let closedResolve!: (value: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (closedResolve = resolve));
  const events: LiveEvent[] = [];
  const errors: unknown[] = [];
  const listeners = new Set<() => void>();
  let isClosed = false;
  const client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: credential === null ? {} : { authorization: `Bearer ${credential}` },
    retryAttempts: 0,
    lazy: false,
    on: {
      closed: (event) => {
        isClosed = true;
        const e = event as { code: number; reason: string };
        closedResolve({ code: e.code, reason: String(e.reason) });
        for (const listener of listeners) listener();
      },
    },
  });
  client.subscribe<{ connectionEvents: LiveEvent }>(
    { query },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) events.push(result.data.connectionEvents);
        for (const listener of listeners) listener();
      },
      error: (error) => {
        errors.push(error);
        for (const listener of listeners) listener();
      },
      complete: () => undefined,
    },
  );
  const waitFor = (match: (event: LiveEvent) => boolean, from = 0, timeoutMs = 20_000) =>
    new Promise<LiveEvent>((resolve, reject) => {
      const check = () => {
        const found = events.slice(from).find(match);
        if (found) return done(() => resolve(found));
        if (errors.length) return done(() => reject(new Error(`subscription error: ${JSON.stringify(errors)}`)));
        if (isClosed) return done(() => reject(new Error(`socket closed before the event; events: ${JSON.stringify(events.slice(from))}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no matching event in ${timeoutMs} ms; events: ${JSON.stringify(events.slice(from))}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  return { client, events, errors, closed, waitFor, dispose: () => client.dispose() as Promise<void> };
}
