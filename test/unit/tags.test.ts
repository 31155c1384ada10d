import {
  AUTOMATIC_TAG_KEYS,
  formatTagString,
  isAutomaticTagKey,
  MAX_TAGS_PER_CONNECTION,
  normalizeUserTags,
  parseTagString,
  tagKeyProblem,
  tagValueProblem,
} from '../../src/access/tags';
import { thrown } from '../support/errors';

/** Parses and normalizes a vendor tag string, as the REST adapter does. */
const tags = (input: string) => normalizeUserTags(parseTagString(input));

describe('parseTagString + normalizeUserTags: valid strings', () => {
  test.each<[string, string, { key: string; value: string }[]]>([
    ['empty string', '', []],
    ['blank string', '   ', []],
    ['one pair', 'environment=production', [{ key: 'environment', value: 'production' }]],
    [
      'several pairs, order kept',
      'zone=b,application=sales,environment=production',
      [
        { key: 'zone', value: 'b' },
        { key: 'application', value: 'sales' },
        { key: 'environment', value: 'production' },
      ],
    ],
    [
      'spaces around keys, values and commas are trimmed',
      '  application = sales ,  environment=production  ',
      [
        { key: 'application', value: 'sales' },
        { key: 'environment', value: 'production' },
      ],
    ],
    ['a version number', 'version=11.8', [{ key: 'version', value: '11.8' }]],
    ['a hyphenated value', 'hosting=on-premises', [{ key: 'hosting', value: 'on-premises' }]],
    ['a value with @ and dots', 'instance=10.0.0.7@sales-prod', [{ key: 'instance', value: '10.0.0.7@sales-prod' }]],
    ['a value containing "=" (split at the first one)', 'a=b=c', [{ key: 'a', value: 'b=c' }]],
    ['a value with inner spaces', 'owner=Jean Lapioffe', [{ key: 'owner', value: 'Jean Lapioffe' }]],
    ['a non-ASCII value', 'site=Zürich', [{ key: 'site', value: 'Zürich' }]],
    ['key starting with "_", with . and -', '_k.e-y_9=v', [{ key: '_k.e-y_9', value: 'v' }]],
    [
      'keys are case-sensitive: Env and env are two keys',
      'Env=a,env=b',
      [
        { key: 'Env', value: 'a' },
        { key: 'env', value: 'b' },
      ],
    ],
    ['a key of 64 characters', `${'k'.repeat(64)}=v`, [{ key: 'k'.repeat(64), value: 'v' }]],
    ['a value of 256 characters', `k=${'v'.repeat(256)}`, [{ key: 'k', value: 'v'.repeat(256) }]],
    ['a one-character value', 'k=0', [{ key: 'k', value: '0' }]],
  ])('%s', (_label, input, expected) => {
    expect(tags(input)).toEqual(expected);
  });

  test('the normalized pairs format back to the canonical string', () => {
    expect(formatTagString(tags(' a = 1 ,b=2=3, c=on-premises'))).toBe('a=1,b=2=3,c=on-premises');
    expect(formatTagString([])).toBe('');
  });
});

describe('malformed tag strings are refused with BAD_USER_INPUT naming the bad pair', () => {
  test.each<[string, string, string]>([
    ['no "="', 'environment=production,london', 'Invalid tag "london": expected key=value'],
    ['an empty pair (two commas)', 'a=1,,b=2', 'Invalid tag an empty pair (two commas in a row, or a trailing comma): expected key=value'],
    ['a trailing comma', 'a=1,', 'Invalid tag an empty pair (two commas in a row, or a trailing comma): expected key=value'],
    ['an empty key', 'a=1,=x', 'Invalid tag "=x": the key is empty'],
    ['an empty value', 'a=1,k=', 'Invalid tag "k=": the value is empty'],
    ['a blank value', 'k=   ', 'Invalid tag "k=   ": the value is empty'],
    [
      'a key starting with a digit',
      '1env=prod',
      'Invalid tag "1env=prod": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -',
    ],
    ['a key with a space', 'my env=prod', 'Invalid tag "my env=prod": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -'],
    ['a key with @', 'e@v=prod', 'Invalid tag "e@v=prod": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -'],
    [
      'a key of 65 characters',
      `${'k'.repeat(65)}=v`,
      `Invalid tag "${'k'.repeat(65)}=v": a key starts with a letter or "_" and has at most 64 characters among A-Z a-z 0-9 _ . -`,
    ],
    ['a value of 257 characters', `k=${'v'.repeat(257)}`, `Invalid tag "k=${'v'.repeat(257)}": the value is longer than 256 characters`],
    ['a value with a tab', 'k=a\tb', `Invalid tag ${JSON.stringify('k=a\tb')}: the value contains a control character`],
    ['a value with a newline', 'k=a\nb', `Invalid tag ${JSON.stringify('k=a\nb')}: the value contains a control character`],
    ['a duplicate key', 'env=prod,dc=lyon,env=uat', 'Invalid tag "env=uat": key "env" appears twice'],
    ['a duplicate key with the same value', 'env=prod,env=prod', 'Invalid tag "env=prod": key "env" appears twice'],
    ['a duplicate key hidden by spaces', 'env=prod, env =uat', 'Invalid tag " env =uat": key "env" appears twice'],
  ])('%s', (_label, input, message) => {
    const error = thrown(() => tags(input));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toBe(message);
    expect(error.details).toEqual({ field: 'tags' });
  });

  test('the first bad pair is the one named', () => {
    expect(thrown(() => tags('good=1,bad,1x=2')).message).toBe('Invalid tag "bad": expected key=value');
    expect(thrown(() => tags('good=1,1x=2,k=')).message).toMatch(/^Invalid tag "1x=2": /);
    expect(thrown(() => tags('good=1,k=,1x=2')).message).toBe('Invalid tag "k=": the value is empty');
  });

  test('the field name is passed through', () => {
    expect(thrown(() => parseTagString('oops', 'input.tags')).details).toEqual({ field: 'input.tags' });
    expect(thrown(() => normalizeUserTags([{ key: 'k', value: '' }], 'input.tags')).details).toEqual({ field: 'input.tags' });
  });
});

describe('automatic tag keys', () => {
  test('are exactly pg_instance, server and pg_version', () => {
    expect([...AUTOMATIC_TAG_KEYS]).toEqual(['pg_instance', 'server', 'pg_version']);
    expect(AUTOMATIC_TAG_KEYS.map(isAutomaticTagKey)).toEqual([true, true, true]);
    expect(['PG_INSTANCE', 'servers', 'pg_versions', 'environment'].map(isAutomaticTagKey)).toEqual([false, false, false, false]);
  });

  test.each(['pg_instance=10.0.0.7@sales-prod', 'server=10.0.0.7', 'pg_version=16.4', 'env=prod, server =x'])('users may not set them: %s', (input) => {
    const error = thrown(() => tags(input));
    expect(error.code).toBe('BAD_USER_INPUT');
    const bad = input.split(',').find((p) => isAutomaticTagKey(p.split('=')[0]!.trim()))!;
    const key = bad.split('=')[0]!.trim();
    expect(error.message).toBe(`Invalid tag ${JSON.stringify(bad)}: "${key}" is set automatically by the gateway`);
  });

  test('keys that only look like them are ordinary keys', () => {
    expect(tags('Server=a,pg_version2=b,my_server=c')).toEqual([
      { key: 'Server', value: 'a' },
      { key: 'pg_version2', value: 'b' },
      { key: 'my_server', value: 'c' },
    ]);
  });
});

describe('normalizeUserTags on structured input (GraphQL TagInput)', () => {
  test('trims and keeps the order', () => {
    expect(
      normalizeUserTags([
        { key: ' b ', value: ' 2 ' },
        { key: 'a', value: '1' },
      ]),
    ).toEqual([
      { key: 'b', value: '2' },
      { key: 'a', value: '1' },
    ]);
  });

  test('a "," inside a value is refused (it could not be written back as a tag string)', () => {
    expect(thrown(() => normalizeUserTags([{ key: 'k', value: 'a,b' }])).message).toBe('Invalid tag "k=a,b": the value contains ","');
  });

  test('a DEL or C1 control character is refused', () => {
    expect(thrown(() => normalizeUserTags([{ key: 'k', value: 'a\u007fb' }])).message).toMatch(/control character$/);
    expect(thrown(() => normalizeUserTags([{ key: 'k', value: 'a\u0085b' }])).message).toMatch(/control character$/);
  });

  test(`at most ${MAX_TAGS_PER_CONNECTION} tags`, () => {
    const many = Array.from({ length: MAX_TAGS_PER_CONNECTION + 1 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(normalizeUserTags(many.slice(0, MAX_TAGS_PER_CONNECTION))).toHaveLength(MAX_TAGS_PER_CONNECTION);
    const error = thrown(() => normalizeUserTags(many));
    expect([error.code, error.message]).toEqual(['BAD_USER_INPUT', `At most ${MAX_TAGS_PER_CONNECTION} tags per connection`]);
  });
});

describe('tagKeyProblem / tagValueProblem', () => {
  test('accept and refuse exactly the documented syntax', () => {
    expect(['a', 'A', '_', 'a1', 'a.b-c_d', 'x'.repeat(64)].map(tagKeyProblem)).toEqual([null, null, null, null, null, null]);
    expect(['', '1a', '.a', '-a', 'a b', 'a/b', 'a=b', 'x'.repeat(65)].map((k) => tagKeyProblem(k) === null)).toEqual(Array(8).fill(false));
    expect(['1', '11.8', 'on-premises', '10.0.0.7@sales-prod', 'b=c', 'x'.repeat(256)].map(tagValueProblem)).toEqual(Array(6).fill(null));
    expect(['', 'a,b', 'a\u0000b', 'x'.repeat(257)].map((v) => tagValueProblem(v) === null)).toEqual([false, false, false, false]);
  });
});
