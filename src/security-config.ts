/**
 * The security part of the configuration: GraphQL request limits, sign-in throttling, CORS, the IDE and
 * introspection, and which proxies to trust for the client address. Read by {@link loadConfig} with the rest;
 * every variable is documented in the README (Configuration and Security sections).
 */
import { ConfigError, ConfigProblems } from './config';
import { encryptionKeyProblem, LEGACY_KEY_PREFIX } from './services/secret-box';

/** Bounds on one GraphQL request, checked before it runs (src/graphql/limits.ts). */
export interface GraphQLLimits {
  /** Deepest field nesting (leaf fields count; fragments add no level). */
  maxDepth: number;
  /** Highest estimated cost; list fields are weighted by their `first` argument (src/graphql/limits.ts). */
  maxCost: number;
  /** Most aliases in one document. */
  maxAliases: number;
  /** Most directives in one document. */
  maxDirectives: number;
  /** Most lexical tokens in the query document (checked while parsing, so a huge document is never fully parsed). */
  maxTokens: number;
  /** Largest query document, in bytes of UTF-8 (variables are bounded by the 1 MiB body limit). */
  maxDocumentBytes: number;
}

/** One throttling rule: after `failures` failed sign-ins within `windowSeconds`, refuse for `blockSeconds`. */
export interface ThrottleRule {
  failures: number;
  windowSeconds: number;
  blockSeconds: number;
}

/** Sign-in throttling (src/services/login-throttle.ts); `null` turns a rule off. */
export interface LoginThrottleConfig {
  /** Failures of one login from one client address: the classic guessing attack. */
  perLoginAndAddress: ThrottleRule | null;
  /** Failures from one client address, whatever the login: one source trying many accounts. */
  perAddress: ThrottleRule | null;
  /** Failures of one login from any address: a distributed attack on one account. Higher, with a shorter block. */
  perLogin: ThrottleRule | null;
}

export interface SecurityConfig {
  /** Schema introspection (`__schema`, `__type`). */
  graphqlIntrospection: boolean;
  /** The GraphiQL IDE served to browsers at GET /graphql. */
  graphqlPlayground: boolean;
  graphqlLimits: GraphQLLimits;
  loginThrottle: LoginThrottleConfig;
  /** Origins browsers may call the API from; empty = no cross-origin access. `['*']` = any origin. */
  corsOrigins: string[];
  /** Express `trust proxy`: which proxies' X-Forwarded-For to believe for the client address. `false` = none. */
  trustProxy: boolean | number | string;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimits = {
  maxDepth: 10,
  maxCost: 50_000,
  maxAliases: 20,
  maxDirectives: 50,
  maxTokens: 5_000,
  maxDocumentBytes: 64 * 1024,
};

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleConfig = {
  perLoginAndAddress: { failures: 10, windowSeconds: 15 * 60, blockSeconds: 15 * 60 },
  perAddress: { failures: 100, windowSeconds: 60 * 60, blockSeconds: 60 * 60 },
  perLogin: { failures: 50, windowSeconds: 15 * 60, blockSeconds: 5 * 60 },
};

/** A boolean variable: 1/true/yes/on or 0/false/no/off (any case); `fallback` when unset. */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number, max = 10_000_000): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a positive integer, got "${env[name]}"`);
  const value = Number(raw);
  if (value < 1 || value > max) throw new ConfigError(`${name} must be between 1 and ${max}, got ${value}`);
  return value;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `1h`, `1d` → seconds. */
export function parseDuration(raw: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(raw.trim());
  if (!match) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[(match[2] || 's').toLowerCase()]!;
  return seconds >= 1 && seconds <= 30 * 86400 ? seconds : null;
}

/** `failures/window/block`, e.g. `10/15m/15m`; `off` (or `0`) disables the rule. */
export function parseThrottleRule(name: string, raw: string | undefined, fallback: ThrottleRule | null): ThrottleRule | null {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (value === 'off' || value === '0' || value === 'false') return null;
  const parts = value.split('/');
  const failures = parts[0] !== undefined && /^\d+$/.test(parts[0].trim()) ? Number(parts[0]) : NaN;
  const windowSeconds = parts[1] === undefined ? null : parseDuration(parts[1]);
  const blockSeconds = parts[2] === undefined ? null : parseDuration(parts[2]);
  if (parts.length !== 3 || !(failures >= 1 && failures <= 1_000_000) || windowSeconds === null || blockSeconds === null) {
    throw new ConfigError(
      `${name} must be "failures/window/block" (e.g. "10/15m/15m"; durations in s, m, h or d, up to 30d) or "off", got "${raw}"`,
    );
  }
  return { failures, windowSeconds, blockSeconds };
}

function trustProxy(raw: string | undefined): boolean | number | string {
  const value = raw?.trim();
  if (value === undefined || value === '' || /^(false|0|no|off)$/i.test(value)) return false;
  if (/^(true|yes|on)$/i.test(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  // Express accepts a comma list of addresses, subnets and names (loopback, linklocal, uniquelocal).
  return value;
}

export function loadSecurityConfig(env: NodeJS.ProcessEnv, environment: 'development' | 'production' | 'test'): SecurityConfig {
  const open = environment !== 'production';
  const problems = new ConfigProblems();
  const corsOrigins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/i.test(origin)) {
      problems.add(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], e.g. https://dashboards.corp.com) or *`);
    }
  }
  const limits = DEFAULT_GRAPHQL_LIMITS;
  const throttle = DEFAULT_LOGIN_THROTTLE;
  const config: SecurityConfig = {
    graphqlIntrospection: problems.read(() => flag(env, 'GRAPHQL_INTROSPECTION', open), open),
    graphqlPlayground: problems.read(() => flag(env, 'GRAPHQL_PLAYGROUND', open), open),
    graphqlLimits: {
      maxDepth: problems.read(() => positive(env, 'GRAPHQL_MAX_DEPTH', limits.maxDepth, 1000), limits.maxDepth),
      maxCost: problems.read(() => positive(env, 'GRAPHQL_MAX_COST', limits.maxCost, 1_000_000_000), limits.maxCost),
      maxAliases: problems.read(() => positive(env, 'GRAPHQL_MAX_ALIASES', limits.maxAliases, 100_000), limits.maxAliases),
      maxDirectives: problems.read(() => positive(env, 'GRAPHQL_MAX_DIRECTIVES', limits.maxDirectives, 100_000), limits.maxDirectives),
      maxTokens: problems.read(() => positive(env, 'GRAPHQL_MAX_TOKENS', limits.maxTokens, 1_000_000), limits.maxTokens),
      maxDocumentBytes: problems.read(() => positive(env, 'GRAPHQL_MAX_DOCUMENT_BYTES', limits.maxDocumentBytes, 1024 * 1024), limits.maxDocumentBytes),
    },
    loginThrottle: {
      perLoginAndAddress: problems.read(
        () => parseThrottleRule('LOGIN_THROTTLE_LOGIN_ADDRESS', env.LOGIN_THROTTLE_LOGIN_ADDRESS, throttle.perLoginAndAddress),
        null,
      ),
      perAddress: problems.read(() => parseThrottleRule('LOGIN_THROTTLE_ADDRESS', env.LOGIN_THROTTLE_ADDRESS, throttle.perAddress), null),
      perLogin: problems.read(() => parseThrottleRule('LOGIN_THROTTLE_LOGIN', env.LOGIN_THROTTLE_LOGIN, throttle.perLogin), null),
    },
    corsOrigins,
    trustProxy: trustProxy(env.TRUST_PROXY),
  };
  problems.throwIfAny();
  return config;
}

/** How to make a key and move to it, for every refusal of a key (README: "Rotating the encryption key"). */
const KEY_HELP =
  'Generate one with `openssl rand -base64 32`. To move to it without losing the stored passwords: set ' +
  'ENCRYPTION_KEY=<new key> and add the key in use until now to ENCRYPTION_KEY_PREVIOUS (as legacy:<old key> when it ' +
  'is not in this format) on every replica, restart them, run `npm run cli -- rotate-encryption-key`, then remove ' +
  'ENCRYPTION_KEY_PREVIOUS';

/**
 * ENCRYPTION_KEY and ENCRYPTION_KEY_PREVIOUS. Fails closed: a key must be 32 random bytes written as 64 hex or 44
 * base64 characters (`openssl rand -base64 32`), since a short or guessable one would protect the stored
 * passwords only in name. A previous key in another format (the previous release accepted any string) must be
 * marked `legacy:<key>`: it then only opens what it sealed, until `rotate-encryption-key` re-seals it.
 */
export function loadEncryptionKeys(env: NodeJS.ProcessEnv): { encryptionKey: string | undefined; encryptionKeyPrevious: string[] } {
  const problems = new ConfigProblems();
  const raw = env.ENCRYPTION_KEY;
  const encryptionKey = raw === undefined || raw === '' ? undefined : raw;
  const problem = encryptionKey === undefined ? null : encryptionKeyProblem(encryptionKey);
  if (problem !== null) {
    problems.add(`ENCRYPTION_KEY must be 32 random bytes written as 64 hex or 44 base64 characters (${problem}). ${KEY_HELP}.`);
  }
  const encryptionKeyPrevious = (env.ENCRYPTION_KEY_PREVIOUS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  encryptionKeyPrevious.forEach((key, i) => {
    const name = `ENCRYPTION_KEY_PREVIOUS entry ${i + 1}`;
    if (key.startsWith(LEGACY_KEY_PREFIX)) {
      if (key === LEGACY_KEY_PREFIX) problems.add(`${name} is "${LEGACY_KEY_PREFIX}" with no key after it`);
      return;
    }
    const entryProblem = encryptionKeyProblem(key);
    if (entryProblem !== null) {
      problems.add(
        `${name} must be 32 random bytes written as 64 hex or 44 base64 characters (${entryProblem}), or ` +
          `${LEGACY_KEY_PREFIX}<key> for a key of the previous release in another format (it then only opens what it sealed). ${KEY_HELP}.`,
      );
    }
  });
  problems.throwIfAny();
  return { encryptionKey, encryptionKeyPrevious };
}
