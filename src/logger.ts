import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';

/**
 * Structured JSON logs (pino); human-readable in development when pino-pretty is installed. Secrets are redacted by
 * path as a second line of defence: no code logs them on purpose.
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
  return destination ? pino(options, destination) : pino(options);
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
