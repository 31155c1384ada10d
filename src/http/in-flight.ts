import type { ServerResponse } from 'node:http';

const SLOT = Symbol('in-flight slot');
type Tracked = ServerResponse & { [SLOT]?: number };

/**
 * The responses a server has not finished yet: counted by the shutdown drain and the metrics, told to close their
 * connection when shutdown begins. A response leaves when it closes (finished, or its client went away).
 *
 * An array with swap-remove, not a `Set`, and that is measured, not taste (BENCHMARKS.md, "Request garbage
 * promoted"). With a `Set` that responses enter and leave while others are still in flight (any request that waits
 * for the database), Node 24 promoted nearly all of every request's garbage to the old generation: about 0.9 MB per
 * young collection under the overview's load, a quarter of its CPU, and most of its latency tail; with the array,
 * 43 kB. The likely mechanism: V8 replaces a `Set`'s hash table as entries come and go, and a replaced table
 * keeps a link to its successor (for iterators); once one table has reached the old generation, that dead link keeps
 * the next one, and the requests it holds, alive through young collections until a full collection. An array's
 * slots are overwritten in place.
 */
export class InFlightResponses {
  private readonly responses: Tracked[] = [];

  /** Tracks `res` until it closes. */
  add(res: ServerResponse): void {
    const tracked = res as Tracked;
    if (tracked[SLOT] !== undefined) return;
    tracked[SLOT] = this.responses.length;
    this.responses.push(tracked);
    res.once('close', () => this.remove(tracked));
  }

  get size(): number {
    return this.responses.length;
  }

  /** A copy: what is in flight now (responses may close while the caller works through it). */
  snapshot(): ServerResponse[] {
    return [...this.responses];
  }

  private remove(res: Tracked): void {
    const slot = res[SLOT];
    if (slot === undefined) return;
    res[SLOT] = undefined;
    const last = this.responses.pop()!;
    if (last !== res) {
      this.responses[slot] = last;
      last[SLOT] = slot;
    }
  }
}
