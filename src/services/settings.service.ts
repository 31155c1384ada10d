import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';

/**
 * Gateway-wide values kept in the database so every replica shares them.
 */
export class SettingsService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Returns the stored value of `key`, creating it with `generate()` the first time. Concurrent first calls from
   * several replicas agree: the insert is `ON CONFLICT DO NOTHING` and everyone reads back the winner.
   */
  async getOrCreate(key: string, generate: () => string = () => randomBytes(48).toString('base64url')): Promise<string> {
    await this.dataSource.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, generate()]);
    const rows: { value: string }[] = await this.dataSource.query(`SELECT value FROM settings WHERE key = $1`, [key]);
    return rows[0]!.value;
  }
}
