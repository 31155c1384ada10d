import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in throttling counters (src/services/login-throttle.ts), shared by every replica of the gateway.
 *
 * The layout is the one `rate-limiter-flexible`'s RateLimiterPostgres reads and writes (`key`, `points`, `expire` in
 * epoch milliseconds); the gateway creates it here, through a migration, and tells the library not to create tables
 * at run time (`tableCreated: true`). `key` is text rather than the library's varchar(255): keys hold a login and an
 * address, and a long login must not make a sign-in fail.
 */
export class LoginThrottle1732320000010 implements MigrationInterface {
  name = 'LoginThrottle1732320000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_throttle (
        key    text PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    // The library's periodic clean-up deletes by expiry.
    await q.query(`CREATE INDEX login_throttle_expire_idx ON login_throttle (expire)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_throttle`);
  }
}
