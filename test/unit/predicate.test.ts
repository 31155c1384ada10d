import type { AccessRule } from '../../src/access/access-rule';
import {
  compileRules,
  excluding,
  isExclusion,
  isRoleMembership,
  MATCH_EVERYTHING,
  memberOf,
  MATCH_NOTHING,
  narrow,
  renderPredicate,
  SqlParams,
  type ConnectionPredicate,
  type TagSelector,
} from '../../src/access/predicate';

/** `rule('env=prod&dc=lyon', 'env=uat')`: groups separated as arguments, filters inside a group by `&`. */
function rule(...groups: string[]): AccessRule {
  return groups.map((group) => ({
    filters:
      group === ''
        ? []
        : group.split('&').map((pair) => {
            const [tag, value] = pair.split('=') as [string, string];
            return { tag, value };
          }),
  }));
}

/** Evaluates a selector set in JavaScript, the way `tags @> selector` does in PostgreSQL. */
function matches(selectors: readonly TagSelector[], tags: Record<string, string>): boolean {
  return selectors.some((s) => Object.entries(s).every(([k, v]) => tags[k] === v));
}

describe('compileRules', () => {
  test.each<[string, AccessRule[], TagSelector[]]>([
    ['one filter', [rule('env=prod')], [{ env: 'prod' }]],
    ['AND inside a group', [rule('env=prod&dc=london')], [{ env: 'prod', dc: 'london' }]],
    ['OR of groups, broader first', [rule('env=prod&dc=london', 'env=uat')], [{ env: 'uat' }, { env: 'prod', dc: 'london' }]],
    ['a contradictory group is dropped', [rule('env=prod&env=uat', 'dc=paris')], [{ dc: 'paris' }]],
    ['a rule whose groups all contradict compiles to nothing', [rule('env=prod&env=uat', 'a=1&b=2&a=3')], []],
    ['the same filter twice in a group is not a contradiction', [rule('env=prod&env=prod')], [{ env: 'prod' }]],
    ['a narrower group is implied by a broader one', [rule('env=prod', 'env=prod&dc=lyon')], [{ env: 'prod' }]],
    ['... whatever the order', [rule('env=prod&dc=lyon&app=crm', 'dc=lyon&env=prod')], [{ dc: 'lyon', env: 'prod' }]],
    ['duplicate groups collapse', [rule('env=prod', 'env=prod')], [{ env: 'prod' }]],
    [
      'overlapping but not implied groups are both kept',
      [rule('env=prod&dc=lyon', 'env=prod&app=crm')],
      [
        { env: 'prod', dc: 'lyon' },
        { env: 'prod', app: 'crm' },
      ],
    ],
    ['different values of one key are both kept', [rule('env=prod', 'env=Prod')], [{ env: 'prod' }, { env: 'Prod' }]],
    ['several rules are a union', [rule('env=prod'), rule('env=uat'), rule('env=prod&dc=lyon')], [{ env: 'prod' }, { env: 'uat' }]],
    [
      'automatic tags are ordinary keys here',
      [rule('pg_instance=10.0.0.7@sales', 'server=10.0.0.7&pg_version=16.4')],
      [{ pg_instance: '10.0.0.7@sales' }, { server: '10.0.0.7', pg_version: '16.4' }],
    ],
    ['no rule at all matches nothing', [], []],
    ['an empty group never matches everything', [rule('')], []],
    ['an empty group next to a real one is ignored', [rule('', 'env=prod')], [{ env: 'prod' }]],
  ])('%s', (_label, rules, expected) => {
    expect(compileRules(rules)).toEqual(expected);
  });

  test('compiling never changes what matches (checked over every combination of a small tag space)', () => {
    const rules = [rule('a=1&b=1', 'a=1', 'b=2&a=2&b=2', 'c=1&c=2'), rule('a=1&b=2&c=1', 'c=1&b=1')];
    const values = [undefined, '1', '2'];
    for (const a of values)
      for (const b of values)
        for (const c of values) {
          const tags = Object.fromEntries(Object.entries({ a, b, c }).filter(([, v]) => v !== undefined)) as Record<string, string>;
          const direct = rules.some((r) => r.some((group) => group.filters.length > 0 && group.filters.every((x) => tags[x.tag] === x.value)));
          expect([tags, matches(compileRules(rules), tags)]).toEqual([tags, direct]);
        }
  });
});

describe('renderPredicate', () => {
  const render = (predicate: ConnectionPredicate, alias = 'c') => {
    const params = new SqlParams();
    return { sql: renderPredicate(predicate, alias, params), values: params.values };
  };

  test('no restriction is TRUE with no parameter', () => {
    expect(render(MATCH_EVERYTHING)).toEqual({ sql: 'TRUE', values: [] });
  });

  test('an empty selector set is FALSE: matching nothing never widens', () => {
    expect(render(MATCH_NOTHING)).toEqual({ sql: '((FALSE))', values: [] });
    expect(render([[{ env: 'prod' }], []])).toEqual({ sql: '((c.tags @> $1::jsonb) AND (FALSE))', values: ['{"env":"prod"}'] });
  });

  test('one selector set is an OR of containments, one JSON parameter each', () => {
    expect(render([[{ env: 'prod', dc: 'london' }, { env: 'uat' }]], 't')).toEqual({
      sql: '((t.tags @> $1::jsonb OR t.tags @> $2::jsonb))',
      values: ['{"env":"prod","dc":"london"}', '{"env":"uat"}'],
    });
  });

  test('several sets are ANDed', () => {
    expect(render([[{ env: 'prod' }], [{ dc: 'lyon' }, { dc: 'paris' }]])).toEqual({
      sql: '((c.tags @> $1::jsonb) AND (c.tags @> $2::jsonb OR c.tags @> $3::jsonb))',
      values: ['{"env":"prod"}', '{"dc":"lyon"}', '{"dc":"paris"}'],
    });
  });

  test('continues the numbering of parameters already added', () => {
    const params = new SqlParams();
    expect(params.add(42)).toBe('$1');
    expect(renderPredicate([[{ a: 'x' }]], 'c', params)).toBe('((c.tags @> $2::jsonb))');
    expect(params.values).toEqual([42, '{"a":"x"}']);
  });

  test('values are parameters, never spliced into the SQL', () => {
    const nasty = `x' OR TRUE --"\\`;
    const { sql, values } = render([[{ [nasty]: nasty }]]);
    expect(sql).toBe('((c.tags @> $1::jsonb))');
    expect(JSON.parse(values[0] as string)).toEqual({ [nasty]: nasty });
  });
});

describe('narrow', () => {
  test('adds one AND condition, or nothing for null', () => {
    expect(narrow(MATCH_EVERYTHING, null)).toEqual([]);
    expect(narrow(MATCH_EVERYTHING, [{ a: '1' }])).toEqual([[{ a: '1' }]]);
    expect(narrow([[{ a: '1' }]], [])).toEqual([[{ a: '1' }], []]);
  });
});

describe('role memberships', () => {
  test('render as a probe of the materialized relation, with the role ids as one parameter', () => {
    const params = new SqlParams();
    expect(renderPredicate([memberOf([7, 3]), [{ env: 'prod' }]], 'c', params)).toBe(
      '((EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = c.id AND rc.role_id = ANY($1::int[]))) AND (c.tags @> $2::jsonb))',
    );
    expect(params.values).toEqual([[3, 7], '{"env":"prod"}']);
  });

  test('a membership in no role matches nothing', () => {
    expect(renderPredicate([memberOf([])], 'c', new SqlParams())).toBe('((FALSE))');
  });

  test('are told apart from selector sets', () => {
    expect(isRoleMembership(memberOf([1]))).toBe(true);
    expect(isRoleMembership([{ a: '1' }])).toBe(false);
    expect(isRoleMembership([])).toBe(false);
  });
});

describe('exclusions', () => {
  test('render as NOT of the term they exclude, a selector set or a membership', () => {
    const params = new SqlParams();
    expect(renderPredicate([[{ env: 'prod' }, { dc: 'lyon' }], excluding(memberOf([4]))], 'c', params)).toBe(
      '((c.tags @> $1::jsonb OR c.tags @> $2::jsonb) AND (NOT (EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = c.id AND rc.role_id = ANY($3::int[])))))',
    );
    expect(renderPredicate([memberOf([4]), excluding([{ env: 'prod' }, { dc: 'lyon' }])], 'c', new SqlParams())).toBe(
      '((EXISTS (SELECT 1 FROM role_connections rc WHERE rc.connection_id = c.id AND rc.role_id = ANY($1::int[]))) AND (NOT (c.tags @> $2::jsonb OR c.tags @> $3::jsonb)))',
    );
  });

  test('excluding nothing excludes nothing', () => {
    expect(renderPredicate([excluding([])], 'c', new SqlParams())).toBe('((NOT (FALSE)))');
    expect(renderPredicate([excluding(memberOf([]))], 'c', new SqlParams())).toBe('((NOT (FALSE)))');
  });

  test('are never taken for a role membership (that would turn NOT into a grant)', () => {
    expect(isRoleMembership(excluding(memberOf([1])))).toBe(false);
    expect(isExclusion(excluding(memberOf([1])))).toBe(true);
    expect(isExclusion(memberOf([1]))).toBe(false);
    expect(isExclusion([{ a: '1' }])).toBe(false);
  });
});
