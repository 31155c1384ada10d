/**
 * The encryption keyring for connection passwords at rest, and its rotation.
 *
 * Keys: ENCRYPTION_KEY seals (and opens); ENCRYPTION_KEY_PREVIOUS (comma-separated) only opens. With no ENCRYPTION_KEY,
 * a key generated once and kept in `settings` is used; once ENCRYPTION_KEY is set, that stored key still opens what
 * it sealed, so moving from the generated key to a configured one is just: set ENCRYPTION_KEY, rotate.
 *
 * Rotation re-seals, with the current key, every password sealed with another one or in the previous release's form: in batches (one transaction
 * each, rows locked, every row updated only if nobody changed it meanwhile), idempotent, and safe to run while the
 * gateway serves (replicas configured with the new key and the old ones open both).
 */
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { configuredKey, connectionBinding, SecretBox, storedKey } from './secret-box';
import { SettingsService } from './settings.service';

/** Where the generated key lives when ENCRYPTION_KEY is not set. */
export const STORED_KEY_SETTING = 'encryption_key';

/** The keyring the gateway and the CLI use for connection passwords. */
export async function openSecretBox(dataSource: DataSource, config: Pick<Config, 'encryptionKey' | 'encryptionKeyPrevious'>): Promise<SecretBox> {
  const previous = (config.encryptionKeyPrevious ?? []).map(configuredKey);
  if (config.encryptionKey === undefined) {
    return new SecretBox(storedKey(await new SettingsService(dataSource).getOrCreate(STORED_KEY_SETTING)), previous);
  }
  const stored: { value: string }[] = await dataSource.query(`SELECT value FROM settings WHERE key = $1`, [STORED_KEY_SETTING]);
  return new SecretBox(configuredKey(config.encryptionKey), [...previous, ...stored.map((row) => storedKey(row.value))]);
}

export interface RotationProgress {
  /** Rows re-sealed so far. */
  done: number;
  /** Rows that needed re-sealing when the rotation started. */
  total: number;
}

export interface RotationResult {
  keyId: string;
  total: number;
  resealed: number;
  /** Rows that could not be opened with any configured key (left as they are). */
  unreadable: { name: string; keyId: string | null; keyKnown: boolean; reason: string }[];
}

export const DEFAULT_ROTATION_BATCH = 500;

/**
 * Re-seals with the current key, bound to its row, every connection password sealed with another key or in the
 * previous release's form (v1, unbound). A value that opens with no known key, or was copied from another row, is
 * reported as unreadable and left as it is.
 */
export async function rotateEncryptionKey(
  dataSource: DataSource,
  box: SecretBox,
  options: { batchSize?: number; onProgress?: (progress: RotationProgress) => void } = {},
): Promise<RotationResult> {
  const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH;
  const stale = `split_part(password_encrypted, '.', 1) <> 'v2' OR split_part(password_encrypted, '.', 2) <> $1`;
  const [{ n: total }] = await dataSource.query<[{ n: number }]>(`SELECT count(*)::int AS n FROM connections WHERE ${stale}`, [box.keyId]);
  const result: RotationResult = { keyId: box.keyId, total, resealed: 0, unreadable: [] };
  let afterId = 0;
  for (;;) {
    const batch = await dataSource.transaction(async (manager) => {
      const rows = await manager.query<{ id: number; name: string; password_encrypted: string }[]>(
        `SELECT id, name, password_encrypted FROM connections WHERE id > $2 AND (${stale}) ORDER BY id LIMIT $3 FOR UPDATE`,
        [box.keyId, afterId, batchSize],
      );
      const ids: number[] = [];
      const before: string[] = [];
      const after: string[] = [];
      for (const row of rows) {
        try {
          after.push(box.reseal(row.password_encrypted, connectionBinding(row.name)));
          ids.push(row.id);
          before.push(row.password_encrypted);
        } catch (error) {
          result.unreadable.push({
            name: row.name,
            keyId: SecretBox.keyIdOf(row.password_encrypted),
            keyKnown: box.hasKeyOf(row.password_encrypted),
            reason: (error as Error).message,
          });
        }
      }
      if (ids.length > 0) {
        await manager.query(
          `UPDATE connections c SET password_encrypted = v.sealed, updated_at = now()
             FROM unnest($1::int[], $2::text[], $3::text[]) AS v(id, previous, sealed)
            WHERE c.id = v.id AND c.password_encrypted = v.previous`,
          [ids, before, after],
        );
      }
      return { count: rows.length, resealed: ids.length, lastId: rows.length ? rows[rows.length - 1]!.id : afterId };
    });
    if (batch.count === 0) break;
    result.resealed += batch.resealed;
    afterId = batch.lastId;
    options.onProgress?.({ done: result.resealed, total });
  }
  return result;
}
