/**
 * The gateway process refuses a bad configuration at start, before touching any database: exit code 2 and every
 * problem on stderr at once, each naming its variable (never the value of a key).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MAIN } from '../support/processes';

function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\``);
  return new Promise((resolve) => {
    // DATABASE_URL points nowhere: a process that got past the configuration would fail differently (or hang).
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.once('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

test('a malformed ENCRYPTION_KEY stops the gateway at start, with how to generate one and rotate to it', async () => {
  const result = await run({ ENCRYPTION_KEY: 'my-old-passphrase' });
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(
    /^Configuration error: ENCRYPTION_KEY must be 32 random bytes written as 64 hex or 44 base64 characters \(got 17 characters\)\. Generate one with `openssl rand -base64 32`\. To move to it .*rotate-encryption-key/,
  );
  expect(result.stderr).not.toContain('my-old-passphrase');
});

test('every problem is reported together, one a line, each naming its variable', async () => {
  const result = await run({
    ENCRYPTION_KEY: 'short',
    ENCRYPTION_KEY_PREVIOUS: 'x',
    JWT_SECRET: 'short',
    GRAPHQL_MAX_COST: 'lots',
    METRICS_ENABLED: 'perhaps',
  });
  expect(result.code).toBe(2);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines[0]).toBe('Configuration errors (5):');
  expect(lines.slice(1).map((l) => /^- ([A-Z_]+)/.exec(l)?.[1])).toEqual([
    'JWT_SECRET',
    'ENCRYPTION_KEY',
    'ENCRYPTION_KEY_PREVIOUS',
    'GRAPHQL_MAX_COST',
    'METRICS_ENABLED',
  ]);
});
