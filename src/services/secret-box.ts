/**
 * Authenticated encryption (AES-256-GCM, Node's crypto) for monitored-connection passwords at rest.
 *
 * Sealed form: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id (first bytes of the key's
 * SHA-256) tells which key sealed a value, so a key rotation can find what still needs re-sealing.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export class SecretBox {
  readonly keyId: string;
  private readonly key: Buffer;

  /** @param keyMaterial any string; it is stretched to 32 bytes with SHA-256. */
  constructor(keyMaterial: string) {
    this.key = createHash('sha256').update(keyMaterial, 'utf8').digest();
    this.keyId = createHash('sha256').update(this.key).digest('base64url').slice(0, 8);
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
    if (keyId !== this.keyId) throw new Error(`Secret was sealed with key ${keyId}, not the configured key`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
