import pino, { type Logger } from 'pino';
import type { Config } from './config';

/**
 * Structured JSON logs (pino); human-readable in development when pino-pretty is installed. Secrets are redacted by
 * path as a second line of defence: no code logs them on purpose.
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'environment'>): Logger {
  const pretty = config.environment === 'development' && process.stdout.isTTY && hasPrettyPrinter();
  return pino({
    level: config.logLevel,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'headers.authorization', 'headers["user-token"]', 'req.headers.authorization', 'req.headers["user-token"]'],
      censor: '[redacted]',
    },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  });
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
