import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { SharedJsonValues } from './shared-json';

interface MappedColumn {
  db: string;
  prop: string;
  /** A `timestamptz` column, read as epoch milliseconds (see {@link EntityRowMapper.selectList}). */
  instant: boolean;
  /** The column's SQL type as the entity declares it (`text`, `jsonb` ...), when it declares one by name. */
  sqlType: string | undefined;
  /**
   * For a `jsonb` column read as text: its values, parsed once into frozen values shared by equal texts (see
   * {@link SharedJsonValues}); one store per column, since a row's key tells the store which row a text came from.
   */
  shared: SharedJsonValues | null;
}

// Only time zone aware columns: their instant does not depend on the session's TimeZone.
const INSTANT_TYPES = new Set(['timestamptz', 'timestamp with time zone']);

/**
 * Maps raw rows of hand-written SQL to entities using TypeORM's own column metadata, so column names are declared
 * in exactly one place (the entity).
 */
export class EntityRowMapper<T extends ObjectLiteral> {
  private readonly columns: MappedColumn[];
  private readonly create: () => T;

  /** The primary key's column (when it is a single column): which row a shared column's text came from. */
  private readonly ownerColumn: string | undefined;

  /**
   * @param options.exclude properties never read (a sealed password).
   * @param options.sharedJson `jsonb` properties whose values are read-only wherever entities of this mapper go: each
   *   is parsed once per distinct text and shared, frozen (see {@link SharedJsonValues}).
   * @throws Error when a `sharedJson` property is not a mapped `jsonb` column: a programming error.
   */
  constructor(dataSource: DataSource, target: EntityTarget<T>, options: { exclude?: readonly string[]; sharedJson?: readonly string[] } = {}) {
    const metadata = dataSource.getMetadata(target);
    this.columns = metadata.columns
      .filter((c) => !(options.exclude ?? []).includes(c.propertyName))
      .map((c) => ({
        db: c.databaseName,
        prop: c.propertyName,
        instant: typeof c.type === 'string' && INSTANT_TYPES.has(c.type),
        sqlType: typeof c.type === 'string' ? c.type : undefined,
        shared: (options.sharedJson ?? []).includes(c.propertyName) ? new SharedJsonValues() : null,
      }));
    for (const prop of options.sharedJson ?? []) {
      if (!this.columns.some((c) => c.prop === prop && c.shared && c.sqlType === 'jsonb')) throw new Error(`${prop}: not a mapped jsonb column`);
    }
    // Only a mapper with a shared column reads a row's key (the others map thousands of rows for the overview).
    const hasShared = this.columns.some((c) => c.shared);
    this.ownerColumn = hasShared && metadata.primaryColumns.length === 1 ? metadata.primaryColumns[0]!.databaseName : undefined;
    this.create = () => metadata.create() as T;
  }

  /** Whether every name is a mapped property: then a row of just those columns can stand for the entity. */
  isSubset(props: Iterable<string>): boolean {
    for (const prop of props) if (!this.columns.some((c) => c.prop === prop)) return false;
    return true;
  }

  /**
   * The column name and SQL type of each property, in the order given: for hand-written statements that write rows
   * (e.g. a bulk `INSERT ... SELECT ... FROM jsonb_to_recordset(...)`).
   * @throws Error when a property is not mapped or its entity declares no SQL type: a programming error.
   */
  columnsOf(props: readonly string[]): { db: string; prop: string; sqlType: string }[] {
    return props.map((prop) => {
      const column = this.columns.find((c) => c.prop === prop);
      if (!column?.sqlType) throw new Error(`${prop}: not a mapped column with a declared type`);
      return { db: column.db, prop, sqlType: column.sqlType };
    });
  }

  /** Per property set: a statement's rows are mapped with one Set, so this is computed once per statement, not per row. */
  private readonly projections = new WeakMap<ReadonlySet<string>, MappedColumn[]>();

  private columnsFor(props: ReadonlySet<string> | undefined): MappedColumn[] {
    if (!props) return this.columns;
    let columns = this.projections.get(props);
    if (!columns) this.projections.set(props, (columns = this.columns.filter((c) => props.has(c.prop))));
    return columns;
  }

  /**
   * `alias.col1, alias.col2, ...` for a SELECT list. Timestamps are selected as epoch milliseconds
   * (`float8`): pg parses each timestamp text with a regular expression, which was the largest single cost of
   * reading thousands of users for the administrators' overview, while a number becomes a `Date` for free. The
   * instant is the same to the millisecond, the precision of a JavaScript `Date`.
   */
  selectList(alias: string, props?: ReadonlySet<string>): string {
    return this.columnsFor(props)
      .map((c) =>
        c.instant
          ? `(extract(epoch FROM ${alias}.${c.db}) * 1000)::float8 AS ${c.db}`
          : // The same text pg would receive for jsonb, left unparsed for the shared parse in map().
            c.shared
            ? `${alias}.${c.db}::text AS ${c.db}`
            : `${alias}.${c.db}`,
      )
      .join(', ');
  }

  /**
   * The entity of a row. With `props`, the row was selected with the same `props` and only those are set: for a
   * caller that reads nothing else (see {@link isSubset}).
   */
  map(row: Record<string, unknown>, props?: ReadonlySet<string>): T {
    const entity = this.create();
    const target = entity as Record<string, unknown>;
    const key = this.ownerColumn === undefined ? undefined : row[this.ownerColumn];
    const owner = typeof key === 'number' || typeof key === 'string' ? key : undefined;
    for (const { db, prop, instant, shared } of this.columnsFor(props)) {
      const value = row[db];
      // Floor, as pg's own parser truncates microseconds to milliseconds.
      if (instant && typeof value === 'number') target[prop] = new Date(Math.floor(value));
      else if (shared && typeof value === 'string') target[prop] = shared.parse(value, owner);
      else target[prop] = value;
    }
    return entity;
  }
}
