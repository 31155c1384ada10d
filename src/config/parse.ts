/**
 * The configuration parsers shared by every config module (src/config.ts, src/security-config.ts,
 * src/ops/ops-config.ts): the refusal error, the problem collector and the variable readers. A leaf module: it imports
 * no other config module, so those modules import it and not each other (no import cycle).
 */

/** Configuration refused at start: every problem found, each naming its variable (`message` lists them, one a line). */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : [...problems];
    super(list.join('\n'));
    this.problems = list;
  }
}

/**
 * Collects configuration problems so that start-up reports all of them at once instead of the first one. Each
 * variable is read through {@link read}; the config modules (src/config.ts, src/security-config.ts,
 * src/ops/ops-config.ts) each collect their own and throw one ConfigError, which `loadConfig` merges.
 */
export class ConfigProblems {
  private readonly problems: string[] = [];

  /** `read()`, or `fallback` after recording the problems of the ConfigError it threw (other errors propagate). */
  read<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.problems.push(...error.problems);
      return fallback;
    }
  }

  /** Records a problem found without a parser (the message names the variable). */
  add(message: string): void {
    this.problems.push(message);
  }

  /** Throws one ConfigError listing every problem recorded so far, if any. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/**
 * The one integer reader of every config module: unset or blank = `fallback`; otherwise digits only (no sign, no
 * unit), between `min` and `max`.
 */
export function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be ${min >= 1 ? 'a positive integer' : 'an integer'}, got "${env[name]}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function nonEmpty(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

/** A PostgreSQL connection URL (`postgres://` or `postgresql://`), refused at start otherwise. */
export function postgresUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env, name);
  if (value === undefined) return undefined;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    throw new ConfigError(`${name} must be a postgres:// URL`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') throw new ConfigError(`${name} must be a postgres:// URL, got a ${protocol} URL`);
  return value;
}

/** A boolean variable: 1/true/yes/on or 0/false/no/off (any case); `fallback` when unset. */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}
