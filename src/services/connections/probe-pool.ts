/**
 * The one pool that runs connection probes a few at a time: the service's re-probe of every connection, the probes
 * that follow a bulk import (in the background) and the CLI's probes after `import-connections` all go through it,
 * so the fleet sees the same bounded load whoever asks.
 */

/** Probes in flight at once: enough to hide network latency, few enough not to flood the monitored fleet. */
export const PROBE_CONCURRENCY = 8;

/**
 * Runs `work` on every item, at most {@link PROBE_CONCURRENCY} at a time, in the items' order of start. Resolves
 * when every item is done; rejects with the first error of `work` (the others still run: catch inside `work` to
 * carry on past a failure).
 */
export async function forEachProbe<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, items.length) }, worker));
}
