/** A pino destination that keeps every log line in memory, for tests that read what the gateway logged. */
import type { DestinationStream } from 'pino';

export interface CapturedLogs {
  stream: DestinationStream;
  /** Everything logged so far, as written (JSON lines). */
  text(): string;
  /** The parsed lines. */
  entries(): Record<string, unknown>[];
}

export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  return {
    stream: { write: (line: string) => void chunks.push(line) },
    text: () => chunks.join(''),
    entries: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
