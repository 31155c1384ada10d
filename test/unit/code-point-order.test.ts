/** Tag values are paged in the order PostgreSQL sorts them with COLLATE "C": UTF-8 bytes, which is code point order. */
import { compareCodePoints } from '../../src/access/tags';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

test('compareCodePoints orders strings as their UTF-8 bytes do, where UTF-16 code units do not', () => {
  const values = ['b', 'a', 'A', 'ab', 'a', '', 'é', '\uffff', '\ue000', '😀', '😀a', '\ud7ff', 'Z', 'z9', '中'];
  const expected = [...values].sort(utf8Order);
  expect([...values].sort(compareCodePoints)).toEqual(expected);
  // The case that needs care: U+1F600 (a surrogate pair) comes after U+FFFF in code points, before it in code units.
  expect(['😀', '\uffff'].sort()).toEqual(['😀', '\uffff']);
  expect(['😀', '\uffff'].sort(compareCodePoints)).toEqual(['\uffff', '😀']);
  for (const a of values) for (const b of values) expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(utf8Order(a, b)));
});
