/**
 * One subscription's queue (src/subscriptions/event-stream.ts): a big batch for a reader who keeps up is delivered
 * whole; a reader who left a backlog past MAX_QUEUED_EVENTS when the next batch comes is closed; each event runs
 * with the principal of the batch that decided it.
 */
import type { Principal } from '../../src/context/principal';
import { EventStream, MAX_QUEUED_EVENTS } from '../../src/subscriptions/event-stream';
import type { LiveVisibility, VisibilityEvent } from '../../src/subscriptions/live-visibility';

const principal = (login: string) => ({ login }) as unknown as Principal;
const events = (n: number, prefix: string): VisibilityEvent[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'REMOVED' as const, name: `${prefix}-${i}`, connection: null }));

function stream(buffered = 0) {
  const seen = { overflow: 0, removed: 0, principals: [] as string[] };
  const engine = { add: () => Promise.resolve(), remove: () => (seen.removed += 1) } as unknown as LiveVisibility;
  const s = new EventStream({
    engine,
    credential: { kind: 'token', userId: 1, tokenVersion: 1, expiresAt: Date.now() + 60_000 },
    principal: principal('first'),
    buffered: () => buffered,
    maxBufferedBytes: 1000,
    onOverflow: () => (seen.overflow += 1),
    onRevoked: () => undefined,
    beforeEach: (p) => seen.principals.push((p as unknown as { login: string }).login),
  });
  return { s, seen };
}

async function drain(s: EventStream, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const next = await s.next();
    if (next.done) break;
    names.push(next.value.name);
  }
  return names;
}

test('a batch of several times the cap reaches a reader who keeps up, in order', async () => {
  const { s, seen } = stream();
  s.deliver(events(5 * MAX_QUEUED_EVENTS, 'bulk'));
  const names = await drain(s, 5 * MAX_QUEUED_EVENTS);
  expect({ count: names.length, first: names[0], last: names.at(-1), overflow: seen.overflow }).toEqual({
    count: 5 * MAX_QUEUED_EVENTS,
    first: 'bulk-0',
    last: `bulk-${5 * MAX_QUEUED_EVENTS - 1}`,
    overflow: 0,
  });
  s.deliver(events(3, 'next'));
  expect(await drain(s, 3)).toEqual(['next-0', 'next-1', 'next-2']);
});

test('a backlog past the cap when the next batch comes closes the subscription, and the engine forgets it', async () => {
  const { s, seen } = stream();
  s.deliver(events(MAX_QUEUED_EVENTS + 1, 'unread'));
  expect(seen.overflow).toBe(0);
  s.deliver(events(1, 'more'));
  expect({ overflow: seen.overflow, removed: seen.removed, next: await s.next() }).toEqual({ overflow: 1, removed: 1, next: { value: undefined, done: true } });
});

test('a backlog at the cap is still served', async () => {
  const { s, seen } = stream();
  s.deliver(events(MAX_QUEUED_EVENTS, 'a'));
  s.deliver(events(1, 'b'));
  expect(seen.overflow).toBe(0);
  expect((await drain(s, MAX_QUEUED_EVENTS + 1)).at(-1)).toBe('b-0');
});

test('a socket whose send buffer is past its bound is closed at the next batch', () => {
  const { s, seen } = stream(1001);
  s.deliver(events(1, 'x'));
  expect(seen.overflow).toBe(1);
});

test("each event runs with the principal of its own batch, not the latest one's", async () => {
  const { s, seen } = stream();
  s.deliver(events(2, 'old'));
  s.principal = principal('second');
  s.deliver(events(1, 'new'));
  await drain(s, 3);
  expect(seen.principals).toEqual(['first', 'first', 'second']);
});
