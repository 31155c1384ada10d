import { MAX_FILTERS_PER_GROUP, MAX_GROUPS_PER_RULE, normalizeAccessRule, type AccessGroup } from '../../src/access/access-rule';
import { thrown } from '../support/errors';

const f = (tag: string, value: string) => ({ tag, value });
const g = (...filters: { tag: string; value: string }[]): AccessGroup => ({ filters });

describe('normalizeAccessRule: valid rules', () => {
  test('keeps groups and filters in order', () => {
    const rule = [g(f('environment', 'production'), f('datacenter', 'london')), g(f('environment', 'uat'))];
    expect(normalizeAccessRule(rule)).toEqual(rule);
  });

  test('trims tags and values', () => {
    expect(normalizeAccessRule([g(f(' environment ', ' production '))])).toEqual([g(f('environment', 'production'))]);
  });

  test('removes a filter repeated inside a group, keeps it across groups', () => {
    expect(normalizeAccessRule([g(f('a', '1'), f('a', '1'), f('b', '2')), g(f('a', '1'))])).toEqual([g(f('a', '1'), f('b', '2')), g(f('a', '1'))]);
  });

  test('keeps contradictory filters (they are valid input and simply match nothing)', () => {
    expect(normalizeAccessRule([g(f('env', 'prod'), f('env', 'uat'))])).toEqual([g(f('env', 'prod'), f('env', 'uat'))]);
  });

  test('accepts automatic tags and tags no connection carries yet', () => {
    const rule = [g(f('pg_instance', '10.0.0.7@sales-prod')), g(f('server', '10.0.0.7')), g(f('pg_version', '16.4')), g(f('never_used_yet', 'x'))];
    expect(normalizeAccessRule(rule)).toEqual(rule);
  });

  test('values are case-sensitive and kept as written', () => {
    expect(normalizeAccessRule([g(f('Env', 'Production'))])).toEqual([g(f('Env', 'Production'))]);
  });

  test(`accepts ${MAX_GROUPS_PER_RULE} groups of ${MAX_FILTERS_PER_GROUP} filters`, () => {
    const group = g(...Array.from({ length: MAX_FILTERS_PER_GROUP }, (_, i) => f(`k${i}`, 'v')));
    expect(normalizeAccessRule(Array(MAX_GROUPS_PER_RULE).fill(group))).toHaveLength(MAX_GROUPS_PER_RULE);
  });
});

describe('normalizeAccessRule: bad rules give BAD_USER_INPUT naming the group, filter and pair', () => {
  test.each<[string, AccessGroup[], string]>([
    ['no group', [], 'access must contain at least one group of filters'],
    ['an empty group', [g(f('a', '1')), g()], 'access[2]: a group must contain at least one filter'],
    ['an empty tag', [g(f('a', '1'), f('', 'x'))], 'access[1].filters[2] "=x": the key is empty'],
    ['an empty value', [g(f('a', '1')), g(f('env', ''))], 'access[2].filters[1] "env=": the value is empty'],
    ['a blank value', [g(f('env', '   '))], 'access[1].filters[1] "env=   ": the value is empty'],
    [
      'a malformed tag',
      [g(f('1env', 'prod'))],
      'access[1].filters[1] "1env=prod": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -',
    ],
    ['a value with ","', [g(f('env', 'a,b'))], 'access[1].filters[1] "env=a,b": the value contains ","'],
    ['a value with a control character', [g(f('env', 'a\nb'))], `access[1].filters[1] ${JSON.stringify('env=a\nb')}: the value contains a control character`],
    ['a value too long', [g(f('env', 'x'.repeat(257)))], `access[1].filters[1] "env=${'x'.repeat(257)}": the value is longer than 256 characters`],
    ['too many groups', Array(MAX_GROUPS_PER_RULE + 1).fill(g(f('a', '1'))), `access may contain at most ${MAX_GROUPS_PER_RULE} groups`],
    [
      'too many filters',
      [g(...Array.from({ length: MAX_FILTERS_PER_GROUP + 1 }, (_, i) => f(`k${i}`, 'v')))],
      `access[1]: a group may contain at most ${MAX_FILTERS_PER_GROUP} filters`,
    ],
  ])('%s', (_label, rule, message) => {
    const error = thrown(() => normalizeAccessRule(rule));
    expect([error.code, error.message, error.details]).toEqual(['BAD_USER_INPUT', message, { field: 'access' }]);
  });

  test('the field name is used in messages and details', () => {
    const error = thrown(() => normalizeAccessRule([g()], 'filter.access'));
    expect([error.message, error.details]).toEqual(['filter.access[1]: a group must contain at least one filter', { field: 'filter.access' }]);
  });

  test('malformed shapes (from untyped REST bodies) are refused, not crashed on', () => {
    expect(thrown(() => normalizeAccessRule('nope' as unknown as AccessGroup[])).code).toBe('BAD_USER_INPUT');
    expect(thrown(() => normalizeAccessRule([null as unknown as AccessGroup])).message).toBe('access[1]: a group must contain at least one filter');
    expect(thrown(() => normalizeAccessRule([{ filters: 'x' } as unknown as AccessGroup])).message).toBe('access[1]: a group must contain at least one filter');
    expect(thrown(() => normalizeAccessRule([{ filters: [{ tag: 1, value: 'x' }] } as unknown as AccessGroup])).message).toBe(
      'access[1].filters[1] "1=x": the key is empty',
    );
  });
});
