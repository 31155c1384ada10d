/** Pure parts of the security settings: configuration parsing, cost weights, throttle keys. */
import 'reflect-metadata';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, getIntrospectionQuery, parse } from 'graphql';
import { ConfigError, loadConfig } from '../../src/config';
import { estimateCost, expandedFieldCount } from '../../src/graphql/limits';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { DEFAULT_GRAPHQL_LIMITS, DEFAULT_LOGIN_THROTTLE, parseDuration, parseThrottleRule } from '../../src/security-config';
import { addressKey, loginKey } from '../../src/services/login-throttle';

describe('configuration', () => {
  test('defaults', () => {
    const config = loadConfig({});
    expect(config.graphqlLimits).toEqual(DEFAULT_GRAPHQL_LIMITS);
    expect(config.loginThrottle).toEqual(DEFAULT_LOGIN_THROTTLE);
    expect(config.loginThrottle.perLoginAndAddress).toEqual({ failures: 10, windowSeconds: 900, blockSeconds: 900 });
    expect(config.corsOrigins).toEqual([]);
    expect(config.trustProxy).toBe(false);
    expect(config.graphqlIntrospection).toBe(true);
    expect(config.graphqlPlayground).toBe(true);
  });

  test('every limit has its variable', () => {
    const config = loadConfig({
      GRAPHQL_MAX_DEPTH: '7',
      GRAPHQL_MAX_COST: '1000',
      GRAPHQL_MAX_ALIASES: '3',
      GRAPHQL_MAX_DIRECTIVES: '4',
      GRAPHQL_MAX_TOKENS: '500',
      GRAPHQL_MAX_DOCUMENT_BYTES: '2048',
      LOGIN_THROTTLE_LOGIN_ADDRESS: '5/10m/1h',
      LOGIN_THROTTLE_ADDRESS: 'off',
      LOGIN_THROTTLE_LOGIN: '20/30s/90',
      TRUST_PROXY: 'loopback, 10.0.0.0/8',
    });
    expect(config.graphqlLimits).toEqual({ maxDepth: 7, maxCost: 1000, maxAliases: 3, maxDirectives: 4, maxTokens: 500, maxDocumentBytes: 2048 });
    expect(config.loginThrottle).toEqual({
      perLoginAndAddress: { failures: 5, windowSeconds: 600, blockSeconds: 3600 },
      perAddress: null,
      perLogin: { failures: 20, windowSeconds: 30, blockSeconds: 90 },
    });
    expect(config.trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  test('bad values are refused at start, naming the variable', () => {
    expect(() => loadConfig({ GRAPHQL_MAX_DEPTH: '0' })).toThrow(/GRAPHQL_MAX_DEPTH/);
    expect(() => loadConfig({ GRAPHQL_MAX_COST: 'lots' })).toThrow(ConfigError);
    expect(() => loadConfig({ GRAPHQL_INTROSPECTION: 'maybe' })).toThrow(/GRAPHQL_INTROSPECTION/);
    expect(() => loadConfig({ LOGIN_THROTTLE_LOGIN: '10/15m' })).toThrow(/LOGIN_THROTTLE_LOGIN.*failures\/window\/block/);
    expect(() => loadConfig({ LOGIN_THROTTLE_ADDRESS: '10/forever/1h' })).toThrow(/LOGIN_THROTTLE_ADDRESS/);
    expect(() => loadConfig({ GRAPHQL_JIT: 'fast' })).toThrow(/GRAPHQL_JIT must be true or false/);
    expect(() => loadConfig({ GRAPHQL_JIT_MIN_USES: '0' })).toThrow(/GRAPHQL_JIT_MIN_USES must be between 1/);
    expect(() => loadConfig({ METRICS_ENABLED: 'perhaps' })).toThrow(/METRICS_ENABLED must be true or false/);
  });

  test('ENCRYPTION_KEY must be 32 random bytes (64 hex or 44 base64 characters); the message says how to make one and rotate, never the key', () => {
    const hex = 'c0ffee'.repeat(10) + '0123';
    const base64 = Buffer.from(hex, 'hex').toString('base64');
    expect(loadConfig({ ENCRYPTION_KEY: hex }).encryptionKey).toBe(hex);
    expect(loadConfig({ ENCRYPTION_KEY: base64 }).encryptionKey).toBe(base64);
    expect(loadConfig({ ENCRYPTION_KEY: base64.replace(/\+/g, '-').replace(/\//g, '_') }).encryptionKey).toBeDefined();
    expect(loadConfig({}).encryptionKey).toBeUndefined();
    for (const bad of [
      'secret',
      'a-long-passphrase-but-not-a-key-0123456789-0123456789',
      hex.slice(1),
      `${hex}00`,
      base64.slice(0, -1),
      ` ${base64}`,
      '0'.repeat(64),
      'g'.repeat(64),
    ]) {
      let error: unknown;
      try {
        loadConfig({ ENCRYPTION_KEY: bad });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/^ENCRYPTION_KEY must be 32 random bytes written as 64 hex or 44 base64 characters/);
      expect(message).toContain('openssl rand -base64 32');
      expect(message).toContain('rotate-encryption-key');
      expect(message).not.toContain(bad.trim());
    }
    expect(() => loadConfig({ ENCRYPTION_KEY: '0'.repeat(64) })).toThrow(/all the same: not a random key/);
    // Each previous key too, named by its position; an old key in another format is accepted only marked legacy:.
    expect(() => loadConfig({ ENCRYPTION_KEY_PREVIOUS: `${hex},oldpassphrase` })).toThrow(
      /^ENCRYPTION_KEY_PREVIOUS entry 2 must be 32 random bytes.*legacy:<key>/,
    );
    expect(() => loadConfig({ ENCRYPTION_KEY_PREVIOUS: 'legacy:' })).toThrow(/ENCRYPTION_KEY_PREVIOUS entry 1 is "legacy:" with no key/);
    expect(loadConfig({ ENCRYPTION_KEY: hex, ENCRYPTION_KEY_PREVIOUS: 'legacy:oldpassphrase' }).encryptionKeyPrevious).toEqual(['legacy:oldpassphrase']);
  });

  test('every configuration problem is reported together, each naming its variable', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        JWT_SECRET: 'short',
        ENCRYPTION_KEY: 'short',
        ENCRYPTION_KEY_PREVIOUS: 'also-short',
        GRAPHQL_MAX_DEPTH: '0',
        LOGIN_THROTTLE_LOGIN: '10/15m',
        CORS_ORIGINS: 'a.example',
        METRICS_ENABLED: 'perhaps',
        GRAPHQL_JIT: 'fast',
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => /^[A-Z_]+/.exec(p)![0])).toEqual([
      'JWT_SECRET',
      'PORT',
      'ENCRYPTION_KEY',
      'ENCRYPTION_KEY_PREVIOUS',
      'CORS_ORIGINS',
      'GRAPHQL_MAX_DEPTH',
      'LOGIN_THROTTLE_LOGIN',
      'METRICS_ENABLED',
      'GRAPHQL_JIT',
    ]);
    expect(error!.message.split('\n')).toEqual(error!.problems);
  });

  test('the executor settings: compiled queries on by default, after a second use', () => {
    expect([loadConfig({}).graphqlJit, loadConfig({}).graphqlJitMinUses]).toEqual([true, 2]);
    expect([loadConfig({ GRAPHQL_JIT: 'off', GRAPHQL_JIT_MIN_USES: '5' }).graphqlJit, loadConfig({ GRAPHQL_JIT_MIN_USES: '5' }).graphqlJitMinUses]).toEqual([
      false,
      5,
    ]);
  });

  test('durations and rules', () => {
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('31d')).toBeNull();
    expect(parseDuration('0s')).toBeNull();
    expect(parseThrottleRule('X', ' 3 / 1m / 2m ', null)).toEqual({ failures: 3, windowSeconds: 60, blockSeconds: 120 });
    expect(parseThrottleRule('X', undefined, null)).toBeNull();
    expect(parseThrottleRule('X', '0', { failures: 1, windowSeconds: 1, blockSeconds: 1 })).toBeNull();
  });
});

describe('cost estimate', () => {
  const cost = async (query: string, variables: Record<string, unknown> = {}) => estimateCost(await buildGatewaySchema(), parse(query), variables);

  test('scalars cost 1, objects 1 plus their selection', async () => {
    expect(await cost(`{ me { login email } }`)).toBe(3);
    expect(await cost(`{ me { permissions { administer dashboards } } }`)).toBe(1 + (1 + 2));
  });

  test('paged fields are weighted by first: default 50, capped at 500, from literals or variables', async () => {
    expect(await cost(`{ connections { totalCount } }`)).toBe(1 + 50 * 1);
    expect(await cost(`{ connections(first: 5) { totalCount } }`)).toBe(1 + 5);
    expect(await cost(`{ connections(first: 100000) { totalCount } }`)).toBe(1 + 500);
    expect(await cost(`query($n: Int) { connections(first: $n) { totalCount } }`, { n: 7 })).toBe(1 + 7);
    // nodes/edges of a page are as long as the page: not weighted again.
    expect(await cost(`{ connections(first: 2) { nodes { name } } }`)).toBe(1 + 2 * (1 + 1));
  });

  test('other lists count 10 each, so connections nested in roles cost a lot', async () => {
    expect(await cost(`{ roles { name } }`)).toBe(1 + 10 * 1);
    const nested = await cost(`{ roles { connections { nodes { name } } } }`);
    expect(nested).toBe(1 + 10 * (1 + 50 * (1 + 1)));
    expect(await cost(`{ roles { connections(first: 500) { nodes { name tags { key value } } } } }`)).toBeGreaterThan(DEFAULT_GRAPHQL_LIMITS.maxCost);
  });

  test('@skip and @include are honoured', async () => {
    expect(await cost(`query($x: Boolean!) { me { login email @include(if: $x) } }`, { x: false })).toBe(2);
  });

  test('every example operation and the GraphiQL introspection query fit the default cost', async () => {
    const schema = await buildGatewaySchema();
    const dir = join(__dirname, '../../examples/operations');
    const variables = {
      first: 500,
      login: 'x',
      password: 'x',
      name: 'x',
      email: 'x@y.z',
      access: [],
      input: {},
      connection: 'x',
      roles: [],
      ids: Array.from({ length: 500 }, () => 'x'),
    };
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.graphql'))) {
      const document = parse(readFileSync(join(dir, file), 'utf8'));
      for (const d of document.definitions) {
        if (d.kind !== Kind.OPERATION_DEFINITION) continue;
        let value: number | null;
        try {
          value = estimateCost(schema, document, variables, d.name?.value);
        } catch {
          value = estimateCost(schema, document, { ...variables, input: { host: 'h', port: 1, user: 'u', password: 'p' } }, d.name?.value);
        }
        expect({ op: d.name?.value, fits: value! <= DEFAULT_GRAPHQL_LIMITS.maxCost }).toEqual({ op: d.name?.value, fits: true });
      }
    }
    expect(estimateCost(schema, parse(getIntrospectionQuery()))).toBeLessThan(1000);
  });

  test('fragment expansion is counted without walking it', () => {
    const fragments = Array.from({ length: 40 }, (_, i) =>
      i === 0 ? 'fragment F0 on User { login }' : `fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`,
    );
    const document = parse(`{ me { ...F39 } } ${fragments.join(' ')}`);
    const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
    expect(expandedFieldCount(document, operation as never)).toBe(1 + 2 ** 39);
  });
});

describe('throttle keys', () => {
  test('addresses: IPv4 as is, IPv4-mapped unwrapped, IPv6 by /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002::5')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBeUndefined();
  });

  test('logins: case and spaces ignored, long ones hashed', () => {
    expect(loginKey('  DataSentinel ')).toBe('datasentinel');
    expect(loginKey('x'.repeat(5000))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
