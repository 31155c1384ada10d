/**
 * Progress of long CLI tasks: a bar (cli-progress) when stderr is a terminal, otherwise a few plain lines that read
 * well in CI logs and cron mail. Always on stderr, so stdout stays clean for output such as `export`.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from './io';

export interface Progress {
  /** `done` items of the total are finished. */
  update(done: number): void;
  stop(): void;
}

export function startProgress(io: CliIo, label: string, total: number): Progress {
  if (total <= 0) return { update: () => undefined, stop: () => undefined };
  if (io.isTTY) {
    const bar = new SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} ({percentage}%) eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  // About ten lines for a long task, one per item for a short one.
  const step = Math.max(1, Math.ceil(total / 10));
  let last = 0;
  return {
    update(done) {
      if (done === total || done - last >= step) {
        last = done;
        io.err(`${label}: ${done}/${total}`);
      }
    },
    stop: () => undefined,
  };
}
