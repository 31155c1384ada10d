/**
 * Tests that drive a real outside program (Chromium, slapd, ansible-playbook, PgBouncer, promtool ...) find it here.
 * `npm test` must pass on a machine with nothing but Node.js: without the program, `describeWithTools` reports the
 * tests as skipped with a one-line reason (also written to stderr); under CI=true a missing program is a failure
 * instead, since .ci/run installs every one of them (Debian packages).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type ToolLookup = { path: string } | { path?: undefined; reason: string };

export const isCI = () => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** The first of `candidates` that exists, else the first `name` found on PATH; the reason names `install`. */
export function findTool(name: string, install: string, candidates: readonly string[] = []): ToolLookup {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name));
  const found = [...candidates, ...onPath].find((path) => existsSync(path));
  return found ? { path: found } : { reason: `${name} not found (${install})` };
}

/**
 * `describe` for tests that need every tool of `lookups`: `body` runs when all are found. Otherwise one skipped test
 * named with the reasons, or, under CI=true, one failing test saying what is missing.
 */
export function describeWithTools(name: string, lookups: readonly ToolLookup[], body: () => void): void {
  const missing = lookups.flatMap((lookup) => (lookup.path === undefined ? [lookup.reason] : []));
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = missing.join('; ');
  if (isCI()) {
    describe(name, () => {
      test('needs its tools (CI=true: a missing tool is a failure)', () => {
        throw new Error(`${reason}; .ci/run installs them`);
      });
    });
    return;
  }
  process.stderr.write(`skipped: ${name}: ${reason}\n`);
  describe(name, () => {
    test.skip(`skipped: ${reason}`, () => undefined);
  });
}
