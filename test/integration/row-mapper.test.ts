/**
 * EntityRowMapper's shared JSON columns (src/db/shared-json.ts) against a real PostgreSQL: what `selectList` reads
 * and `map` returns must equal what the plain jsonb read gives, with equal texts sharing one frozen value.
 */
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { EntityRowMapper } from '../../src/db/row-mapper';
import { ConnectionEntity } from '../../src/entities/connection.entity';
import { createTestDatabase, type TestDatabase } from '../support/database';

let db: TestDatabase;
let ds: DataSource;

const CONNECTIONS = [
  {
    name: 'a-orders',
    tags: [
      { key: 'team', value: 'core' },
      { key: 'environment', value: 'production' },
    ],
  },
  {
    name: 'b-billing',
    tags: [
      { key: 'team', value: 'core' },
      { key: 'environment', value: 'production' },
    ],
  },
  {
    name: 'c-search',
    tags: [
      { key: 'team', value: 'édition « spéciale »' },
      { key: 'quote', value: 'say "hi"\\n' },
    ],
  },
  { name: 'd-bare', tags: [] },
];

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 2 });
  await ds.initialize();
  await ds.query(
    `INSERT INTO connections (name, host, port, username, password_encrypted, user_tags)
     SELECT c->>'name', 'db.test', 5432, 'm', 'v1.none', c->'tags' FROM jsonb_array_elements($1::jsonb) AS c`,
    [JSON.stringify(CONNECTIONS)],
  );
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

async function read(mapper: EntityRowMapper<ConnectionEntity>): Promise<ConnectionEntity[]> {
  const rows = (await ds.query(`SELECT ${mapper.selectList('c')} FROM connections c ORDER BY c.name`)) as Record<string, unknown>[];
  return rows.map((row) => mapper.map(row));
}

describe('EntityRowMapper with a shared jsonb column', () => {
  it('maps every row to the tags stored, as the plain jsonb read does', async () => {
    const shared = await read(new EntityRowMapper(ds, ConnectionEntity, { exclude: ['passwordEncrypted'], sharedJson: ['userTags'] }));
    const plain = await read(new EntityRowMapper(ds, ConnectionEntity, { exclude: ['passwordEncrypted'] }));
    expect(shared.map((c) => c.userTags)).toEqual(CONNECTIONS.map((c) => c.tags));
    expect(shared.map((c) => ({ ...c }))).toEqual(plain.map((c) => ({ ...c })));
  });

  it('shares one frozen value between rows with the same tags, and between reads', async () => {
    const mapper = new EntityRowMapper(ds, ConnectionEntity, { sharedJson: ['userTags'] });
    const [orders, billing, search, bare] = await read(mapper);
    expect(orders!.userTags).toBe(billing!.userTags);
    expect(search!.userTags).not.toBe(orders!.userTags);
    expect(Object.isFrozen(orders!.userTags) && Object.isFrozen(orders!.userTags[0])).toBe(true);
    expect(Object.isFrozen(bare!.userTags)).toBe(true);
    const [again] = await read(mapper);
    expect(again!.userTags).toBe(orders!.userTags);
  });

  it("reads a row's changed tags, not the value remembered for its key", async () => {
    const mapper = new EntityRowMapper(ds, ConnectionEntity, { sharedJson: ['userTags'] });
    const [orders] = await read(mapper);
    const changed = [{ key: 'team', value: 'platform' }];
    await ds.query(`UPDATE connections SET user_tags = $1::jsonb WHERE id = $2`, [JSON.stringify(changed), orders!.id]);
    try {
      const [again, billing] = await read(mapper);
      expect(again!.id).toBe(orders!.id);
      expect(again!.userTags).toEqual(changed);
      expect(billing!.userTags).toEqual(CONNECTIONS[1]!.tags);
    } finally {
      await ds.query(`UPDATE connections SET user_tags = $1::jsonb WHERE id = $2`, [JSON.stringify(CONNECTIONS[0]!.tags), orders!.id]);
    }
    const [restored] = await read(mapper);
    expect(restored!.userTags).toEqual(CONNECTIONS[0]!.tags);
  });

  it('leaves values unshared and unfrozen without the option', async () => {
    const [orders, billing] = await read(new EntityRowMapper(ds, ConnectionEntity));
    expect(orders!.userTags).not.toBe(billing!.userTags);
    expect(Object.isFrozen(orders!.userTags)).toBe(false);
  });

  it('refuses a shared column that is not jsonb (a programming error)', () => {
    expect(() => new EntityRowMapper(ds, ConnectionEntity, { sharedJson: ['name'] })).toThrow('name: not a mapped jsonb column');
    expect(() => new EntityRowMapper(ds, ConnectionEntity, { sharedJson: ['nothing'] })).toThrow('nothing: not a mapped jsonb column');
  });
});
