/**
 * The live dashboard example (/examples/dashboard) in headless Chromium, offline (only the gateway is reachable):
 * a restricted user signs in and sees their instances through urql's normalized cache; a tag filter narrows them;
 * then an administrator creates a matching connection and retags another out of the user's view, and the page shows
 * the first and drops the second without reloading, through the `connectionEvents` subscription. No name the user
 * cannot see is ever rendered (every row the page ever showed is recorded).
 *
 * Saves test-results/dashboard.png; with UPDATE_SCREENSHOTS=1 also docs/dashboard.png (shown in docs/dashboards.md).
 * Needs `npm run build` (the example is bundled into dist/examples/dashboard).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describeWithBrowser } from '../support/browser';
import { startTestGateway, type TestGateway } from '../support/gateway';

const SCREENSHOT = join(__dirname, '../../test-results/dashboard.png');
const DOCS_SCREENSHOT = join(__dirname, '../../docs/dashboard.png');
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

describeWithBrowser('the live dashboard example in a browser', (browserPath) => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let admin: string;
  const blocked: string[] = [];
  const pageErrors: string[] = [];

  const create = (name: string, tags: Record<string, string>) =>
    gw.gqlOk(
      `mutation($n: String!, $t: [TagInput!]) { createConnection(name: $n, input: { host: "db.internal", port: 5432, user: "m", password: "p", tags: $t }) { name } }`,
      { n: name, t: Object.entries(tags).map(([key, value]) => ({ key, value })) },
      admin,
    );
  const rows = async () => (await page.evaluate(`[...document.querySelectorAll('#instances tr')].map((tr) => tr.dataset.name).sort()`)) as string[];

  beforeAll(async () => {
    gw = await startTestGateway();
    admin = await gw.token();
    await gw.gqlOk(`mutation { createRole(name: "prod-only", access: [{ filters: [{ tag: "env", value: "prod" }] }]) { name } }`, {}, admin);
    await gw.gqlOk(
      `mutation { createUser(email: "rita@corp.test", input: { password: "rita-password-1", privilege: READ, roles: ["prod-only"] }) { login } }`,
      {},
      admin,
    );
    await create('billing-prod', { env: 'prod', dc: 'lyon' });
    await create('orders-prod', { env: 'prod', dc: 'paris' });
    await create('payroll-dev', { env: 'dev', dc: 'lyon' });
    browser = await chromium.launch({
      executablePath: browserPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 520 }, locale: 'en-US' });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (LOCAL_HOSTS.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
  });

  it('signs in, filters by tag, and follows changes live without showing a hidden instance', async () => {
    const response = await page.goto(`${gw.url}/examples/dashboard/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.fill('input[name=login]', 'rita');
    await page.fill('input[name=password]', 'rita-password-1');
    await page.click('#sign-in button');
    await page.waitForSelector('#status[data-state=live]');
    await page.waitForSelector('#instances tr[data-name="orders-prod"]');
    // Every row the page ever renders, and a marker that a reload would erase.
    // (Browser code as text: the tests' TypeScript has no DOM library.)
    await page.evaluate(`(() => {
      const seen = new Set();
      const record = () => document.querySelectorAll('#instances tr').forEach((tr) => seen.add(tr.dataset.name));
      record();
      new MutationObserver(record).observe(document.querySelector('#instances'), { childList: true, subtree: true });
      Object.assign(window, { seenRows: seen, notReloaded: true });
    })()`);
    expect(await rows()).toEqual(['billing-prod', 'orders-prod']);

    await page.fill('input[name=tag]', 'dc=lyon');
    await page.click('#filter button');
    await page.waitForSelector('#instances tr[data-name="orders-prod"]', { state: 'detached' });
    expect(await rows()).toEqual(['billing-prod']);
    await page.fill('input[name=tag]', '');
    await page.click('#filter button');
    await page.waitForSelector('#instances tr[data-name="orders-prod"]');

    // The administrator: a hidden instance, a matching one, and one retagged out of the user's view.
    await create('analytics-dev', { env: 'dev' });
    await create('search-prod', { env: 'prod', dc: 'lyon' });
    await page.waitForSelector('#instances tr[data-name="search-prod"]');
    await gw.gqlOk(`mutation { updateConnection(name: "orders-prod", input: { tags: [{ key: "env", value: "dev" }] }) { name } }`, {}, admin);
    await page.waitForSelector('#instances tr[data-name="orders-prod"]', { state: 'detached' });
    expect(await rows()).toEqual(['billing-prod', 'search-prod']);

    const seen = (await page.evaluate('[...window.seenRows].sort()')) as string[];
    expect(seen).toEqual(['billing-prod', 'orders-prod', 'search-prod']);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(blocked).toEqual([]);
    expect(pageErrors).toEqual([]);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: DOCS_SCREENSHOT });
  }, 90_000);
});
