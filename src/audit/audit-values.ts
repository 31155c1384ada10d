/**
 * What an audit event may say about a changed object: plain JSON, with every secret replaced by
 * {@link SECRET_MASK}. Services build snapshots of what changed from explicit field lists (never a whole entity,
 * which could carry a hash); {@link redact} then masks, as a second lock, any key that names a secret and any value
 * that looks like a credential, whoever built the snapshot.
 */

/** What a secret value becomes in an event (CONTRACT section 5). */
export const SECRET_MASK = '********';

export type AuditValues = Record<string, unknown>;

/** Keys whose values are secrets wherever they appear in a snapshot. */
const SECRET_KEY = /password|secret|token|hash|credential|private/i;
/** Values that are credentials whatever their key: API key secrets, JWTs, sealed connection passwords (`v2.<keyId>.<iv>.<tag>.<data>`). */
const SECRET_VALUE = /^(dsk_|eyJ[A-Za-z0-9_-]{8,}\.)|^v[12](\.[A-Za-z0-9_-]+){4}$/;

/** A deep copy of `value` as JSON, with secrets masked. `undefined` properties are left out. */
export function redact(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value === 'object') {
    const out: AuditValues = {};
    for (const [key, inner] of Object.entries(value as AuditValues)) {
      if (inner === undefined) continue;
      out[key] = SECRET_KEY.test(key) && inner !== null ? SECRET_MASK : redact(inner);
    }
    return out;
  }
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? SECRET_MASK : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value as bigint);
}

/**
 * The fields that differ between two snapshots of one object, as the `before` and `after` of an update. Snapshots
 * hold no secret: a service that changed one adds `{ password: SECRET_MASK }` to both sides itself.
 */
export function changedFields(before: AuditValues, after: AuditValues): { before: AuditValues; after: AuditValues } {
  const changed = { before: {} as AuditValues, after: {} as AuditValues };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key] ?? null) === JSON.stringify(after[key] ?? null)) continue;
    changed.before[key] = before[key] ?? null;
    changed.after[key] = after[key] ?? null;
  }
  return changed;
}

/** The target of a failed sign-in: the identifier as typed, normalized and bounded (it is untrusted input). */
export function attemptedLogin(login: string): string {
  const normalized = login.trim().toLowerCase();
  return normalized.length <= 100 ? normalized : `${normalized.slice(0, 99)}…`;
}
