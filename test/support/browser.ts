/**
 * The browser for browser tests (playwright-core drives a Chromium that is already installed; nothing is
 * downloaded). Looked up in this order: CHROMIUM_PATH, then the usual Chromium and Chrome locations of Linux, macOS
 * and Windows. Without one, `describeWithBrowser` reports its tests as skipped with a one-line reason, so `npm test`
 * passes on a machine with nothing but Node; under CI=true a missing browser fails instead (.ci/run installs
 * Debian's chromium).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeWithTools, type ToolLookup } from './tools';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/opt/google/chrome/chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ...['PROGRAMFILES', 'PROGRAMFILES(X86)', 'LOCALAPPDATA'].flatMap((variable) => {
    const base = process.env[variable];
    return base ? [join(base, 'Google/Chrome/Application/chrome.exe'), join(base, 'Chromium/Application/chrome.exe')] : [];
  }),
];

export function findBrowser(env: NodeJS.ProcessEnv = process.env): ToolLookup {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) {
    return existsSync(configured) ? { path: configured } : { reason: `CHROMIUM_PATH=${configured} does not exist` };
  }
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  return found ? { path: found } : { reason: 'no Chromium or Chrome found (set CHROMIUM_PATH, or apt-get install chromium)' };
}

/**
 * `describe` for tests that need a browser: `body` receives its path. Without a browser: one skipped test whose
 * name is the reason (and that line on stderr), or, under CI=true, one failing test saying what is missing.
 */
export function describeWithBrowser(name: string, body: (browserPath: string) => void): void {
  const browser = findBrowser();
  describeWithTools(name, [browser], () => body(browser.path!));
}
