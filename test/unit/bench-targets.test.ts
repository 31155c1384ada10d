/** bench/targets.ts: verdicts computed from a run's numbers; what a run did not measure never passes. */
import { checkTargets, type TargetSize } from '../../bench/targets';

const m = (p50: number, rps = 100, p99 = p50 * 2, errors = 0) => ({ rps, p50, p99, errors });
const results: TargetSize[] = [
  { size: 1000, peakRssMb: 250, scenarios: { dashboard: m(10, 800), rawSql: m(5), dashboardFixed: m(10), tagsUserKeys: m(3), dashboardUncached: m(15) } },
  {
    size: 100_000,
    peakRssMb: 280,
    scenarios: { dashboard: m(11, 700), rawSql: m(5), dashboardFixed: m(10), admin: m(30, 50, 150), peer: m(90, 69) },
  },
  {
    size: 1_000_000,
    peakRssMb: 310,
    scenarios: {
      dashboard: m(12, 700, 30, 1),
      rawSql: m(4),
      dashboardFixed: m(11),
      tagsUserKeys: m(4),
      tags: m(300),
      preview: m(40),
      admin: m(30, 50, 90),
      dashboardUncached: m(29),
      peer: m(100, 71),
    },
  },
];

test('each target is met, not met, or not measured, from the numbers alone', () => {
  const verdicts = Object.fromEntries(checkTargets(results).map((v) => [v.target, [v.measured, v.met]]));
  expect(verdicts).toEqual({
    'every scenario at every size: 0 errors': ['dashboard at 1000000: 1', false],
    'dashboard: p50 at 1,000,000 ≤ 1.2x its 1,000 p50': ['1.20x', true],
    'fixed-set dashboard: p50 at 1,000,000 ≤ 1.2x its 1,000 p50': ['1.10x', true],
    'dashboard / raw SQL floor ≤ 2.0x at every size': ['2.00x / 2.20x / 3.00x', false],
    'filter menu (tags(automatic: false) with paged values): p50 at 1,000,000 ≤ 1.5x its 1,000 p50': ['1.33x', true],
    'full tag summary at 1,000,000: p50 ≤ 250 ms': ['300.00 ms', false],
    'previewAccess of a three-group rule at 1,000,000: p50 ≤ 100 ms': ['40.00 ms', true],
    "administrators' overview at 100,000: p50 ≤ 40 ms, p99 ≤ 4x p50": ['p50 30.00 ms, p99 150.00 ms (5.00x)', false],
    "administrators' overview at 1,000,000: p50 ≤ 40 ms, p99 ≤ 4x p50": ['p50 30.00 ms, p99 90.00 ms (3.00x)', true],
    'uncached dashboard: p50 at 1,000,000 ≤ 2x its 1,000 p50': ['1.93x', true],
    'peak RSS of the gateway < 300 MB at every size': ['310 MB', false],
    "throughput ≥ 10x the peer's (PostGraphile + RLS) at 100,000": ['700 vs 69.0 req/s: 10.1x', true],
    "throughput ≥ 10x the peer's (PostGraphile + RLS) at 1,000,000": ['700 vs 71.0 req/s: 9.9x', false],
  });
});

test('a target whose scenario was not run is "not measured", never met', () => {
  const partial = checkTargets([{ size: 1000, peakRssMb: 200, scenarios: { dashboard: m(10) } }]);
  const byTarget = new Map(partial.map((v) => [v.target, v]));
  expect(byTarget.get('dashboard / raw SQL floor ≤ 2.0x at every size')).toEqual({
    target: 'dashboard / raw SQL floor ≤ 2.0x at every size',
    measured: 'not measured',
    met: null,
  });
  expect(partial.filter((v) => v.met === true).map((v) => v.target)).toEqual([
    'every scenario at every size: 0 errors',
    'dashboard: p50 at 1,000 ≤ 1.2x its 1,000 p50',
    'peak RSS of the gateway < 300 MB at every size',
  ]);
});
