import { SharedJsonValues } from '../../src/db/shared-json';

const TAGS = '[{"key": "team", "value": "core"}, {"key": "environment", "value": "production"}]';

describe('SharedJsonValues', () => {
  it('parses a text once: equal texts give the same value, equal to what JSON.parse gives', () => {
    const values = new SharedJsonValues();
    const first = values.parse(TAGS);
    expect(first).toEqual(JSON.parse(TAGS));
    // A text built separately (another row of the same statement) shares the value too.
    expect(values.parse(`[${TAGS.slice(1)}`)).toBe(first);
    expect(values.parse('[{"key": "team", "value": "edge"}]')).toEqual([{ key: 'team', value: 'edge' }]);
    expect(values.parse('[{"key": "team", "value": "edge"}]')).not.toBe(first);
  });

  it('freezes the whole value, so one reader cannot change what another reads', () => {
    const value = new SharedJsonValues().parse(TAGS) as { key: string; value: string }[];
    expect(Object.isFrozen(value)).toBe(true);
    expect(value.every((tag) => Object.isFrozen(tag))).toBe(true);
    expect(() => value.push({ key: 'x', value: 'y' })).toThrow(TypeError);
    expect(() => {
      value[0]!.value = 'changed';
    }).toThrow(TypeError);
    expect(value[0]).toEqual({ key: 'team', value: 'core' });
  });

  it('answers scalars and null as JSON.parse does', () => {
    const values = new SharedJsonValues();
    expect(values.parse('null')).toBeNull();
    expect(values.parse('"text"')).toBe('text');
    expect(values.parse('12.5')).toBe(12.5);
    expect(values.parse('[]')).toEqual([]);
  });

  it('keeps texts up to its bound, least recently used first out', () => {
    const values = new SharedJsonValues(40); // characters of text
    const a = values.parse('{"a": "aaaaaaaaaa"}'); // 19 characters
    const b = values.parse('{"b": "bbbbbbbbbb"}'); // 19: both kept (38)
    expect(values.parse('{"a": "aaaaaaaaaa"}')).toBe(a); // a is now the most recent
    values.parse('{"c": "cccccccccc"}'); // 19 more: b, the least recently used, goes
    expect(values.parse('{"a": "aaaaaaaaaa"}')).toBe(a);
    const bAgain = values.parse('{"b": "bbbbbbbbbb"}');
    expect(bAgain).toEqual(b);
    expect(bAgain).not.toBe(b);
  });

  it('refuses text that is not JSON, as JSON.parse does', () => {
    expect(() => new SharedJsonValues().parse('[{"key": ')).toThrow(SyntaxError);
  });

  describe('with the owner of a text (the row it was read from)', () => {
    const EDGE = '[{"key": "team", "value": "edge"}]';

    it("gives the owner's value again for its same text, and the new text's value once the text changed", () => {
      const values = new SharedJsonValues();
      const first = values.parse(TAGS, 7);
      expect(values.parse(`[${TAGS.slice(1)}`, 7)).toBe(first);
      // The row's tags changed: the owner's remembered text no longer matches, so the new text is parsed.
      expect(values.parse(EDGE, 7)).toEqual([{ key: 'team', value: 'edge' }]);
      expect(values.parse(TAGS, 7)).toBe(first);
      // A text differing only at its end (the comparison must read all of it).
      const longer = TAGS.replace('production', 'productioN');
      expect(values.parse(longer, 7)).toEqual(JSON.parse(longer));
    });

    it('shares one value between owners and with callers that give no owner', () => {
      const values = new SharedJsonValues();
      const first = values.parse(TAGS, 1);
      expect(values.parse(TAGS, 2)).toBe(first);
      expect(values.parse(TAGS)).toBe(first);
      expect(values.parse(TAGS, 'a string key')).toBe(first);
    });

    it('answers exactly past its bound on owners', () => {
      const values = new SharedJsonValues(2_000_000, 2);
      const texts = [TAGS, EDGE, '[{"key": "team", "value": "ops"}]'];
      // Each owner's text changes every round, and three owners share a memory of two.
      for (let round = 0; round < 3; round += 1) {
        for (let owner = 0; owner < 3; owner += 1) {
          const text = texts[(owner + round) % 3]!;
          expect(values.parse(text, owner)).toEqual(JSON.parse(text));
        }
      }
    });

    it('answers scalars as JSON.parse does, and remembers none of them', () => {
      const values = new SharedJsonValues();
      expect(values.parse('null', 3)).toBeNull();
      expect(values.parse('12.5', 3)).toBe(12.5);
      expect(values.parse(TAGS, 3)).toEqual(JSON.parse(TAGS));
    });
  });
});
