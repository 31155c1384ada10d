/**
 * Authenticated encryption (AES-256-GCM, Node's crypto) for monitored-connection passwords at rest.
 *
 * Keys: ENCRYPTION_KEY is 32 random bytes, written as 64 hex or 44 base64 characters ({@link decodeEncryptionKey}).
 * The AES key and the key id are derived from those bytes with HKDF-SHA-256 under distinct labels, so the
 * configured bytes are never used as they are and the id (stored with every value) reveals nothing about the key.
 *
 * Sealed form: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The value is bound to its row: the
 * *binding* (`connection:<name>`, {@link connectionBinding}) is GCM's associated data, so a sealed password copied
 * into another connection's row fails to open there. A connection's name never changes (there is no rename), which
 * is why it, and not the numeric id, is the binding: the import seals before the rows (and their ids) exist.
 *
 * The previous release's form, `v1.<keyId>...` (AES key = SHA-256 of the configured string, no binding), still
 * opens with the key that sealed it, so an upgrade needs no downtime; {@link needsResealing} is true for it, and
 * `rotate-encryption-key` re-seals it as v2. A key of that release that is not 32 random bytes can only be given
 * as `legacy:<key>` in ENCRYPTION_KEY_PREVIOUS: it then opens v1 values and never seals.
 *
 * A box is a keyring: it seals with the current key and opens with the current key or any previous one
 * (ENCRYPTION_KEY_PREVIOUS, and the key generated at first start), so a key can be rotated without downtime.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** Prefix of an ENCRYPTION_KEY_PREVIOUS entry that is a key of the previous release in a format no longer accepted. */
export const LEGACY_KEY_PREFIX = 'legacy:';

const HKDF_SALT = 'ds-access-gateway secret-box v2';

/**
 * The 32 bytes of a key written as 64 hex or 44 base64 (or base64url) characters, or `null` when `text` is
 * anything else (see {@link encryptionKeyProblem}).
 */
export function decodeEncryptionKey(text: string): Buffer | null {
  return encryptionKeyProblem(text) === null ? keyBytes(text) : null;
}

/** Why `text` is not a usable key, without showing it (it is a secret and this goes to logs), or `null`. */
export function encryptionKeyProblem(text: string): string | null {
  const bytes = keyBytes(text);
  if (bytes === null) return `got ${text.length} characters${/\s/.test(text) ? ' including white space' : ''}`;
  // Not a proof of randomness, but a placeholder such as 64 zeros is refused.
  if (bytes.every((byte) => byte === bytes[0])) return 'its 32 bytes are all the same: not a random key';
  return null;
}

function keyBytes(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) || /^[A-Za-z0-9_-]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  return null;
}

/** What binds a connection's sealed password to its row (GCM associated data). */
export function connectionBinding(name: string): string {
  return `connection:${name}`;
}

/** One key of a ring, in the forms it can open: v2 (HKDF) when it may seal, v1 (the previous release's). */
export interface RingKey {
  v2: { id: string; key: Buffer } | null;
  v1: { id: string; key: Buffer };
}

function v1Form(material: string): RingKey['v1'] {
  // The previous release's derivation, kept only to open what it sealed.
  const key = createHash('sha256').update(material, 'utf8').digest();
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
}

function v2Form(inputKeyMaterial: Buffer): NonNullable<RingKey['v2']> {
  const derive = (label: string, length: number) => Buffer.from(hkdfSync('sha256', inputKeyMaterial, HKDF_SALT, label, length));
  return { id: derive('key id', 6).toString('base64url'), key: derive('aes-256-gcm key for connection passwords', 32) };
}

/**
 * A configured key: ENCRYPTION_KEY's format (seals and opens v2 and v1), or `legacy:<key>` (opens v1 only).
 * @throws Error for anything else; configuration validation (src/security-config.ts) refuses those first.
 */
export function configuredKey(text: string): RingKey {
  if (text.startsWith(LEGACY_KEY_PREFIX)) return { v2: null, v1: v1Form(text.slice(LEGACY_KEY_PREFIX.length)) };
  const bytes = decodeEncryptionKey(text);
  if (!bytes) throw new Error('an encryption key must be 32 random bytes written as 64 hex or 44 base64 characters');
  return { v2: v2Form(bytes), v1: v1Form(text) };
}

/** The key generated at first start and kept in the database (a random string): HKDF takes it as it is. */
export function storedKey(text: string): RingKey {
  return { v2: v2Form(Buffer.from(text, 'utf8')), v1: v1Form(text) };
}

export class SecretBox {
  /** Id of the current key, the one {@link seal} uses. */
  readonly keyId: string;
  private readonly key: Buffer;
  /** Every key that may open a sealed value, by form and id: the current one and the previous ones. */
  private readonly keys = { v1: new Map<string, Buffer>(), v2: new Map<string, Buffer>() };

  /**
   * @param current the key that seals (a string is read by {@link configuredKey}); it must be able to seal (v2).
   * @param previous older keys, used only to open values they sealed.
   */
  constructor(current: RingKey | string, previous: readonly (RingKey | string)[] = []) {
    const ring = (k: RingKey | string) => (typeof k === 'string' ? configuredKey(k) : k);
    const head = ring(current);
    if (!head.v2) throw new Error('a legacy key cannot seal: set ENCRYPTION_KEY to 32 random bytes');
    this.key = head.v2.key;
    this.keyId = head.v2.id;
    for (const k of [...previous.map(ring), head]) {
      if (k.v2) this.keys.v2.set(k.v2.id, k.v2.key);
      this.keys.v1.set(k.v1.id, k.v1.key);
    }
  }

  /** Ids of every key this box can open besides the current one (the previous release's forms as `v1:<id>`). */
  get previousKeyIds(): string[] {
    return [...[...this.keys.v2.keys()].filter((id) => id !== this.keyId), ...[...this.keys.v1.keys()].map((id) => `v1:${id}`)];
  }

  /** Id of the key that sealed `sealed` (`v1:<id>` for the previous release's form), or `null` when it is not a sealed value. */
  static keyIdOf(sealed: string): string | null {
    const [version, keyId] = sealed.split('.');
    if (!keyId) return null;
    return version === 'v2' ? keyId : version === 'v1' ? `v1:${keyId}` : null;
  }

  /** True when the key that sealed `sealed` is in this ring (whether the value then opens is another matter). */
  hasKeyOf(sealed: string): boolean {
    const [version, keyId] = sealed.split('.');
    return keyId !== undefined && ((version === 'v2' && this.keys.v2.has(keyId)) || (version === 'v1' && this.keys.v1.has(keyId)));
  }

  /** True unless `sealed` is in the current form with the current key (a rotation should re-seal it). */
  needsResealing(sealed: string): boolean {
    return SecretBox.keyIdOf(sealed) !== this.keyId;
  }

  /** Opens with whichever known key sealed the value, and seals again with the current key, bound to `binding`. */
  reseal(sealed: string, binding: string): string {
    return this.seal(this.open(sealed, binding), binding);
  }

  /** Seals `plaintext` with the current key, bound to `binding` (e.g. {@link connectionBinding}). */
  seal(plaintext: string, binding: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(binding, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v2', this.keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /**
   * Opens a value sealed for `binding`. A v2 value sealed for another binding (copied from another row) or altered
   * in any way throws; a v1 value (previous release) had no binding, and opens until it is re-sealed.
   */
  open(sealed: string, binding: string): string {
    const [version, keyId, iv, tag, ciphertext, extra] = sealed.split('.');
    if ((version !== 'v1' && version !== 'v2') || !keyId || iv === undefined || tag === undefined || ciphertext === undefined || extra !== undefined) {
      throw new Error('Unrecognized sealed secret format');
    }
    const key = (version === 'v2' ? this.keys.v2 : this.keys.v1).get(keyId);
    if (!key) {
      throw new Error(`Secret was sealed with key ${SecretBox.keyIdOf(sealed)}, which is neither ENCRYPTION_KEY nor one of ENCRYPTION_KEY_PREVIOUS`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (version === 'v2') decipher.setAAD(Buffer.from(binding, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(`Secret sealed with key ${SecretBox.keyIdOf(sealed)} does not open here: it belongs to another row, or was altered`);
    }
  }
}
