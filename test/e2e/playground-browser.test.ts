/**
 * The GraphQL IDE at /graphql in a real browser (Debian's Chromium driven by playwright-core) with the network closed
 * to everything but the gateway: the page, its scripts, styles and editor workers all come from the gateway, a token
 * pasted in the session bar reaches the Headers editor, and `{ me { login } }` runs as that user.
 *
 * Saves a screenshot to test-results/playground.png on every run; with UPDATE_SCREENSHOTS=1 also to
 * docs/playground.png, the one shown in the README (so a test run does not dirty the working tree).
 * The browser comes from test/support/browser.ts (CHROMIUM_PATH or the usual places; skipped without one, except
 * under CI=true).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describeWithBrowser } from '../support/browser';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../support/gateway';

const SCREENSHOT = join(__dirname, '../../test-results/playground.png');
const README_SCREENSHOT = join(__dirname, '../../docs/playground.png');
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

describeWithBrowser('the GraphQL IDE in a browser', (browserPath) => {
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Requests the browser tried to send anywhere but the gateway: the page must need none. */
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  const workers: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await chromium.launch({
      executablePath: browserPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'en-US' });
    // Every request of the pages and their workers: only the gateway is reachable.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if ((url.protocol === 'http:' || url.protocol === 'https:') && LOCAL_HOSTS.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('worker', (worker) => workers.push(new URL(worker.url()).pathname));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  /** Runs the operation in the editor; the text of the result pane (Monaco renders spaces as no-break spaces). */
  async function run(): Promise<string> {
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.graphiql-response', { hasText: /"(data|errors)"/ }).waitFor({ timeout: 15_000 });
    return (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');
  }

  const ideUrl = (query: string) => `${gw.url}/graphql?query=${encodeURIComponent(query)}`;

  test('a pasted token runs { me { login } } as its user, with nothing loaded from outside the gateway', async () => {
    const token = await gw.token();
    await page.goto(ideUrl('{ me { login } }'));
    await page.locator('.graphiql-execute-button').waitFor({ timeout: 20_000 });
    await expect(page.locator('#ds-session-status').textContent()).resolves.toMatch(/Not signed in/);

    await page.locator('#ds-token').fill(token);
    await page.locator('#ds-use-token').click();
    await page.locator('#ds-session-status', { hasText: 'Signed in as datasentinel' }).waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').waitFor();
    // The token is in the Headers editor, as the header GraphiQL sends.
    await page.getByText('Headers', { exact: true }).click();
    await page.locator('.graphiql-editor-tool', { hasText: 'Authorization' }).waitFor();

    const result = await run();
    expect(result).toContain('"login": "datasentinel"');

    // The editor's language services run in workers served by the gateway.
    expect(workers.some((w) => w.startsWith('/graphql/assets/monacoeditorwork/'))).toBe(true);
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);

    // The screenshot in the README (the Variables tab hides the token).
    await page.getByText('Variables', { exact: true }).click();
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: README_SCREENSHOT });
  }, 60_000);

  test('signing out forgets the token; signing in with a login and password gets a new one', async () => {
    await page.locator('#ds-sign-out').click();
    await page.locator('#ds-session-status', { hasText: 'Not signed in' }).waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').waitFor();
    // Browser-side expressions are strings: the test is type-checked against Node's globals, not the DOM's.
    expect(await page.evaluate(`sessionStorage.getItem('ds-gateway:token')`)).toBeNull();
    // No header persisted anywhere in the browser: the token lived in this tab's sessionStorage only.
    expect(await page.evaluate(`JSON.stringify(localStorage)`)).not.toMatch(/Bearer/);
    expect(await run()).toContain('UNAUTHENTICATED');

    await page.locator('#ds-login').fill('datasentinel');
    await page.locator('#ds-password').fill('not the password');
    await page.locator('#ds-sign-in').click();
    await page.locator('#ds-session-status.ds-error').waitFor();
    expect(await page.locator('#ds-session-status').textContent()).toBe('Invalid login or password');

    await page.locator('#ds-password').fill(ADMIN_PASSWORD);
    await page.locator('#ds-sign-in').click();
    await page.locator('#ds-session-status', { hasText: 'Signed in as datasentinel' }).waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').waitFor();
    expect(await run()).toContain('"login": "datasentinel"');
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  test('/ds-api/docs: the REST API reference renders offline, under its CSP, with the token, pool, roles and users operations', async () => {
    const consoleErrors: string[] = [];
    const reference = await context.newPage();
    reference.on('pageerror', (error) => pageErrors.push(error.message));
    // CSP violations are reported on the console.
    reference.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    const response = await reference.goto(`${gw.url}/ds-api/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);

    // No token needed: the page and the document it loads are public.
    for (const tag of ['token', 'pool', 'roles', 'users']) {
      await reference.locator(`.opblock-tag[data-tag="${tag}"]`).waitFor({ timeout: 30_000 });
    }
    const operations = (await reference.locator('.opblock-summary').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    for (const expected of [
      /^POST \/user-token\b/,
      /^GET \/user-token\b/,
      /^POST \/pool\/pg-instances\/\{name\}/,
      /^PATCH \/pool\/pg-instances\/\{name\}\/disable/,
      /^GET \/roles\/\{role\}\/users/,
      /^PUT \/roles\/\{role\}/,
      /^DELETE \/users\/\{email\}/,
      /^GET \/users\b/,
    ]) {
      expect(operations.some((text) => expected.test(text.replace(/\u200b/g, '')))).toBe(true);
    }
    expect(await reference.locator('.info .title').innerText()).toContain('REST compatibility API');

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await reference.screenshot({ path: join(SCREENSHOT, '../api-reference.png') });
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await reference.close();
  }, 60_000);
});
