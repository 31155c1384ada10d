#!/usr/bin/env node
/**
 * Run before `npm start`, `npm run cli` and `npm run migrate`: builds as `npm run build` does (the TypeScript of
 * tsconfig.build.json, then the example dashboard's bundle) only when dist/ is missing or older than a source file, so a fresh clone still starts with `npm install && npm start`, a
 * built tree starts at once, and a production install (`npm ci --omit=dev`, no TypeScript, possibly no src/) runs
 * the dist/ it was given.
 */
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const output = join(root, 'dist/src/main.js');
const dashboard = join(root, 'dist/examples/dashboard/app.js');
const inputs = ['src', 'migrations', 'examples/dashboard', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p)).filter((p) => existsSync(p));

/** Newest modification time among the TypeScript sources and compiler settings (0 when there are none). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return path.endsWith('.ts') || path.endsWith('.json') ? stat.mtimeMs : 0;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), 0);
}

const builtAt = (path) => (existsSync(path) ? statSync(path).mtimeMs : -1);
// The older of the server and the dashboard bundle (when the example's sources are there to bundle).
const built = existsSync(join(root, 'examples/dashboard')) ? Math.min(builtAt(output), builtAt(dashboard)) : builtAt(output);
const sources = inputs.reduce((max, path) => Math.max(max, newest(path)), 0);
if (built >= 0 && built >= sources) process.exit(0);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  if (built >= 0) {
    process.stderr.write('note: the sources are newer than dist/, but TypeScript is not installed (production install): running dist/ as it is\n');
    process.exit(0);
  }
  process.stderr.write('dist/ is missing and TypeScript is not installed: build with `npm ci && npm run build` first (docs/operating.md)\n');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The example dashboard (/examples/dashboard/), bundled by esbuild, a development dependency like TypeScript.
const bundle = join(root, 'scripts/build-dashboard.mjs');
if (existsSync(bundle) && existsSync(join(root, 'examples/dashboard'))) {
  const dashboardResult = spawnSync(process.execPath, [bundle], { stdio: 'inherit' });
  process.exit(dashboardResult.status ?? 1);
}
