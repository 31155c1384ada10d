/**
 * The performance targets (issue 18), checked against one run's results: each line says what was measured and
 * whether the target is met, so BENCHMARKS.md quotes a verdict computed from the numbers, not one typed by hand.
 * A target whose scenarios or sizes the run did not measure says so instead of passing.
 */

export interface TargetMeasure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  peakRssMb?: number;
}

export interface TargetSize {
  size: number;
  scenarios: Record<string, TargetMeasure>;
  peakRssMb: number;
}

export interface TargetVerdict {
  target: string;
  measured: string;
  met: boolean | null;
}

const at = (results: readonly TargetSize[], size: number) => results.find((r) => r.size === size);
const fmt = (n: number, digits = 2) => n.toFixed(digits);

/** `null` when a scenario the target needs was not measured. */
function ratioAt(results: readonly TargetSize[], scenario: string, size: number, base: number): number | null {
  const top = at(results, size)?.scenarios[scenario];
  const bottom = at(results, base)?.scenarios[scenario];
  return top && bottom ? top.p50 / bottom.p50 : null;
}

export function checkTargets(results: readonly TargetSize[]): TargetVerdict[] {
  const sizes = results.map((r) => r.size);
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  const verdicts: TargetVerdict[] = [];
  const add = (target: string, measured: string, met: boolean | null) => verdicts.push({ target, measured, met });
  const growth = (scenario: string, limit: number, label: string) => {
    const ratio = ratioAt(results, scenario, largest, smallest);
    add(
      `${label}: p50 at ${largest.toLocaleString('en')} ≤ ${limit}x its ${smallest.toLocaleString('en')} p50`,
      ratio === null ? 'not measured' : `${fmt(ratio)}x`,
      ratio === null ? null : ratio <= limit,
    );
  };

  const errors = results.flatMap((r) =>
    Object.entries(r.scenarios)
      .filter(([, m]) => m.errors > 0)
      .map(([name, m]) => `${name} at ${r.size}: ${m.errors}`),
  );
  add(
    'every scenario at every size: 0 errors',
    errors.length ? errors.join('; ') : `0 errors (${sizes.map((s) => s.toLocaleString('en')).join(', ')})`,
    errors.length === 0,
  );
  growth('dashboard', 1.2, 'dashboard');
  growth('dashboardFixed', 1.2, 'fixed-set dashboard');
  const floors = results.map((r) => (r.scenarios.dashboard && r.scenarios.rawSql ? r.scenarios.dashboard.p50 / r.scenarios.rawSql.p50 : null));
  add(
    'dashboard / raw SQL floor ≤ 2.0x at every size',
    floors.some((f) => f === null) ? 'not measured' : floors.map((f) => `${fmt(f!)}x`).join(' / '),
    floors.some((f) => f === null) ? null : floors.every((f) => f! <= 2.0),
  );
  growth('tagsUserKeys', 1.5, 'filter menu (tags(automatic: false) with paged values)');
  const tags = at(results, largest)?.scenarios.tags;
  add(`full tag summary at ${largest.toLocaleString('en')}: p50 ≤ 250 ms`, tags ? `${fmt(tags.p50)} ms` : 'not measured', tags ? tags.p50 <= 250 : null);
  const preview = at(results, largest)?.scenarios.preview;
  add(
    `previewAccess of a three-group rule at ${largest.toLocaleString('en')}: p50 ≤ 100 ms`,
    preview ? `${fmt(preview.p50)} ms` : 'not measured',
    preview ? preview.p50 <= 100 : null,
  );
  for (const size of [100_000, 1_000_000]) {
    const admin = at(results, size)?.scenarios.admin;
    add(
      `administrators' overview at ${size.toLocaleString('en')}: p50 ≤ 40 ms, p99 ≤ 4x p50`,
      admin ? `p50 ${fmt(admin.p50)} ms, p99 ${fmt(admin.p99)} ms (${fmt(admin.p99 / admin.p50)}x)` : 'not measured',
      admin ? admin.p50 <= 40 && admin.p99 <= 4 * admin.p50 : null,
    );
  }
  growth('dashboardUncached', 2, 'uncached dashboard');
  const rss = Math.max(...results.map((r) => r.peakRssMb));
  add(`peak RSS of the gateway < 300 MB at every size`, `${rss} MB`, rss < 300);
  for (const size of [100_000, 1_000_000]) {
    const ours = at(results, size)?.scenarios.dashboard;
    const peer = at(results, size)?.scenarios.peer;
    add(
      `throughput ≥ 10x the peer's (PostGraphile + RLS) at ${size.toLocaleString('en')}`,
      ours && peer ? `${fmt(ours.rps, 0)} vs ${fmt(peer.rps, 1)} req/s: ${fmt(ours.rps / peer.rps, 1)}x` : 'not measured',
      ours && peer ? ours.rps >= 10 * peer.rps : null,
    );
  }
  return verdicts;
}

export function targetsTable(results: readonly TargetSize[]): string {
  const lines = ['| target | measured | verdict |', '| --- | --- | --- |'];
  for (const v of checkTargets(results)) lines.push(`| ${v.target} | ${v.measured} | ${v.met === null ? 'not measured' : v.met ? '**met**' : '**not met**'} |`);
  return lines.join('\n');
}
