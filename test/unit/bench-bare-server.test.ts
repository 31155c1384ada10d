/**
 * bench/bare-server.ts: the bare server's answer from the page statement's rows (the bench checks it against the
 * gateway's answer byte for byte on the real world before measuring; this holds the shaping rules on their own).
 */
import { bareAnswer, type PageRow } from '../../bench/bare-server';

const row = (name: string, tags: string, extra: Partial<PageRow> = {}): PageRow => ({
  batch_index: 0,
  id: name.length,
  name,
  host: `${name}.db`,
  port: 5432,
  user_tags: tags,
  pg_version: null,
  connected: true,
  batch_part: 0,
  order_key: name,
  ...extra,
});

const head = { totalCount: 7, pageInfo: { hasNextPage: true, endCursor: 'bjpi' } };

test('items in the page order, cut at first, without the look-around row; user tags then automatic tags', () => {
  const rows = [
    row('c', '[]'),
    row('a', '[{"key": "team", "value": "say \\"hi\\""}]', { pg_version: '16.2', connected: false }),
    row('0', '[]', { batch_part: 1 }),
    row('b', '[{"key": "env", "value": "prod"}]', { port: 6432 }),
  ];
  const parsed: string[] = [];
  const bytes = bareAnswer(rows, { head, first: 2 }, (text) => {
    parsed.push(text);
    return JSON.parse(text) as { key: string; value: string }[];
  });
  expect(bytes.toString('utf8')).toBe(
    '{"data":{"connections":{"totalCount":7,"pageInfo":{"hasNextPage":true,"endCursor":"bjpi"},"nodes":[' +
      '{"name":"a","host":"a.db","port":5432,"connected":false,"tags":[' +
      '{"key":"team","value":"say \\"hi\\"","automatic":false},' +
      '{"key":"pg_instance","value":"a.db@a","automatic":true},{"key":"server","value":"a.db","automatic":true},' +
      '{"key":"pg_version","value":"16.2","automatic":true}]},' +
      '{"name":"b","host":"b.db","port":6432,"connected":true,"tags":[' +
      '{"key":"env","value":"prod","automatic":false},' +
      '{"key":"pg_instance","value":"b.db@b","automatic":true},{"key":"server","value":"b.db","automatic":true}]}' +
      ']}}}\n',
  );
  expect(parsed).toEqual(['[{"key": "team", "value": "say \\"hi\\""}]', '[{"key": "env", "value": "prod"}]']);
});

test('orders by code point, as the "C" collation of the order key does', () => {
  // U+FF5E sorts before U+1F600 by code point, after it by UTF-16 code unit.
  const rows = [row('\u{1F600}', '[]'), row('\uFF5E', '[]')];
  const answer = JSON.parse(bareAnswer(rows, { head, first: 50 }, () => []).toString('utf8')) as { data: { connections: { nodes: { name: string }[] } } };
  expect(answer.data.connections.nodes.map((n) => n.name)).toEqual(['\uFF5E', '\u{1F600}']);
});
