/**
 * Bulk import of connections: validates every item first and reports all problems together (nothing is written if
 * one item is bad), then inserts in one transaction with multi-row statements. Column names come from the entity
 * (src/db/row-mapper.ts), never written here. Probes run after the commit, in the background, through the probe pool.
 */
import { normalizeUserTags, type TagPair } from '../../access/tags';
import { inTransaction, type RequestContext } from '../../context/request-context';
import { lockAccessRelation } from '../../db/locks';
import { isUniqueViolation } from '../../db/pg-errors';
import type { EntityRowMapper } from '../../db/row-mapper';
import type { ConnectionEntity } from '../../entities/connection.entity';
import { AppError, conflict } from '../../errors/app-error';
import { requireAdministrator } from '../authorization';
import { connectionBinding, type SecretBox } from '../secret-box';
import { defined, nameSchema, parseInput } from '../validation';
import { createConnectionSchema, type CreateConnectionData } from './connection-input';
import type { ConnectionProbing } from './connection-probing';
import type { ImportItem, ImportProblem, ImportResult } from './connection-types';
import { DEFAULT_MONITORING_SETTINGS, MONITORING_SETTING_ROWS, pickSettings } from './monitoring-settings';

export const MAX_IMPORT_ITEMS = 100_000;
const IMPORT_CHUNK = 1000;

/** The entity properties an import writes; every other column keeps its database default. */
const IMPORTED_PROPS = [
  'name',
  'host',
  'port',
  'username',
  'passwordEncrypted',
  'userTags',
  'enabled',
  'probeGeneration',
  ...MONITORING_SETTING_ROWS.map((s) => s.name),
] as const satisfies readonly (keyof ConnectionEntity)[];

type ImportedRecord = Pick<ConnectionEntity, (typeof IMPORTED_PROPS)[number]>;

interface ValidItem {
  item: ImportItem;
  data: CreateConnectionData;
  tags: TagPair[];
}

export class ConnectionImport {
  /** `INSERT ... SELECT ... FROM jsonb_to_recordset($1)`, its columns named by the entity's metadata. */
  private readonly insert: { sql: string; columns: { db: string; prop: string }[] };

  constructor(
    /** A mapper of every connection column (the password included). */
    mapper: EntityRowMapper<ConnectionEntity>,
    private readonly probing: ConnectionProbing,
    private readonly secrets: SecretBox,
  ) {
    const columns = mapper.columnsOf(IMPORTED_PROPS);
    const names = columns.map((c) => c.db).join(', ');
    const recordType = columns.map((c) => `${c.db} ${c.sqlType}`).join(', ');
    this.insert = { sql: `INSERT INTO connections (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS x(${recordType})`, columns };
  }

  /** Pass `probe: false` to skip the background probes (`connected` stays false until a probe). */
  async importMany(ctx: RequestContext, items: readonly ImportItem[], options: { probe?: boolean } = {}): Promise<ImportResult> {
    requireAdministrator(ctx);
    if (items.length === 0) return { created: 0, names: [] };
    if (items.length > MAX_IMPORT_ITEMS) {
      throw new AppError('BAD_USER_INPUT', `At most ${MAX_IMPORT_ITEMS} connections per import; split the file`, { field: 'inputs' });
    }
    const problems: ImportProblem[] = [];
    const rows: ValidItem[] = [];
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      try {
        parseInput(nameSchema('name'), item.name, 'name');
        const data = parseInput(createConnectionSchema, defined(item.input));
        const tags = normalizeUserTags(data.tags);
        const first = seen.get(item.name);
        if (first !== undefined) {
          problems.push({ index, name: item.name, message: `name: also used by item ${first + 1}`, duplicateOf: first });
          return;
        }
        seen.set(item.name, index);
        rows.push({ item, data, tags });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        problems.push({ index, name: String(item.name), message: error.message });
      }
    });
    const names = items.map((i) => i.name);
    const created = await inTransaction(ctx, async (tx) => {
      await lockAccessRelation(tx.manager);
      const existing: { name: string }[] = await tx.manager.query(`SELECT name FROM connections WHERE name = ANY($1::text[])`, [names]);
      for (const { name } of existing)
        problems.push({ index: seen.get(name) ?? names.indexOf(name), name, message: `Connection ${JSON.stringify(name)} already exists` });
      if (problems.length > 0) {
        problems.sort((a, b) => a.index - b.index);
        throw new AppError(
          'BAD_USER_INPUT',
          `${problems.length} of ${items.length} connections are invalid; nothing was imported. First: item ${problems[0]!.index + 1} (${problems[0]!.name}): ${problems[0]!.message}`,
          { field: 'inputs', problemCount: problems.length, problems: problems.slice(0, 100) },
        );
      }
      for (let start = 0; start < rows.length; start += IMPORT_CHUNK) {
        const chunk = rows.slice(start, start + IMPORT_CHUNK).map((row) => this.columnsOf(this.recordOf(row)));
        try {
          await tx.manager.query(this.insert.sql, [JSON.stringify(chunk)]);
        } catch (error) {
          if (isUniqueViolation(error, 'connections_name_key')) throw conflict('A connection of this import was created meanwhile; nothing was imported');
          throw error;
        }
      }
      return rows;
    });
    if (options.probe !== false && this.probing.enabled) {
      this.probing.probeInBackground(
        ctx.manager,
        created.map(({ item, data }) => ({ name: item.name, enabled: data.enabled, target: data })),
      );
    }
    return { created: created.length, names: created.map((r) => r.item.name) };
  }

  private recordOf({ item, data, tags }: ValidItem): ImportedRecord {
    return {
      ...DEFAULT_MONITORING_SETTINGS,
      ...pickSettings(data),
      name: item.name,
      host: data.host,
      port: data.port,
      username: data.user,
      passwordEncrypted: this.secrets.seal(data.password, connectionBinding(item.name)),
      userTags: tags,
      enabled: data.enabled,
      probeGeneration: 1,
    };
  }

  /** The record keyed by column names, as `jsonb_to_recordset` reads it. */
  private columnsOf(record: ImportedRecord): Record<string, unknown> {
    const values = record as unknown as Record<string, unknown>;
    return Object.fromEntries(this.insert.columns.map((c) => [c.db, values[c.prop]]));
  }
}
