/**
 * The security part of the configuration: GraphQL request limits, sign-in throttling, CORS, the IDE and
 * introspection, and which proxies to trust for the client address. Read by {@link loadConfig} with the rest;
 * every variable is documented in docs/configuration.md (and docs/security.md).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ConfigProblems, flag, integer } from './config/parse';
import { loadManifest, PERSISTED_QUERY_MODES, type PersistedQueryConfig, type PersistedQueryMode } from './graphql/persisted-queries';
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

/**
 * Directory sign-in (src/directory/): `ldap` users authenticate against LDAP or Active Directory. `null` when
 * LDAP_URL is unset. Everything is checked here, at start, so a typo never shows up as a sign-in failure later.
 */
export interface DirectoryConfig {
  url: string;
  startTls: boolean;
  /** PEM text of LDAP_CA_FILE (read at start); `undefined` = Node's bundled CAs. */
  ca: string | undefined;
  caFile: string | undefined;
  bindDn: string | undefined;
  bindPassword: string | undefined;
  /** Search base; may hold `{login}` / `{email}`, replaced with RFC 4514-escaped values. */
  userBase: string;
  /** Search filter; `{login}` / `{email}` are replaced with RFC 4515-escaped values. */
  userFilter: string;
  timeoutMs: number;
  /** LDAP_GROUP_ROLES: normalized group DN → role names; `null` = roles of ldap users are managed in the gateway. */
  groupRoles: Map<string, string[]> | null;
  autoProvision: boolean;
  defaultPrivilege: 'read' | 'read write' | 'admin';
  defaultProfile: 'developer' | 'data admin';
}

/**
 * A DN in the form used to compare two of them: attribute types and values lower-cased, no blanks around `,`,
 * `=` and `+`. Directories answer `memberOf` in their own spelling (`CN=Sales,OU=Groups,DC=corp`), operators write
 * LDAP_GROUP_ROLES in theirs; DN values are compared case-insensitively by both OpenLDAP and Active Directory.
 */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .replace(/\s*([,=+])\s*/g, '$1')
    .toLowerCase();
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
  directory: DirectoryConfig | null;
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

// Moved to src/config/parse.ts; still exported here for code that imports it from this module.
export { flag } from './config/parse';

/** A positive integer variable up to `max` (the one reader of src/config/parse.ts). */
const positive = (env: NodeJS.ProcessEnv, name: string, fallback: number, max = 10_000_000) => integer(env, name, fallback, 1, max);

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
    throw new ConfigError(`${name} must be "failures/window/block" (e.g. "10/15m/15m"; durations in s, m, h or d, up to 30d) or "off", got "${raw}"`);
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
  if (!path)
    throw new ConfigError('PERSISTED_QUERIES_MANIFEST is required with PERSISTED_QUERIES=trusted (e.g. examples/generated/client/persisted-documents.json)');
  try {
    return { mode, manifest: loadManifest(path) };
  } catch (error) {
    throw new ConfigError(`PERSISTED_QUERIES_MANIFEST: ${(error as Error).message}`);
  }
}

const DIRECTORY_VARIABLES = [
  'LDAP_START_TLS',
  'LDAP_CA_FILE',
  'LDAP_BIND_DN',
  'LDAP_BIND_PASSWORD',
  'LDAP_USER_BASE',
  'LDAP_USER_FILTER',
  'LDAP_TIMEOUT_MS',
  'LDAP_GROUP_ROLES',
  'LDAP_AUTO_PROVISION',
  'LDAP_DEFAULT_PRIVILEGE',
  'LDAP_DEFAULT_PROFILE',
];
const ROLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PRIVILEGES = { READ: 'read', READ_WRITE: 'read write', ADMIN: 'admin' } as const;
const PROFILES = { DEVELOPER: 'developer', DATA_ADMIN: 'data admin' } as const;

/** `READ` / `read` / `READ_WRITE` / `read write` ... → the stored spelling. */
function enumValue<T extends string>(name: string, raw: string | undefined, values: Record<string, T>, fallback: T): T {
  const value = raw?.trim();
  if (value === undefined || value === '') return fallback;
  const key = value.toUpperCase().replace(/\s+/g, '_');
  const found = values[key];
  if (!found) throw new ConfigError(`${name} must be one of ${Object.keys(values).join(', ')}, got "${raw}"`);
  return found;
}

function groupRoles(raw: string | undefined): Map<string, string[]> | null {
  if (raw === undefined || raw.trim() === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('LDAP_GROUP_ROLES must be a JSON object from group DN to role names, e.g. {"cn=dba,ou=groups,dc=corp,dc=com": ["production"]}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('LDAP_GROUP_ROLES must be a JSON object from group DN to role names');
  }
  const map = new Map<string, string[]>();
  for (const [dn, roles] of Object.entries(parsed as Record<string, unknown>)) {
    if (!/^[^=,]+=[^,]+/.test(dn.trim())) throw new ConfigError(`LDAP_GROUP_ROLES: "${dn}" is not a DN (e.g. cn=dba,ou=groups,dc=corp,dc=com)`);
    const list = typeof roles === 'string' ? [roles] : roles;
    if (!Array.isArray(list) || list.length === 0 || !list.every((r) => typeof r === 'string' && ROLE_NAME.test(r))) {
      throw new ConfigError(`LDAP_GROUP_ROLES: the roles of "${dn}" must be a non-empty list of role names (1-64 chars of A-Z a-z 0-9 _ . -)`);
    }
    const key = normalizeDn(dn);
    map.set(key, [...new Set([...(map.get(key) ?? []), ...(list as string[])])]);
  }
  if (map.size === 0) throw new ConfigError('LDAP_GROUP_ROLES must map at least one group (unset it to manage roles in the gateway)');
  return map;
}

/** LDAP_* variables; `null` when LDAP_URL is unset (then no other LDAP_ variable may be set, to catch typos). */
export function loadDirectoryConfig(env: NodeJS.ProcessEnv, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): DirectoryConfig | null {
  const get = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const url = get('LDAP_URL')?.trim();
  if (url === undefined) {
    const stray = DIRECTORY_VARIABLES.filter((k) => get(k) !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray[0]} is set but LDAP_URL is not: set LDAP_URL to use a directory`);
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`LDAP_URL must be ldap://host[:port] or ldaps://host[:port], got "${url}"`);
  }
  if (!['ldap:', 'ldaps:'].includes(parsed.protocol) || !parsed.hostname || (parsed.pathname !== '' && parsed.pathname !== '/')) {
    throw new ConfigError(`LDAP_URL must be ldap://host[:port] or ldaps://host[:port], got "${url}"`);
  }
  const startTls = flag(env, 'LDAP_START_TLS', false);
  if (startTls && parsed.protocol === 'ldaps:') throw new ConfigError('LDAP_START_TLS applies to ldap:// URLs; LDAP_URL is already ldaps://');
  const caFile = get('LDAP_CA_FILE');
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = readFile(caFile);
    } catch (error) {
      throw new ConfigError(`LDAP_CA_FILE: cannot read "${caFile}" (${(error as Error).message})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`LDAP_CA_FILE: "${caFile}" holds no PEM certificate`);
  }
  const bindDn = get('LDAP_BIND_DN');
  const bindPassword = env.LDAP_BIND_PASSWORD === '' ? undefined : env.LDAP_BIND_PASSWORD;
  if (bindDn !== undefined && bindPassword === undefined) {
    // An empty password would make the "service account" bind an unauthenticated one (RFC 4513 5.1.2).
    throw new ConfigError('LDAP_BIND_PASSWORD is required with LDAP_BIND_DN');
  }
  if (bindDn === undefined && bindPassword !== undefined) throw new ConfigError('LDAP_BIND_PASSWORD is set but LDAP_BIND_DN is not');
  const userBase = get('LDAP_USER_BASE')?.trim();
  if (userBase === undefined) throw new ConfigError('LDAP_USER_BASE is required with LDAP_URL (e.g. ou=people,dc=corp,dc=com)');
  const userFilter = get('LDAP_USER_FILTER')?.trim() ?? '(mail={email})';
  if (!/^\(.*\)$/s.test(userFilter) || !/\{(login|email)\}/.test(userFilter)) {
    throw new ConfigError(`LDAP_USER_FILTER must be a parenthesized LDAP filter naming {login} or {email}, e.g. (mail={email}), got "${userFilter}"`);
  }
  const unknown = /\{(?!login\}|email\})[^}]*\}/.exec(userFilter + userBase);
  if (unknown) throw new ConfigError(`LDAP_USER_FILTER / LDAP_USER_BASE: unknown placeholder ${unknown[0]} (use {login} or {email})`);
  return {
    url,
    startTls,
    ca,
    caFile,
    bindDn,
    bindPassword,
    userBase,
    userFilter,
    timeoutMs: positive(env, 'LDAP_TIMEOUT_MS', 3000, 600_000),
    groupRoles: groupRoles(env.LDAP_GROUP_ROLES),
    autoProvision: flag(env, 'LDAP_AUTO_PROVISION', false),
    defaultPrivilege: enumValue('LDAP_DEFAULT_PRIVILEGE', env.LDAP_DEFAULT_PRIVILEGE, PRIVILEGES, 'read'),
    defaultProfile: enumValue('LDAP_DEFAULT_PROFILE', env.LDAP_DEFAULT_PROFILE, PROFILES, 'developer'),
  };
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
    trustProxy: problems.read(() => trustProxy(env.TRUST_PROXY), false),
    persistedQueries: problems.read(() => persistedQueries(env), { mode: 'off', manifest: null }),
    cacheBounds: DEFAULT_CACHE_BOUNDS,
    directory: problems.read(() => loadDirectoryConfig(env), null),
  };
  problems.throwIfAny();
  return config;
}

/** How to make a key and move to it, for every refusal of a key (docs/cli.md: "Rotating the encryption key"). */
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
