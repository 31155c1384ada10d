/**
 * `rotate-encryption-key [--batch-size N]`: re-seals every monitored-connection password with ENCRYPTION_KEY.
 *
 * Run it with the new key in ENCRYPTION_KEY and the old one(s) in ENCRYPTION_KEY_PREVIOUS (the generated key kept
 * in the database, if any, is found by itself). Idempotent: a second run finds nothing to do. Exit code 1 when a
 * password could not be opened with any configured key (it is left as it is, and named).
 */
import { parseArgs } from 'node:util';
import { CLI_ACTING } from '../audit/acting';
import { AuditLog } from '../audit/audit-log';
import type { Config } from '../config';
import { DEFAULT_ROTATION_BATCH, openSecretBox, rotateEncryptionKey } from '../services/key-rotation';
import { withDatabase } from './database';
import type { CliIo } from './io';

export async function runRotateEncryptionKey(args: string[], config: Config, io: CliIo): Promise<number> {
  let batchSize = DEFAULT_ROTATION_BATCH;
  try {
    const { values } = parseArgs({ args, options: { 'batch-size': { type: 'string' } }, strict: true, allowPositionals: false });
    if (values['batch-size'] !== undefined) {
      batchSize = Number(values['batch-size']);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new Error('--batch-size must be an integer between 1 and 100000');
    }
  } catch (error) {
    io.err(`rotate-encryption-key: ${(error as Error).message}`);
    return 2;
  }
  return withDatabase(config, async (dataSource) => {
    const box = await openSecretBox(dataSource, config);
    const origin = config.encryptionKey === undefined ? 'the generated key kept in the database' : 'ENCRYPTION_KEY';
    io.out(`sealing with key ${box.keyId} (${origin}); also opening ${box.previousKeyIds.length ? box.previousKeyIds.join(', ') : 'no previous key'}`);
    const result = await rotateEncryptionKey(dataSource, box, {
      batchSize,
      audit: { log: new AuditLog(), acting: CLI_ACTING },
      onProgress: ({ done, total }) => io.out(`re-sealed ${done}/${total}`),
    });
    for (const row of result.unreadable) {
      io.err(
        row.keyKnown
          ? `cannot re-seal the password of connection ${JSON.stringify(row.name)} (sealed with key ${row.keyId}): it does not open for this connection (copied from another row, or altered); set the password again`
          : `cannot re-seal the password of connection ${JSON.stringify(row.name)} (sealed with key ${row.keyId ?? 'unknown'}): add that key to ENCRYPTION_KEY_PREVIOUS`,
      );
    }
    if (result.total === 0) io.out(`nothing to re-seal: every connection password is sealed with key ${box.keyId}`);
    else
      io.out(
        `done: ${result.resealed} password(s) re-sealed with key ${box.keyId}${result.unreadable.length ? `, ${result.unreadable.length} left as they were` : ''}`,
      );
    return result.unreadable.length ? 1 : 0;
  });
}
