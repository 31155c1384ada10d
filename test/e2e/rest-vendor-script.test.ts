/**
 * Runs test/e2e/vendor-script.sh (a bash script in the vendor toolkit's style: curl, the user-token header, python
 * parsing that fails on an "error" key or a write answer with more than one key) against a real gateway, once with a
 * probe that connects (the test PostgreSQL) and once with one that cannot (127.0.0.1:1).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { testServer } from '../support/database';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';

const SCRIPT = join(__dirname, 'vendor-script.sh');

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

/**
 * The script starts a python for each of its 21 steps (as the vendor's does, to pretty-print JSON): on a loaded
 * 2-core machine that alone took most of a minute, so the bound is generous (it stops a hang, it measures nothing).
 */
const SCRIPT_TIMEOUT_MS = 150_000;

/** Asynchronous on purpose: the gateway answering the script runs in this very process. */
function runScript(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: SCRIPT_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

test(
  'a full create / display / update / delete cycle of connections, roles and users, probe connecting',
  async () => {
    const pg = testServer();
    const result = await runScript({
      DS_URL: gw.url,
      DS_PASSWORD: ADMIN_PASSWORD,
      PG_HOST: pg.host,
      PG_PORT: String(pg.port),
      PG_USER: pg.user,
      PG_PASSWORD: pg.password,
    });
    if (result.code !== 0) console.error(result.stdout, result.stderr);
    expect({ code: result.code, last: lastLine(result.stdout) }).toEqual({ code: 0, last: 'vendor script: OK (21 steps)' });
    expect(result.stdout).toContain('"status": "Connection created and connected!"');
  },
  SCRIPT_TIMEOUT_MS + 10_000,
);

test(
  'the same cycle with an unreachable instance ("Connection created!")',
  async () => {
    const result = await runScript({ DS_URL: gw.url, DS_PASSWORD: ADMIN_PASSWORD });
    if (result.code !== 0) console.error(result.stdout, result.stderr);
    expect({ code: result.code, last: lastLine(result.stdout) }).toEqual({ code: 0, last: 'vendor script: OK (21 steps)' });
    expect(result.stdout).toContain('"status": "Connection created!"');
  },
  SCRIPT_TIMEOUT_MS + 10_000,
);

test('the script fails, naming the step, when the password is wrong', async () => {
  const result = await runScript({ DS_URL: gw.url, DS_PASSWORD: 'not-the-password' });
  expect(result.code).toBe(1);
  expect(lastLine(result.stdout)).toBe('vendor script: FAILED at step 2 (getting the access token)');
});
