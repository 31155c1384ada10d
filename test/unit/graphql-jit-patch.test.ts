/**
 * patches/graphql-jit+0.8.9.patch (applied by npm's postinstall, patch-package): compiled code answers a built-in
 * scalar's leaf as it is when the value is already what the scalar would answer, and runs graphql-jit's own check
 * and serializer otherwise; a list item that is not a promise goes straight to its handler; a rejected list item is
 * null in its own slot (graphql-jit 0.8.9 appended the null at the end of the list, one item too many). These tests
 * hold it to graphql-js's answers for values of every kind, canonical or not, and fail when the patch is missing (an
 * install with `--ignore-scripts`, or a graphql-jit upgrade that the patch no longer fits).
 */
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import {
  execute,
  GraphQLBoolean,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  type GraphQLOutputType,
} from 'graphql';

/** One item per value below; each scalar field answers the item's value, once nullable and once not. */
const VALUES: unknown[] = [
  'text',
  '',
  '12',
  7,
  -0,
  2.5,
  2 ** 31,
  -(2 ** 31),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  0,
  1,
  null,
  undefined,
  new Error('resolver failed'),
  new Date(0),
  { valueOf: () => 3 },
  [1],
  12n,
];

const SCALARS: Record<string, GraphQLOutputType> = { s: GraphQLString, id: GraphQLID, b: GraphQLBoolean, i: GraphQLInt, f: GraphQLFloat };

/** Each scalar as a nullable and a non-null field. */
const ITEM = new GraphQLObjectType({
  name: 'Item',
  fields: Object.fromEntries(
    Object.entries(SCALARS).flatMap(([name, type]) => [
      [name, { type }],
      [`${name}NonNull`, { type: new GraphQLNonNull(type) }],
    ]),
  ),
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      items: {
        type: new GraphQLList(ITEM),
        resolve: () =>
          VALUES.map((value) =>
            Object.fromEntries(
              Object.keys(SCALARS).flatMap((name) => [
                [name, value],
                [`${name}NonNull`, value],
              ]),
            ),
          ),
      },
      count: { type: new GraphQLNonNull(GraphQLInt), resolve: () => 3 },
      // List items of every kind: plain, promised, rejected, thrown as an Error value, missing.
      mixed: {
        type: new GraphQLList(ITEM),
        resolve: () => [
          { s: 'plain', i: 1 },
          Promise.resolve({ s: 'promised', i: 2 }),
          Promise.reject(new Error('item rejected')),
          new Error('item is an error'),
          null,
          Promise.resolve(null),
          { s: 7, i: '3' },
        ],
      },
      mixedNonNull: {
        type: new GraphQLList(new GraphQLNonNull(ITEM)),
        resolve: () => [{ s: 'plain' }, Promise.resolve({ s: 'promised' }), null],
      },
    },
  }),
});

/** The nullable fields together; each non-null field alone (its null or error takes its whole item with it). */
const DOCUMENTS = [`{ count items { ${Object.keys(SCALARS).join(' ')} } }`, ...Object.keys(SCALARS).map((name) => `{ items { ${name}NonNull } }`)];

/** Errors as a client sees them: message, path and locations. */
function comparable(result: { data?: unknown; errors?: readonly { message: string; path?: readonly (string | number)[]; locations?: readonly unknown[] }[] }) {
  const errors = (result.errors ?? []).map((e) => ({ message: e.message, path: e.path, locations: e.locations }));
  errors.sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path)));
  return { data: JSON.parse(JSON.stringify(result.data ?? null)) as { items: (Record<string, unknown> | null)[] }, errors };
}

async function bothWays(query: string) {
  const document = parse(query);
  const compiled = compileQuery(schema, document);
  if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
  return { jit: comparable(await compiled.query(undefined, {}, {})), reference: comparable(await execute({ schema, document })) };
}

describe('graphql-jit with patches/graphql-jit+0.8.9.patch', () => {
  test.each(DOCUMENTS)('answers %s exactly as graphql-js, for canonical and non-canonical values', async (query) => {
    const { jit, reference } = await bothWays(query);
    expect(jit).toEqual(reference);
    // Both sides of the patch's test are covered: values coerced or refused (errors) and values passed as they are.
    expect(reference.errors.length).toBeGreaterThan(5);
    expect(reference.data.items.filter((item) => item !== null).length).toBeGreaterThan(0);
  });

  test.each(['{ mixed { s i } }', '{ mixedNonNull { s } }', '{ mixed { s } count mixedNonNull { i } }'])(
    'answers list items of every kind (%s) exactly as graphql-js',
    async (query) => {
      const { jit, reference } = await bothWays(query);
      expect(jit).toEqual(reference);
      expect(reference.errors.length).toBeGreaterThan(0);
    },
  );

  test('passes canonical values as they are and coerces the rest as graphql-js does', async () => {
    const { jit } = await bothWays(DOCUMENTS[0]!);
    const at = (value: unknown) => jit.data.items[VALUES.indexOf(value)];
    expect(at('text')).toEqual({ s: 'text', id: 'text', b: null, i: null, f: null });
    expect(at(7)).toEqual({ s: '7', id: '7', b: true, i: 7, f: 7 });
    expect(at(2 ** 31)).toEqual({ s: '2147483648', id: '2147483648', b: true, i: null, f: 2 ** 31 });
    expect(at(true)).toEqual({ s: 'true', id: null, b: true, i: 1, f: 1 });
    expect(at('12')).toEqual({ s: '12', id: '12', b: null, i: 12, f: 12 });
  });

  test('is applied: compiled leaves test the value before the runtime check; list items skip the promise handling', () => {
    const compiled = compileQuery(schema, parse('{ count items { s i } }'), undefined, { debug: true } as never);
    if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
    const source = (compiled as { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?: string }).__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation ?? '';
    expect(source).toMatch(/typeof __currentItem\.s === "string" \? __currentItem\.s : __context\.rt\.checkNullableLeaf\(/);
    expect(source).toMatch(
      /\(typeof __fieldcount === "number" && \(__fieldcount \| 0\) === __fieldcount\) \? __fieldcount : __context\.rt\.checkNonNullLeaf\(/,
    );
    expect(source).toMatch(
      /if \(!__context\.rt\.isPromise\(__currentItem\)\) \{\s*Query__fielditemsMapItemHandler\(__context, resultArray, __currentItem, idx0\);\s*return;/,
    );
  });

  test('answers field resolvers that return, promise, throw and reject exactly as graphql-js, on list items and at the top', async () => {
    const outcomes: Record<string, (n: number) => unknown> = {
      plain: (n) => `v${n}`,
      promised: (n) => Promise.resolve(`p${n}`),
      thrown: (n) => {
        throw new Error(`thrown ${n}`);
      },
      thrownValue: () => {
        throw 'a bare string';
      },
      rejected: (n) => Promise.reject(new Error(`rejected ${n}`)),
      nothing: () => null,
      returnedError: (n) => new Error(`returned ${n}`),
    };
    const fieldsOf = (nonNull: boolean) =>
      Object.fromEntries(
        Object.entries(outcomes).map(([name, outcome]) => [
          name,
          { type: nonNull ? new GraphQLNonNull(GraphQLString) : GraphQLString, resolve: (parent: { n: number }) => outcome(parent.n) },
        ]),
      );
    const row = new GraphQLObjectType({ name: 'Row', fields: fieldsOf(false) });
    const strictRow = new GraphQLObjectType({ name: 'StrictRow', fields: fieldsOf(true) });
    const resolving = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          rows: { type: new GraphQLList(row), resolve: () => [{ n: 1 }, { n: 2 }] },
          strictRows: { type: new GraphQLList(strictRow), resolve: () => [{ n: 1 }, { n: 2 }] },
          top: { type: GraphQLString, resolve: () => 'top' },
          topThrown: {
            type: GraphQLString,
            resolve: () => {
              throw new Error('top thrown');
            },
          },
          topPromised: { type: GraphQLString, resolve: () => Promise.resolve('top promised') },
        },
      }),
    });
    const names = Object.keys(outcomes).join(' ');
    for (const query of [`{ rows { ${names} } top topThrown topPromised }`, ...Object.keys(outcomes).map((name) => `{ strictRows { ${name} } }`)]) {
      const document = parse(query);
      const compiled = compileQuery(resolving, document);
      if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
      const jit = comparable(await compiled.query(undefined, {}, {}));
      const reference = comparable(await execute({ schema: resolving, document }));
      // graphql-jit's own difference, unpatched: a thrown non-Error is its message as it is (graphql-js wraps it).
      for (const error of reference.errors) error.message = error.message.replace(/^Unexpected error value: "(.*)"$/, '$1');
      expect({ query, ...jit }).toEqual({ query, ...reference });
    }
    const compiled = compileQuery(resolving, parse(`{ rows { ${names} } }`));
    if (!isCompiledQuery(compiled)) throw new Error(JSON.stringify(compiled));
    const answer = comparable(await compiled.query(undefined, {}, {}));
    expect(answer.data).toEqual({
      rows: [1, 2].map((n) => ({ plain: `v${n}`, promised: `p${n}`, thrown: null, thrownValue: null, rejected: null, nothing: null, returnedError: null })),
    });
    expect(answer.errors.map((e) => e.message).sort()).toEqual(
      ['a bare string', 'a bare string', 'rejected 1', 'rejected 2', 'returned 1', 'returned 2', 'thrown 1', 'thrown 2'].sort(),
    );
  });
});
