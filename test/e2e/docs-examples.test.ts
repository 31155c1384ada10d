/**
 * The documentation's examples, run as a newcomer would copy them: every ```sh / ```bash / ```graphql block of
 * README.md and docs/*.md, page after page, top to bottom, against one gateway process on a fresh (empty) database.
 * The conventions (output lines, `<!-- not executed: … -->`, `<!-- variables: … -->`) are in docs/development.md,
 * "The documentation is tested". Every relative link of those pages must point to an existing file (and heading).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Kind, parse, print, type DefinitionNode, type OperationDefinitionNode } from 'graphql';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { spawnGateway, type GatewayProcess } from '../support/processes';

const ROOT = resolve(__dirname, '../..');
const ADMIN_PASSWORD = 'docs-examples-admin';
/** The order a reader follows; the other pages come after, alphabetically. */
const FIRST_PAGES = ['README.md', 'docs/graphql.md', 'docs/rest.md', 'docs/cli.md'];
const PAGES = [
  ...FIRST_PAGES,
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`)
    .filter((page) => !FIRST_PAGES.includes(page))
    .sort(),
];
const END = '@@docs-example-end@@';
/** Bounds a hang (a page's whole shell run, npm included); it measures nothing. */
const PAGE_TIMEOUT_MS = 180_000;

interface Block {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  kind: 'sh' | 'graphql';
  text: string;
  /** The reason given by `<!-- not executed: reason -->`. */
  notExecuted?: string;
  variables?: Record<string, unknown>;
}

function blocksOf(page: string): Block[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const fence = /^```(\S*)/.exec(lines[i]!);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${page}:${i + 1}: unclosed code block`);
    const language = fence[1]!;
    const kind = language === 'sh' || language === 'bash' ? 'sh' : language === 'graphql' ? 'graphql' : undefined;
    const before = lines[i - 1] ?? '';
    if (kind) {
      const skipped = /^<!-- not executed: (.+?) -->$/.exec(before);
      const variables = /^<!-- variables: (.+) -->$/.exec(before);
      if (/^<!-- not executed/.test(before) && !skipped) throw new Error(`${page}:${i}: "not executed" needs a reason`);
      blocks.push({
        page,
        line: i + 1,
        kind,
        text: lines.slice(i + 1, end).join('\n'),
        notExecuted: skipped?.[1],
        variables: variables ? (JSON.parse(variables[1]!.replaceAll('$ADMIN_PASSWORD', ADMIN_PASSWORD)) as Record<string, unknown>) : undefined,
      });
    }
    i = end;
  }
  return blocks;
}

/** A block's output lines: comment lines right under a command (or under another output line), without `# `. */
export function expectedOutput(text: string): string[] {
  const out: string[] = [];
  let previous: 'blank' | 'comment' | 'command' | 'output' = 'blank';
  for (const line of text.split('\n')) {
    if (line.trim() === '') previous = 'blank';
    else if (line.startsWith('#')) {
      if (previous === 'command' || previous === 'output') {
        out.push(line.replace(/^# ?/, ''));
        previous = 'output';
      } else previous = 'comment';
    } else previous = 'command';
  }
  return out;
}

/** `…` in an output line stands for any text. */
function matches(actual: string, expected: string): boolean {
  const pattern = expected
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(actual);
}

function run(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env, timeout: PAGE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

let db: TestDatabase;
let gateway: GatewayProcess;
let adminToken: string;
let shellEnv: Record<string, string>;
let filesBefore: Set<string>;

beforeAll(async () => {
  filesBefore = new Set(readdirSync(ROOT));
  // Empty, not cloned from the migrated template: the examples start where a newcomer starts.
  db = await createTestDatabase({ template: false });
  gateway = await spawnGateway({ DATABASE_URL: db.url, ADMIN_PASSWORD }, 120_000);
  const signIn = (await (
    await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { createToken(login: "datasentinel", password: "${ADMIN_PASSWORD}") { token } }` }),
    })
  ).json()) as { data: { createToken: { token: string } } };
  adminToken = signIn.data.createToken.token;
  shellEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GATEWAY: gateway.url,
    ADMIN_PASSWORD,
    DATABASE_URL: db.url,
  };
}, 150_000);

afterAll(async () => {
  await gateway?.stop();
  await db?.drop();
  // Files the examples wrote into the repository (backup.json, fleet.csv …): the examples' own, created by this run.
  for (const name of readdirSync(ROOT)) {
    if (!filesBefore.has(name) && statSync(join(ROOT, name)).isFile()) rmSync(join(ROOT, name));
  }
});

async function runGraphQL(block: Block): Promise<void> {
  const document = parse(block.text);
  const fragments: DefinitionNode[] = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  expect(operations.length).toBeGreaterThan(0);
  for (const operation of operations) {
    const query = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] });
    const variables = Object.fromEntries(
      (operation.variableDefinitions ?? [])
        .map((v) => v.variable.name.value)
        .flatMap((name) => (block.variables && name in block.variables ? [[name, block.variables[name]]] : [])),
    );
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
    const where = `${block.page}:${block.line} ${operation.name?.value ?? operation.operation}`;
    if (response.status !== 200 || body.errors !== undefined) throw new Error(`${where}: HTTP ${response.status} ${JSON.stringify(body.errors)}`);
    expect(body.data).toBeTruthy();
  }
}

/** Runs consecutive shell blocks in one bash, carrying the variables the page assigns from one segment to the next. */
async function runShell(blocks: Block[], stateFile: string, assigned: string[]): Promise<void> {
  const script = [
    'set -eo pipefail',
    // curl prints an answer without a final newline; the examples show each answer on its own line.
    'curl() { local answer; answer=$(command curl "$@") || return; printf "%s\\n" "$answer"; }',
    `if [ -f '${stateFile}' ]; then source '${stateFile}'; fi`,
    ...blocks.flatMap((block) => [block.text, `printf '%s\\n' '${END}'`]),
    assigned.length ? `declare -p ${assigned.join(' ')} > '${stateFile}' 2>/dev/null || true` : '',
  ].join('\n');
  const result = await run(script, shellEnv);
  const outputs = result.stdout.split(`${END}\n`);
  for (const [index, block] of blocks.entries()) {
    const where = `${block.page}:${block.line}`;
    if (index >= outputs.length - 1) {
      // The script stopped in this block (set -e): show everything it printed.
      throw new Error(`${where}: the example failed (exit ${result.code})\n--- stdout\n${outputs.at(-1)}\n--- stderr\n${result.stderr}`);
    }
    const actual = outputs[index]!.replace(/\n$/, '')
      .split('\n')
      .filter((line, _i, all) => !(all.length === 1 && line === ''));
    const expected = expectedOutput(block.text);
    const same = actual.length === expected.length && actual.every((line, i) => matches(line, expected[i]!));
    if (!same)
      throw new Error(
        `${where}: the output differs from the documented one\n--- documented\n${expected.join('\n')}\n--- printed\n${actual.join('\n')}\n--- stderr\n${result.stderr}`,
      );
  }
  expect(result.code).toBe(0);
}

describe.each(PAGES)('%s', (page) => {
  const blocks = blocksOf(page);

  test(
    'its examples run as written, top to bottom',
    async () => {
      const stateFile = join(tmpdir(), `docs-examples-${process.pid}.sh`);
      const assigned = [...new Set(blocks.flatMap((b) => (b.kind === 'sh' ? [...b.text.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!) : [])))];
      let segment: Block[] = [];
      try {
        for (const block of blocks) {
          if (block.notExecuted) continue;
          if (block.kind === 'sh') {
            segment.push(block);
            continue;
          }
          if (segment.length) await runShell(segment, stateFile, assigned);
          segment = [];
          await runGraphQL(block);
        }
        if (segment.length) await runShell(segment, stateFile, assigned);
      } finally {
        rmSync(stateFile, { force: true });
      }
    },
    PAGE_TIMEOUT_MS + 10_000,
  );

  test('its relative links point to existing files and headings', () => {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue;
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
      if (!existsSync(file)) broken.push(`${target} (no file ${relative(ROOT, file)})`);
      else if (anchor && file.endsWith('.md') && !headingSlugs(file).has(anchor)) broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });
});

test('README.md and docs/rest.md have examples, all of them executed but the ones marked', () => {
  const executed = (page: string) => blocksOf(page).filter((b) => !b.notExecuted).length;
  expect(executed('README.md')).toBeGreaterThanOrEqual(4);
  expect(executed('docs/rest.md')).toBeGreaterThanOrEqual(1);
  expect(
    blocksOf('README.md')
      .filter((b) => b.notExecuted)
      .map((b) => b.line),
  ).toHaveLength(1);
  expect(blocksOf('docs/rest.md').filter((b) => b.notExecuted)).toEqual([]);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function headingSlugs(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const slugs = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6} (.+)$/gm)) {
    slugs.add(
      heading!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return slugs;
}
