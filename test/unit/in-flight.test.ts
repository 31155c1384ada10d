/**
 * The in-flight responses of a server (src/http/in-flight.ts): what the shutdown drain counts and tells to close.
 * Responses leave in any order, so removal must keep the others (swap-remove) and be idempotent.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { InFlightResponses } from '../../src/http/in-flight';

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

describe('InFlightResponses', () => {
  test('a response is tracked from add until it closes, whatever the order they close in', () => {
    const inFlight = new InFlightResponses();
    const [a, b, c, d] = [response(), response(), response(), response()];
    for (const res of [a, b, c, d]) inFlight.add(res);
    expect(inFlight.size).toBe(4);

    b.emit('close'); // from the middle: the last one takes its place
    expect(inFlight.size).toBe(3);
    expect(new Set(inFlight.snapshot())).toEqual(new Set([a, c, d]));

    d.emit('close'); // the one that moved
    expect(new Set(inFlight.snapshot())).toEqual(new Set([a, c]));

    a.emit('close');
    a.emit('close'); // a second 'close' (the listener is once) leaves the others where they are
    expect(inFlight.snapshot()).toEqual([c]);

    c.emit('close');
    expect(inFlight.size).toBe(0);
    expect(inFlight.snapshot()).toEqual([]);
  });

  test('adding a response twice tracks it once', () => {
    const inFlight = new InFlightResponses();
    const res = response();
    inFlight.add(res);
    inFlight.add(res);
    expect(inFlight.size).toBe(1);
    res.emit('close');
    expect(inFlight.size).toBe(0);
  });

  test('the snapshot is a copy: closing while the drain walks it changes nothing for the walk', () => {
    const inFlight = new InFlightResponses();
    const all = [response(), response(), response()];
    for (const res of all) inFlight.add(res);
    const walked: ServerResponse[] = [];
    for (const res of inFlight.snapshot()) {
      walked.push(res);
      all[2]!.emit('close');
    }
    expect(walked).toHaveLength(3);
    expect(inFlight.size).toBe(2);
  });

  test('many responses closing in a shuffled order leave exactly the open ones', () => {
    const inFlight = new InFlightResponses();
    const all = Array.from({ length: 200 }, response);
    for (const res of all) inFlight.add(res);
    // A fixed shuffle (no randomness in tests): every 7th index modulo 200 visits each once.
    const closed = new Set<ServerResponse>();
    for (let i = 0, k = 0; i < 150; i++, k = (k + 7) % 200) {
      all[k]!.emit('close');
      closed.add(all[k]!);
    }
    expect(inFlight.size).toBe(50);
    expect(new Set(inFlight.snapshot())).toEqual(new Set(all.filter((res) => !closed.has(res))));
  });
});
