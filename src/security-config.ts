/**
 * The security part of the configuration: GraphQL request limits, sign-in throttling, CORS, the IDE and
 * introspection, and which proxies to trust for the client address. Read by {@link loadConfig} with the rest;
 * every variable is documented in the README (Configuration and Security sections).
 */
import { ConfigError } from './config';
import { loadManifest, PERSISTED_QUERY_MODES, type PersistedQueryConfig, type PersistedQueryMode } from './graphql/persisted-queries';

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
  /** PERSISTED_QUERIES and the manifest of PERSISTED_QUERIES_MANIFEST (src/graphql/persisted-queries.ts). */
  persistedQueries: PersistedQueryConfig;
  /** Size bounds of the per-replica caches (not configurable: docs/security.md explains them). */
  cacheBounds: CacheBounds;
}

/** How much each per-replica cache may hold, whatever clients send. */
export interface CacheBounds {
  /** Resolved callers (src/services/principal-cache.ts), entries. */
  principals: number;
  /** Tokens whose signature was checked (src/services/auth.service.ts), entries. */
  verifiedTokens: number;
  /** Limit verdicts per document (src/graphql/limits.ts), in characters of document text × 4. */
  limitVerdicts: number;
  /** APQ documents (src/graphql/persisted-queries.ts), in characters of document text. */
  persistedDocuments: number;
  /** Documents whose graphql-jit state is kept (src/graphql/executor.ts), entries. */
  compiledDocuments: number;
}

export const DEFAULT_CACHE_BOUNDS: CacheBounds = {
  principals: 10_000,
  verifiedTokens: 10_000,
  limitVerdicts: 8 * 1024 * 1024,
  persistedDocuments: 4 * 1024 * 1024,
  compiledDocuments: 1000,
};

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

function persistedQueries(env: NodeJS.ProcessEnv): PersistedQueryConfig {
  const mode = (env.PERSISTED_QUERIES?.trim().toLowerCase() || 'apq') as PersistedQueryMode;
  if (!PERSISTED_QUERY_MODES.includes(mode)) throw new ConfigError(`PERSISTED_QUERIES must be apq, trusted or off, got "${env.PERSISTED_QUERIES}"`);
  const path = env.PERSISTED_QUERIES_MANIFEST?.trim();
  if (mode !== 'trusted') {
    if (path) throw new ConfigError('PERSISTED_QUERIES_MANIFEST is only read with PERSISTED_QUERIES=trusted');
    return { mode, manifest: null };
  }
  if (!path) throw new ConfigError('PERSISTED_QUERIES_MANIFEST is required with PERSISTED_QUERIES=trusted (e.g. examples/generated/client/persisted-documents.json)');
  try {
    return { mode, manifest: loadManifest(path) };
  } catch (error) {
    throw new ConfigError(`PERSISTED_QUERIES_MANIFEST: ${(error as Error).message}`);
  }
}

export function loadSecurityConfig(env: NodeJS.ProcessEnv, environment: 'development' | 'production' | 'test'): SecurityConfig {
  const open = environment !== 'production';
  const corsOrigins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/i.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], e.g. https://dashboards.corp.com) or *`);
    }
  }
  return {
    graphqlIntrospection: flag(env, 'GRAPHQL_INTROSPECTION', open),
    graphqlPlayground: flag(env, 'GRAPHQL_PLAYGROUND', open),
    graphqlLimits: {
      maxDepth: positive(env, 'GRAPHQL_MAX_DEPTH', DEFAULT_GRAPHQL_LIMITS.maxDepth, 1000),
      maxCost: positive(env, 'GRAPHQL_MAX_COST', DEFAULT_GRAPHQL_LIMITS.maxCost, 1_000_000_000),
      maxAliases: positive(env, 'GRAPHQL_MAX_ALIASES', DEFAULT_GRAPHQL_LIMITS.maxAliases, 100_000),
      maxDirectives: positive(env, 'GRAPHQL_MAX_DIRECTIVES', DEFAULT_GRAPHQL_LIMITS.maxDirectives, 100_000),
      maxTokens: positive(env, 'GRAPHQL_MAX_TOKENS', DEFAULT_GRAPHQL_LIMITS.maxTokens, 1_000_000),
      maxDocumentBytes: positive(env, 'GRAPHQL_MAX_DOCUMENT_BYTES', DEFAULT_GRAPHQL_LIMITS.maxDocumentBytes, 1024 * 1024),
    },
    loginThrottle: {
      perLoginAndAddress: parseThrottleRule('LOGIN_THROTTLE_LOGIN_ADDRESS', env.LOGIN_THROTTLE_LOGIN_ADDRESS, DEFAULT_LOGIN_THROTTLE.perLoginAndAddress),
      perAddress: parseThrottleRule('LOGIN_THROTTLE_ADDRESS', env.LOGIN_THROTTLE_ADDRESS, DEFAULT_LOGIN_THROTTLE.perAddress),
      perLogin: parseThrottleRule('LOGIN_THROTTLE_LOGIN', env.LOGIN_THROTTLE_LOGIN, DEFAULT_LOGIN_THROTTLE.perLogin),
    },
    corsOrigins,
    trustProxy: trustProxy(env.TRUST_PROXY),
    persistedQueries: persistedQueries(env),
    cacheBounds: DEFAULT_CACHE_BOUNDS,
  };
}
