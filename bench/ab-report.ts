/** The A/B command's options and report (bench/ab.ts), apart from its processes so that they can be tested. */
import { resolve } from 'node:path';
import type { LoadResult } from './load-process';

import { ADMIN, DASHBOARD, PREVIEW, ROLE_IMPACT, TAGS_USER_KEYS } from './screens';
import { PREVIEW_ACCESS } from './world';

/** What each side is asked, and by whom: the bench's dashboard user, its fixed-set user, or the administrator. */
export const SCREENS: Record<string, { query: string; variables?: Record<string, unknown>; caller: 'user' | 'fixed' | 'admin' }> = {
  dashboard: { query: DASHBOARD, caller: 'user' },
  dashboardFixed: { query: DASHBOARD, caller: 'fixed' },
  admin: { query: ADMIN, caller: 'admin' },
  tagsUserKeys: { query: TAGS_USER_KEYS, caller: 'user' },
  preview: { query: PREVIEW, variables: { access: PREVIEW_ACCESS }, caller: 'admin' },
  roleImpact: { query: ROLE_IMPACT, variables: { access: PREVIEW_ACCESS }, caller: 'admin' },
};

export interface Side {
  name: 'A' | 'B';
  root: string;
  env: Record<string, string>;
  /** The Node.js binary that runs this side's gateway (the bench's own unless `--a-node` / `--b-node`). */
  node: string;
}

export interface AbOptions {
  sides: [Side, Side];
  screen: string;
  size: number;
  rounds: number;
  duration: number;
  connections: number;
}

/** `argv` as `npm run bench:ab -- …` passes it; a checkout not given is `here`, a Node.js binary not given `node`. */
export function parseAbArgs(argv: string[], here: string, node: string = process.execPath): AbOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const env = (text: string | undefined) =>
    Object.fromEntries(
      (text ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => {
          const at = pair.indexOf('=');
          if (at <= 0) throw new Error(`bench:ab: expected KEY=VALUE, got "${pair}"`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
    );
  const screen = value('--screen') ?? 'dashboard';
  if (!SCREENS[screen]) throw new Error(`bench:ab: --screen is one of ${Object.keys(SCREENS).join(', ')}`);
  const number = (flag: string, fallback: number) => {
    const n = Number(value(flag) ?? fallback);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`bench:ab: ${flag} must be a positive integer`);
    return n;
  };
  return {
    sides: [
      { name: 'A', root: resolve(value('--a') ?? here), env: env(value('--a-env')), node: resolve(value('--a-node') ?? node) },
      { name: 'B', root: resolve(value('--b') ?? here), env: env(value('--b-env')), node: resolve(value('--b-node') ?? node) },
    ],
    screen,
    size: number('--size', 10_000),
    rounds: number('--rounds', 8),
    duration: number('--duration', 5),
    connections: number('--connections', 8),
  };
}

export interface Round extends LoadResult {
  side: 'A' | 'B';
  requests: number;
  gatewayMsPerRequest: number;
  postgresMsPerRequest: number;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function abReport(rounds: Round[], options: AbOptions): string {
  const lines = [
    '| round | side | req/s | p50 ms | p99 ms | gateway CPU ms/request | PostgreSQL CPU ms/request | errors |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  rounds.forEach((r, i) =>
    lines.push(
      `| ${Math.floor(i / 2) + 1} | ${r.side} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.gatewayMsPerRequest.toFixed(3)} | ${r.postgresMsPerRequest.toFixed(3)} | ${r.errors} |`,
    ),
  );
  const of = (side: 'A' | 'B') => rounds.filter((r) => r.side === side);
  const [a, b] = [of('A'), of('B')];
  const pairs = a.map((ra, i) => [ra, b[i]!] as const);
  const cheaper = pairs.filter(([ra, rb]) => rb.gatewayMsPerRequest < ra.gatewayMsPerRequest).length;
  const faster = pairs.filter(([ra, rb]) => rb.rps > ra.rps).length;
  const m = (side: Round[], key: 'rps' | 'p50' | 'gatewayMsPerRequest' | 'postgresMsPerRequest') => median(side.map((r) => r[key]));
  const describe = (side: Side) =>
    `${side.root}${
      Object.keys(side.env).length
        ? ` with ${Object.entries(side.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`
        : ''
    }${side.node === process.execPath ? '' : ` on ${side.node}`}`;
  return [
    `A: ${describe(options.sides[0])}`,
    `B: ${describe(options.sides[1])}`,
    `screen ${options.screen}, ${options.size.toLocaleString('en')} connections, ${options.rounds} rounds of ${options.duration} s per side, concurrency ${options.connections}, Node ${process.version}`,
    '',
    ...lines,
    '',
    '| median | req/s | p50 ms | gateway CPU ms/request | PostgreSQL CPU ms/request |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...(['A', 'B'] as const).map((name) => {
      const side = of(name);
      return `| ${name} | ${m(side, 'rps').toFixed(0)} | ${m(side, 'p50').toFixed(2)} | ${m(side, 'gatewayMsPerRequest').toFixed(3)} | ${m(side, 'postgresMsPerRequest').toFixed(3)} |`;
    }),
    '',
    `B used less gateway CPU per request in ${cheaper} of ${pairs.length} pairs, and answered more requests in ${faster} of ${pairs.length}.`,
  ].join('\n');
}
