/** The bench's chart (bench/chart.ts): log-log placement, one line per series, references dashed, text escaped. */
import { drawChart } from '../../bench/chart';

const svg = drawChart(
  [
    {
      name: 'dashboard',
      points: [
        { size: 1000, p50: 10 },
        { size: 1_000_000, p50: 10 },
      ],
    },
    {
      name: 'peer <RLS> & co',
      reference: true,
      points: [
        { size: 1000, p50: 1 },
        { size: 1_000_000, p50: 100 },
      ],
    },
    { name: 'not measured', points: [{ size: 1000, p50: 0 }] },
  ],
  'p50 by fleet size',
);

const polylines = [...svg.matchAll(/<polyline points="([^"]+)"[^>]*\/>/g)].map((m) => m[1]!.split(' ').map((p) => p.split(',').map(Number)));

test('one line per measured series; a flat series is horizontal, a hundredfold one spans the whole height', () => {
  expect(polylines).toHaveLength(2);
  const [flat, steep] = polylines as [number[][], number[][]];
  expect(flat[0]![1]).toBe(flat[1]![1]);
  // y axis from 1 ms to 100 ms: the peer goes from the bottom edge (y = 40 + 420) to the top edge (y = 40).
  expect(steep.map((p) => p[1])).toEqual([460, 40]);
  // x axis from 1k to 1M: the first point on the left edge, the last on the right edge.
  expect(steep.map((p) => p[0])).toEqual([70, 630]);
  // 10 ms sits halfway up on a log scale.
  expect(flat[0]![1]).toBe(250);
});

test('references are dashed, names are escaped, unmeasured series are left out', () => {
  expect(svg.match(/<polyline [^>]*stroke-dasharray/g)).toHaveLength(1);
  expect(svg).toContain('peer &lt;RLS&gt; &amp; co');
  expect(svg).not.toContain('not measured');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
});
