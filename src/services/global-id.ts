/**
 * Global object ids (Relay `Node.id`): opaque to clients, unique across types, stable for an object's life.
 *
 * Format `base64url("v1:<Type>:<key>")`. The version lets the format change later (a v2 decoder would still read
 * v1 ids). The key is the object's public name where it has one that never changes (connections and roles cannot
 * be renamed): a numeric database id would tell a restricted user how many objects exist beyond those they see.
 * API keys use their numeric id (only their owner and administrators ever see one).
 *
 * `User.id` was released (0.1.0) as the user's numeric id and keeps that value (changing it would break clients):
 * it is a User's global id as it is. No other type's id is all digits (base64url of "v1:..." starts with "djE6"), so
 * ids stay unique across types.
 */
export const NODE_TYPES = ['Connection', 'Role', 'User', 'ApiKey', 'AuditEvent'] as const;
export type NodeTypeName = (typeof NODE_TYPES)[number];

export interface GlobalId {
  type: NodeTypeName;
  key: string;
}

const USER_ID = /^[1-9][0-9]{0,9}$/;
const ENCODED = /^[A-Za-z0-9_-]{1,2048}$/;

export function globalIdOf(type: NodeTypeName, key: string | number): string {
  if (type === 'User') return String(key);
  return Buffer.from(`v1:${type}:${key}`, 'utf8').toString('base64url');
}

/** What a global id names, or `null` when it is not one (callers answer as for an object that does not exist). */
/** A positive PostgreSQL `bigint` in canonical decimal (no sign, no leading zero, at most 2^63 - 1). */
export function isBigintId(text: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(text) && BigInt(text) <= 9_223_372_036_854_775_807n;
}

export function parseGlobalId(id: string): GlobalId | null {
  if (USER_ID.test(id)) return Number(id) <= 2_147_483_647 ? { type: 'User', key: id } : null;
  if (!ENCODED.test(id)) return null;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const match = /^v1:(Connection|Role|ApiKey|AuditEvent):(.+)$/s.exec(text);
  if (!match) return null;
  // One spelling per object: a re-encoding must give the same id back (no padding variants, no stray bits).
  if (Buffer.from(text, 'utf8').toString('base64url') !== id) return null;
  const type = match[1] as NodeTypeName;
  const key = match[2]!;
  if (type === 'ApiKey' && !/^[1-9][0-9]{0,17}$/.test(key)) return null;
  if (type === 'AuditEvent' && !isBigintId(key)) return null;
  return { type, key };
}
