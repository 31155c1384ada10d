import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DEFAULT_ADMIN_LOCK, lockForTransaction } from '../db/locks';
import { UserEntity } from '../entities/user.entity';
import { hashPassword } from './passwords';

export const DEFAULT_ADMIN_LOGIN = 'datasentinel';

export interface BootstrapResult {
  created: boolean;
  /** Set only when a password was generated; the caller prints it once. */
  generatedPassword?: string;
}

/**
 * Creates the default administrator `datasentinel` on the very first start, with ADMIN_EMAIL (whose default is
 * config's DEFAULT_ADMIN_EMAIL). Its password is ADMIN_PASSWORD, or a
 * random one returned here to be printed once; there is never a built-in default. A marker in `settings` remembers
 * that this happened, so an administrator who deliberately deletes the account does not see it come back; replicas
 * starting together serialize on an advisory lock.
 */
export async function ensureDefaultAdministrator(dataSource: DataSource, options: { password?: string; email: string }): Promise<BootstrapResult> {
  return dataSource.transaction(async (manager) => {
    await lockForTransaction(manager, DEFAULT_ADMIN_LOCK);
    const done = await manager.query<unknown[]>(`SELECT 1 FROM settings WHERE key = 'default_admin_created'`);
    if (done.length > 0) return { created: false };
    const generatedPassword = options.password ? undefined : randomBytes(18).toString('base64url');
    const password = options.password ?? generatedPassword!;
    const exists = await manager.getRepository(UserEntity).createQueryBuilder('u').where('lower(u.login) = :login', { login: DEFAULT_ADMIN_LOGIN }).getExists();
    if (!exists) {
      await manager.save(
        manager.create(UserEntity, {
          email: options.email,
          login: DEFAULT_ADMIN_LOGIN,
          passwordHash: await hashPassword(password),
          privilege: 'admin',
          profile: 'data admin',
          live360: true,
          comment: 'Default administrator',
          ldap: false,
          tokenVersion: 1,
        }),
      );
    }
    await manager.query(`INSERT INTO settings (key, value) VALUES ('default_admin_created', now()::text)`);
    return exists ? { created: false } : { created: true, generatedPassword };
  });
}
