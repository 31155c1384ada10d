/**
 * The bench's chart: p50 latency of each screen against fleet size, both axes logarithmic, with the raw SQL floor and
 * the peer (PostGraphile with row-level security) drawn dashed. Written as a standalone SVG next to the results
 * (`bench/results/latest.svg`), so BENCHMARKS.md and a browser show it as is.
 *
 * Hand-written rather than a charting library: one static line chart of at most a dozen series is about a hundred
 * lines of SVG, and the libraries that render SVG outside a browser (vega, chart.js with a canvas backend) would add
 * tens of megabytes of dependencies, some native, to every `npm ci` for a file drawn once per bench run.
 */

export interface ChartPoint {
  size: number;
  p50: number;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
  /** Drawn dashed: a reference line rather than a screen of the gateway. */
  reference?: boolean;
}

const WIDTH = 860;
const HEIGHT = 520;
const MARGIN = { left: 70, right: 230, top: 40, bottom: 60 };
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#637939'];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Powers of ten covering [min, max], with 2 and 5 in between when the range is short. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent += 1) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * 10 ** exponent;
      if (value >= min / 1.0001 && value <= max * 1.0001) ticks.push(value);
    }
  }
  return ticks;
}

const sizeLabel = (size: number) => (size >= 1e6 ? `${size / 1e6}M` : size >= 1e3 ? `${size / 1e3}k` : String(size));
const msLabel = (ms: number) => (ms >= 1 ? String(Number(ms.toPrecision(3))) : ms.toPrecision(2));

export function drawChart(series: readonly ChartSeries[], title: string): string {
  const drawn = series.filter((s) => s.points.some((p) => p.p50 > 0));
  const points = drawn.flatMap((s) => s.points).filter((p) => p.p50 > 0);
  if (points.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="60"><text x="10" y="30">no data</text></svg>\n`;
  const sizes = [...new Set(points.map((p) => p.size))].sort((a, b) => a - b);
  const [xMin, xMax] = [sizes[0]!, Math.max(sizes[sizes.length - 1]!, sizes[0]! * 10)];
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...points.map((p) => p.p50))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...points.map((p) => p.p50))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (size: number) => MARGIN.left + (plotWidth * (Math.log10(size) - Math.log10(xMin))) / (Math.log10(xMax) - Math.log10(xMin));
  const y = (ms: number) => MARGIN.top + plotHeight - (plotHeight * (Math.log10(ms) - Math.log10(yMin))) / (Math.log10(yMax) - Math.log10(yMin));

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const tick of logTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 8}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end">${msLabel(tick)}</text>`,
    );
  }
  for (const size of sizes) {
    parts.push(
      `<line x1="${x(size).toFixed(1)}" x2="${x(size).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#e5e5e5"/>`,
      `<text x="${x(size).toFixed(1)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${sizeLabel(size)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 15}" text-anchor="middle">connections in the fleet (log scale)</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">p50 latency, ms (log scale)</text>`,
  );
  drawn.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const dash = s.reference ? ' stroke-dasharray="6 4"' : '';
    const line = s.points
      .filter((p) => p.p50 > 0)
      .sort((a, b) => a.size - b.size)
      .map((p) => `${x(p.size).toFixed(1)},${y(p.p50).toFixed(1)}`);
    parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const point of line) {
      const [cx, cy] = point.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
    const legendY = MARGIN.top + 10 + i * 20;
    const legendX = MARGIN.left + plotWidth + 16;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 24}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${legendX + 30}" y="${legendY + 4}">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
