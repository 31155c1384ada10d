/**
 * One `connectionEvents` subscription: a {@link Subscriber} of the visibility engine and the async iterator
 * graphql-ws pulls events from. Bounded: events waiting to be executed and sent are capped, and a socket whose
 * send buffer grows past its bound is closed (by `onOverflow`) rather than allowed to hold memory for a reader that
 * does not read.
 */
import type { Principal } from '../context/principal';
import type { Credential, LiveVisibility, Subscriber, VisibilityEvent } from './live-visibility';

/**
 * Events a subscription may still have queued when the next batch arrives: past it, the reader counts as slow. A
 * batch itself is never refused for its size (a bulk import or a widened role can make thousands of events at once for
 * a reader who keeps up); what closes a socket is a backlog the reader did not drain before the next batch. Queued
 * events hold references to rows shared by every subscriber of the batch, not copies.
 */
export const MAX_QUEUED_EVENTS = 1000;

export interface EventStreamOptions {
  engine: LiveVisibility;
  credential: Credential;
  principal: Principal;
  /** Bytes the socket has not sent yet (`WebSocket.bufferedAmount`). */
  buffered(): number;
  maxBufferedBytes: number;
  /** The reader is too slow: close its socket. */
  onOverflow(): void;
  /** The credential no longer holds: close its socket with 4403. */
  onRevoked(reason: string): void;
  /** Called before each event is executed, with the subscriber's principal as of that event. */
  beforeEach(principal: Principal): void;
}

/** What graphql-js executes the subscription's selection on: the root value of each event's execution. */
export type EventPayload = VisibilityEvent;

export class EventStream implements Subscriber, AsyncIterableIterator<EventPayload> {
  principal: Principal;
  readonly credential: Credential;
  /** Each event with the principal of the batch that decided it (the next batch may change the principal). */
  private readonly queue: { event: VisibilityEvent; principal: Principal }[] = [];
  private waiting: ((result: IteratorResult<EventPayload>) => void) | null = null;
  private done = false;

  constructor(private readonly options: EventStreamOptions) {
    this.principal = options.principal;
    this.credential = options.credential;
  }

  /** Registers with the engine; resolves once the subscriber's visible set is known, so events start from there. */
  async start(): Promise<this> {
    await this.options.engine.add(this);
    return this;
  }

  deliver(events: readonly VisibilityEvent[]): void {
    if (this.done) return;
    if (this.queue.length > MAX_QUEUED_EVENTS || this.options.buffered() > this.options.maxBufferedBytes) {
      this.finish();
      this.options.onOverflow();
      return;
    }
    for (const event of events) this.queue.push({ event, principal: this.principal });
    this.wake();
  }

  revoke(reason: string): void {
    if (this.done) return;
    this.finish();
    this.options.onRevoked(reason);
  }

  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    const queued = this.queue.shift();
    if (queued === undefined) return;
    this.waiting = null;
    waiting(this.result(queued));
  }

  private result(queued: { event: VisibilityEvent; principal: Principal }): IteratorResult<EventPayload> {
    this.options.beforeEach(queued.principal);
    return { value: queued.event, done: false };
  }

  next(): Promise<IteratorResult<EventPayload>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(this.result(queued));
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.options.engine.remove(this);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.({ value: undefined, done: true });
  }

  return(): Promise<IteratorResult<EventPayload>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<EventPayload>> {
    this.finish();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
