/**
 * The known-query lane sends an answer as the bytes of its JSON and a newline, encoded once (src/graphql/known-queries.ts):
 * they must be exactly the UTF-8 bytes Apollo and Express would send for the same text, whatever characters it holds.
 */
import { answerBytes } from '../../src/graphql/known-queries';

describe('answerBytes', () => {
  test.each([
    ['ASCII', { data: { connections: { nodes: [{ name: 'pg-1', tags: [{ key: 'env', value: 'prod' }] }] } } }],
    ['Latin-1', { data: { name: 'base-clé-été' } }],
    ['beyond Latin-1 and the BMP', { data: { name: 'データ 😀 ∑' } }],
    ['a lone surrogate (JSON.stringify escapes it)', { data: { name: 'a\ud800b' } }],
    ['empty', {}],
  ])('%s: the UTF-8 bytes of the JSON and a newline', (_title, value) => {
    const json = JSON.stringify(value);
    const bytes = answerBytes(json);
    expect(bytes.equals(Buffer.from(`${json}\n`, 'utf8'))).toBe(true);
    expect(bytes.length).toBe(Buffer.byteLength(json) + 1);
    expect(bytes.toString('utf8')).toBe(`${json}\n`);
  });
});
