/**
 * Reads the file of `import-connections`: CSV or JSON, one connection per row, into the service layer's input.
 *
 * - CSV (csv-parse), header row required: `name,host,port,user,password,tags` then any of `enabled` and the
 *   monitoring settings. Column names are the GraphQL input field names (`collectionRate`) or the vendor's REST
 *   spellings (`collection-rate`), in any case. `tags` is the vendor tag string `k1=v1,k2=v2` (quote the cell).
 *   An empty cell means "not given" (the default).
 * - JSON: an array of objects with the GraphQL input field names (`CreateConnectionInput` plus `name`); `tags` is a
 *   list of `{key, value}` or the vendor tag string.
 *
 * Only the shape is checked here; every rule (name, host, port, tag syntax ...) is the service's, so the CLI, GraphQL
 * and REST refuse exactly the same rows with the same messages.
 */
import { parse } from 'csv-parse/sync';
import { parseTagString, type TagPair } from '../access/tags';
import type { CollectionRate } from '../entities/connection.entity';
import { MONITORING_SETTING_ROWS, type ConnectionInput } from '../services/connections';

export interface ConnectionRow {
  /** Where the row is, for messages: `line 4` (CSV) or `entry 3` (JSON). */
  where: string;
  /** Position in the file (line or entry number), to list problems in file order. */
  order: number;
  name: string;
  input: ConnectionInput;
}

export interface ConnectionFile {
  rows: ConnectionRow[];
  /** Rows that could not be read, each message naming the row and the field. */
  errors: FileProblem[];
}

export interface FileProblem {
  /** Position in the file (0 for the header or the file as a whole). */
  order: number;
  message: string;
}

type FieldKind = 'string' | 'int' | 'number' | 'boolean' | 'tags' | 'rate';

/** The columns/fields, by their GraphQL input name (a setting's file key is the same). */
const FIELDS: Record<string, FieldKind> = {
  name: 'string',
  host: 'string',
  port: 'int',
  user: 'string',
  password: 'string',
  tags: 'tags',
  enabled: 'boolean',
  // The monitoring settings, under their file keys, from the settings table (a setting's kind is a FieldKind).
  ...Object.fromEntries(MONITORING_SETTING_ROWS.map((s) => [s.fileKey, s.kind])),
};

const REQUIRED_COLUMNS = ['name', 'host', 'port', 'user', 'password'];

/** `collection-rate`, `Collection_Rate` and `collectionRate` all name the field `collectionRate`. */
function fieldOfColumn(column: string): string | undefined {
  const folded = column
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, '');
  return Object.keys(FIELDS).find((f) => f.toLowerCase() === folded);
}

class RowError extends Error {}

function convertCell(field: string, kind: FieldKind, cell: string): unknown {
  const text = kind === 'string' && (field === 'password' || field === 'user') ? cell : cell.trim();
  switch (kind) {
    case 'string':
      return text;
    case 'int':
      if (!/^-?\d+$/.test(text)) throw new RowError(`${field}: must be an integer, got ${JSON.stringify(cell)}`);
      return Number(text);
    case 'number':
      if (!/^-?\d+(\.\d+)?$/.test(text)) throw new RowError(`${field}: must be a number, got ${JSON.stringify(cell)}`);
      return Number(text);
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return true;
      if (/^(false|0|no|off)$/i.test(text)) return false;
      throw new RowError(`${field}: must be true or false, got ${JSON.stringify(cell)}`);
    case 'tags':
      return parseTagString(text, 'tags');
    case 'rate':
      return text.toLowerCase() as CollectionRate;
  }
}

/** A JSON value for one field: the GraphQL spellings, plus the tag string and lower-case rates for convenience. */
function convertJson(kind: FieldKind, value: unknown): unknown {
  if (kind === 'tags') {
    if (typeof value === 'string') return parseTagString(value, 'tags');
    if (!Array.isArray(value)) throw new RowError('tags: must be a list of {key, value} or a "k1=v1,k2=v2" string');
    return (value as unknown[]).map((tag, i): TagPair => {
      if (typeof tag !== 'object' || tag === null || Array.isArray(tag)) throw new RowError(`tags.${i}: must be an object {key, value}`);
      const unknown = Object.keys(tag).filter((k) => k !== 'key' && k !== 'value');
      if (unknown.length) throw new RowError(`tags.${i}: unknown field ${JSON.stringify(unknown[0])} (use key and value)`);
      return tag as TagPair;
    });
  }
  if (kind === 'rate' && typeof value === 'string') return value.toLowerCase();
  return value;
}

const SETTING_OF_FILE_KEY: ReadonlyMap<string, string> = new Map(MONITORING_SETTING_ROWS.map((s) => [s.fileKey, s.name]));

function toRow(where: string, order: number, fields: Record<string, unknown>): ConnectionRow {
  const { name, ...rest } = fields;
  if (typeof name !== 'string' || name === '') throw new RowError('name: is required');
  const input = Object.fromEntries(Object.entries(rest).map(([key, value]) => [SETTING_OF_FILE_KEY.get(key) ?? key, value]));
  return { where, order, name, input: input as ConnectionInput };
}

function describe(where: string, order: number, name: unknown, error: unknown): FileProblem {
  const label = typeof name === 'string' && name !== '' ? `${where} (${name})` : where;
  return { order, message: `${label}: ${error instanceof Error ? error.message : String(error)}` };
}

const fileProblem = (message: string): FileProblem => ({ order: 0, message });

export function parseCsv(text: string): ConnectionFile {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] | undefined;
  try {
    // The header as written: a column such as `__proto__` never becomes a key of the parsed records, so reading
    // the columns back from a record would drop it silently instead of reporting it as unknown.
    records = parse(text, { columns: (names: string[]) => (header = names), bom: true, skip_empty_lines: true, trim: false, info: true }) as typeof records;
  } catch (error) {
    return { rows: [], errors: [fileProblem(`CSV: ${(error as Error).message}`)] };
  }
  const columns = header ?? (text.split(/\r?\n/)[0] ?? '').split(',');
  const fieldOf = new Map<string, string>();
  const errors: FileProblem[] = [];
  for (const column of columns) {
    const field = fieldOfColumn(column);
    if (!field) errors.push(fileProblem(`header: unknown column ${JSON.stringify(column)} (known: ${Object.keys(FIELDS).join(', ')})`));
    else if ([...fieldOf.values()].includes(field)) errors.push(fileProblem(`header: column ${JSON.stringify(column)} appears twice`));
    else fieldOf.set(column, field);
  }
  const missing = REQUIRED_COLUMNS.filter((f) => ![...fieldOf.values()].includes(f));
  if (missing.length) errors.push(fileProblem(`header: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`));
  if (errors.length) return { rows: [], errors };

  const rows: ConnectionRow[] = [];
  for (const { record, info } of records) {
    const where = `line ${info.lines}`;
    try {
      const fields = Object.create(null) as Record<string, unknown>;
      for (const [column, cell] of Object.entries(record)) {
        const field = fieldOf.get(column)!;
        // An empty optional cell keeps the default; an empty required one is the service's "is required".
        if (cell === '' && !REQUIRED_COLUMNS.includes(field)) continue;
        fields[field] = convertCell(field, FIELDS[field]!, cell);
      }
      rows.push(toRow(where, info.lines, fields));
    } catch (error) {
      errors.push(describe(where, info.lines, record[[...fieldOf].find(([, f]) => f === 'name')![0]], error));
    }
  }
  return { rows, errors };
}

export function parseJson(text: string): ConnectionFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { rows: [], errors: [fileProblem(`JSON: ${(error as Error).message}`)] };
  }
  if (!Array.isArray(data)) return { rows: [], errors: [fileProblem('JSON: expected an array of connections')] };
  const rows: ConnectionRow[] = [];
  const errors: FileProblem[] = [];
  data.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    try {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new RowError('must be an object');
      // Keys come from the file: own properties only (FIELDS["constructor"] would be inherited), and no prototype
      // on what they are copied into (`fields["__proto__"] = ...` would replace it).
      const fields = Object.create(null) as Record<string, unknown>;
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        const kind = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
        if (!kind) throw new RowError(`unknown field ${JSON.stringify(key)} (known: ${Object.keys(FIELDS).join(', ')})`);
        if (value === null || value === undefined) continue;
        fields[key] = convertJson(kind, value);
      }
      rows.push(toRow(where, index + 1, fields));
    } catch (error) {
      errors.push(describe(where, index + 1, (entry as { name?: unknown } | null)?.name, error));
    }
  });
  return { rows, errors };
}

/** CSV or JSON by extension (`.csv`, `.json`), else by the first character. */
export function parseConnectionFile(path: string, text: string): ConnectionFile {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return parseJson(text);
  if (lower.endsWith('.csv')) return parseCsv(text);
  return /^\s*\[/.test(text.replace(/^\uFEFF/, '')) ? parseJson(text) : parseCsv(text);
}
