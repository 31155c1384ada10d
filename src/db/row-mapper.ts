import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Maps raw rows of hand-written SQL to entities using TypeORM's own column metadata, so column names are declared
 * in exactly one place (the entity).
 */
export class EntityRowMapper<T extends ObjectLiteral> {
  private readonly columns: { db: string; prop: string }[];
  private readonly create: () => T;

  constructor(dataSource: DataSource, target: EntityTarget<T>, options: { exclude?: readonly string[] } = {}) {
    const metadata = dataSource.getMetadata(target);
    this.columns = metadata.columns
      .filter((c) => !(options.exclude ?? []).includes(c.propertyName))
      .map((c) => ({ db: c.databaseName, prop: c.propertyName }));
    this.create = () => metadata.create() as T;
  }

  /** `alias.col1, alias.col2, ...` for a SELECT list. */
  selectList(alias: string): string {
    return this.columns.map((c) => `${alias}.${c.db}`).join(', ');
  }

  map(row: Record<string, unknown>): T {
    const entity = this.create();
    const target = entity as Record<string, unknown>;
    for (const { db, prop } of this.columns) target[prop] = row[db];
    return entity;
  }
}
