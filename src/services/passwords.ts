/**
 * User password hashing: argon2id from @node-rs/argon2 (a maintained native binding that ships prebuilt binaries,
 * so installs need no compiler and no install script). Parameters are the library's defaults, which follow the
 * OWASP recommendation for argon2id (19 MiB, 2 iterations).
 */
import { hash, verify } from '@node-rs/argon2';

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** A valid hash of a random string, verified against when no user matches, so timing does not reveal logins. */
let decoyHash: Promise<string> | undefined;

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (passwordHash === null) {
    decoyHash ??= hash(`decoy-${Math.random()}`);
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}
