/**
 * Authenticated encryption (AES-256-GCM, Node's crypto) for monitored-connection passwords at rest.
 *
 * Sealed form: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id (first bytes of the key's
 * SHA-256) tells which key sealed a value, so a key rotation can find what still needs re-sealing.
 *
 * A box is a keyring: it seals with the current key and opens with the current key or any previous one
 * (ENCRYPTION_KEY_PREVIOUS), so a key can be rotated without downtime: `rotate-encryption-key` re-seals what the
 * previous keys sealed, after which they can be dropped from the configuration.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Key id of a key: the first characters of the SHA-256 of its stretched form (never the key itself). */
function stretch(keyMaterial: string): { key: Buffer; keyId: string } {
  const key = createHash('sha256').update(keyMaterial, 'utf8').digest();
  return { key, keyId: createHash('sha256').update(key).digest('base64url').slice(0, 8) };
}

export class SecretBox {
  /** Id of the current key, the one {@link seal} uses. */
  readonly keyId: string;
  private readonly key: Buffer;
  /** Every key that may open a sealed value, by id: the current one and the previous ones. */
  private readonly keys = new Map<string, Buffer>();

  /**
   * @param keyMaterial any string; it is stretched to 32 bytes with SHA-256.
   * @param previousKeys older keys, used only to open values they sealed.
   */
  constructor(keyMaterial: string, previousKeys: readonly string[] = []) {
    const current = stretch(keyMaterial);
    this.key = current.key;
    this.keyId = current.keyId;
    for (const material of previousKeys) {
      const previous = stretch(material);
      this.keys.set(previous.keyId, previous.key);
    }
    this.keys.set(this.keyId, this.key);
  }

  /** Ids of the previous keys this box can still open (the current one excluded). */
  get previousKeyIds(): string[] {
    return [...this.keys.keys()].filter((id) => id !== this.keyId);
  }

  /** Id of the key that sealed `sealed`, or `null` when it is not a sealed value. */
  static keyIdOf(sealed: string): string | null {
    const [version, keyId] = sealed.split('.');
    return version === 'v1' && keyId ? keyId : null;
  }

  /** True when `sealed` was sealed with another key than the current one (a rotation should re-seal it). */
  needsResealing(sealed: string): boolean {
    return SecretBox.keyIdOf(sealed) !== this.keyId;
  }

  /** Opens with whichever known key sealed the value, and seals again with the current key. */
  reseal(sealed: string): string {
    return this.seal(this.open(sealed));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', this.keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || keyId === undefined || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new Error('Unrecognized sealed secret format');
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new Error(`Secret was sealed with key ${keyId}, which is neither ENCRYPTION_KEY nor one of ENCRYPTION_KEY_PREVIOUS`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
