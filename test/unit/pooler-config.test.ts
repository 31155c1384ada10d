/** LISTEN_DATABASE_URL: the direct connection for LISTEN/NOTIFY when DATABASE_URL is a pooler (docs/operating.md). */
import { ConfigError, loadConfig } from '../../src/config';

const DIRECT = 'postgres://gateway:secret@db.internal:5432/gateway';
const POOLED = 'postgres://gateway:secret@pgbouncer.internal:6432/gateway';

test('defaults to DATABASE_URL (unset), and is taken as given when it is a postgres URL', () => {
  expect(loadConfig({ DATABASE_URL: POOLED }).listenDatabaseUrl).toBeUndefined();
  expect(loadConfig({ DATABASE_URL: POOLED, LISTEN_DATABASE_URL: DIRECT }).listenDatabaseUrl).toBe(DIRECT);
  expect(loadConfig({ DATABASE_URL: POOLED, LISTEN_DATABASE_URL: 'postgresql://db.internal/gateway' }).listenDatabaseUrl).toBe(
    'postgresql://db.internal/gateway',
  );
});

test('a bad value is refused at start, naming the variable', () => {
  expect(() => loadConfig({ DATABASE_URL: POOLED, LISTEN_DATABASE_URL: 'db.internal:5432' })).toThrow(ConfigError);
  expect(() => loadConfig({ DATABASE_URL: POOLED, LISTEN_DATABASE_URL: 'db.internal:5432' })).toThrow(/^LISTEN_DATABASE_URL must be a postgres:\/\/ URL/);
  expect(() => loadConfig({ DATABASE_URL: POOLED, LISTEN_DATABASE_URL: 'http://db.internal/' })).toThrow(
    'LISTEN_DATABASE_URL must be a postgres:// URL, got a http: URL',
  );
  expect(() => loadConfig({ LISTEN_DATABASE_URL: DIRECT })).toThrow('LISTEN_DATABASE_URL needs DATABASE_URL');
});
