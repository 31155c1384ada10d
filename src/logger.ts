import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

/**
 * Structured JSON logs (pino); human-readable in development when pino-pretty is installed. Secrets are redacted by
 * path as a second line of defence: no code logs them on purpose.
 *
 * Lines are written to stdout synchronously, as Node's own `process.stdout` writes to files and pipes: pino's default
 * stream hands every write to libuv's thread pool and wakes the event loop when it is done, which cost the gateway
 * 3-13% of its CPU per dashboard request at one access-log line each (BENCHMARKS.md, "Compiled leaves, list items
 * and synchronous logs"), and a line written is never lost to a crash. The price: a reader that stops reading (a
 * full pipe) stalls the gateway instead of growing its memory.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'environment'>, destination?: DestinationStream): Logger {
  const pretty = !destination && config.environment === 'development' && process.stdout.isTTY && hasPrettyPrinter();
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'secret',
        '*.secret',
        'headers.authorization',
        'headers["user-token"]',
        'req.headers.authorization',
        'req.headers["user-token"]',
        // A failed statement's bound values (QueryFailedError): password hashes and sealed connection passwords.
        'err.parameters',
        'err.driverError.parameters',
      ],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  };
  // `destination`: where the JSON lines go instead of stdout (tests capture the logs to check no secret is in them).
  if (destination) return pino(options, destination);
  return pretty ? pino(options) : pino(options, pino.destination({ fd: 1, sync: true }));
}

function hasPrettyPrinter(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export type { Logger };
