// The web console end to end, in a real browser (Debian's chromium through playwright-core)
// against a real service: a user writes a function with a syntax error and sees it at its line,
// fixes, saves and runs it, sees logs, result and a receipt that verifies, sets a secret and sees
// it redacted, browses history and versions; another user sees none of it; the operator's
// screens; axe-core finds no serious violation at desktop and phone width; and the bad inputs:
// a wrong key, a key revoked mid-session, a 412 on a concurrent save, a 429, the service going
// away and coming back. Every page also fails the test on a script error or a CSP violation.
//
// TEEJS_CONSOLE_SCREENSHOTS=DIR saves screenshots of the main screens there (docs/console/).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { loadConfig } from '../../src/service/config.ts';
import { startService, type RunningService } from '../../src/service/server.ts';
import { Api, startTestService, type TestService } from '../service/helpers.ts';
import { browserMissing, desktop, launchBrowser, openPage, phone, seriousViolations, type WatchedPage } from './browser.ts';

const shotsDir = process.env.TEEJS_CONSOLE_SCREENSHOTS;

async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  if (!shotsDir) return;
  mkdirSync(shotsDir, { recursive: true });
  await page.mouse.move(0, 0); // no hover effect in the picture
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: options.fullPage ?? false });
}

async function signIn(page: Page, url: string, key: string): Promise<void> {
  if (!page.url().startsWith(`${url}/console`)) await page.goto(`${url}/console`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Replaces the editor's text by pasting it over everything, as a user would. */
async function setSource(page: Page, text: string): Promise<void> {
  await page.evaluate((value) => (globalThis as unknown as { navigator: { clipboard: { writeText(text: string): Promise<void> } } }).navigator.clipboard.writeText(value), text);
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Control+v');
}

/** The 1-based line of the editor a marked range is on. */
async function lineOf(range: Locator): Promise<number> {
  return range.evaluate((element) => {
    const line = element.closest('.cm-line')!;
    return [...line.parentElement!.querySelectorAll(':scope > .cm-line')].indexOf(line) + 1;
  });
}

async function editorText(page: Page): Promise<string> {
  return page.locator('.cm-content').evaluate((element) => [...element.querySelectorAll(':scope > .cm-line')].map((line) => line.textContent).join('\n'));
}

function assertClean(watched: WatchedPage): void {
  assert.deepEqual(watched.problems, [], 'no script error and nothing blocked by the Content-Security-Policy');
}

const greetBroken = `export default async function (params) {
  console.log('greeting', params.name);
  return { hello: params.name ;
}
`;
const greetFixed = `export default async function (params) {
  console.log('greeting', params.name);
  return { hello: params.name };
}
`;
const secretValue = 'tok-8c1d5e9f3a-console';

describe('web console', { skip: browserMissing() }, () => {
  let service: TestService;
  let browser: Browser;
  let alice: { id: string; key: string; keyId: string };
  let bob: { id: string; key: string; keyId: string };
  // What the first test made, for the ones after it.
  let functionId = '';
  let executionId = '';

  before(async () => {
    service = await startTestService();
    alice = await service.api.newUser(service.adminKey, 'alice');
    bob = await service.api.newUser(service.adminKey, 'bob');
    browser = await launchBrowser();
    // The first request bundles the console (a checkout has no build): not inside a test's timeouts.
    assert.equal((await fetch(`${service.url}/console/app.js`)).status, 200);
  });

  after(async () => {
    await browser?.close();
    await service?.close();
  });

  test('a user writes a function, sees the syntax error at its line, fixes it, runs it and inspects the run', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    const response = await page.goto(`${service.url}/console`);
    const headers = response!.headers();
    assert.match(headers['content-security-policy']!, /default-src 'none'; script-src 'self'/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['x-frame-options'], 'DENY');
    await screenshot(page, 'sign-in');
    await signIn(page, service.url, alice.key);

    await page.getByLabel('Name', { exact: true }).fill('greet');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.cm-content').waitFor();
    functionId = /#\/functions\/([^/]+)/.exec(page.url())![1]!;

    // A syntax error on line 3 is marked there as it is typed, by the service's check.
    await setSource(page, greetBroken);
    const marked = page.locator('.cm-lintRange-error');
    await marked.waitFor();
    assert.equal(await lineOf(marked), 3);
    // Saving is refused with the same error, and nothing is saved.
    await page.keyboard.press('Control+s');
    await page.getByRole('alert').filter({ hasText: 'SYNTAX_ERROR' }).waitFor();
    assert.equal((await service.api.get(`/v1/functions/${functionId}`, alice.key)).body.version, 1);
    await screenshot(page, 'editor-syntax-error');

    await setSource(page, greetFixed);
    await marked.waitFor({ state: 'detached' });
    await page.keyboard.press('Control+s');
    await page.getByText('Saved as version 2.').waitFor();

    await page.getByLabel('Params (JSON)').fill('{ "name": "ada" ');
    await page.getByText('Params must be JSON').waitFor();
    await page.getByLabel('Params (JSON)').fill('{ "name": "ada" }');
    await page.keyboard.press('Control+Enter');
    const result = page.locator('.run-result');
    await result.waitFor();
    await result.getByLabel('Result').filter({ hasText: '"hello": "ada"' }).waitFor();
    await result.getByLabel('Console output').filter({ hasText: 'greeting ada' }).waitFor();
    await result.getByText('verifies', { exact: true }).waitFor();
    executionId = /#\/executions\/(.+)$/.exec((await result.getByRole('link', { name: 'Open this execution' }).getAttribute('href'))!)![1]!;
    await screenshot(page, 'editor-run', { fullPage: true });

    // A secret: set on the Secrets page, allowed in the settings, read by the function.
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByLabel('Name').fill('api-token');
    await page.getByLabel('Value').fill(secretValue);
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await page.getByText('Secret api-token set (version 1)').waitFor();
    assert.equal(await page.getByLabel('Value').inputValue(), '', 'the value is not kept in the form');
    await page.goto(`${service.url}/console#/functions/${functionId}/settings`);
    await page.getByLabel('Secrets it may read').fill('api-token');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved as version 3.').waitFor();
    await page.getByRole('link', { name: 'Code & run' }).click();
    await setSource(page, `export default async function (params) {\n  const token = secrets.get('api-token');\n  console.log('asked with', token);\n  if (params.fail) throw new Error('asked to fail');\n  return { token };\n}\n`);
    await page.getByRole('button', { name: 'Save and run' }).click();
    await page.locator('.run-result').getByLabel('Console output').filter({ hasText: 'asked with [REDACTED]' }).waitFor();
    await page.locator('.run-result').getByText('api-token').first().waitFor();
    assert.ok(!(await page.content()).includes(secretValue), 'the secret value is nowhere on the page');
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.getByRole('cell', { name: 'read' }).first().waitFor();
    await screenshot(page, 'secrets');

    // History: charts, filters, paging, each run openable. Five more runs: one of each version,
    // and one that fails.
    for (const version of [1, 2, 3, 4]) {
      const run = await service.api.post(`/v1/functions/${functionId}/executions`, alice.key, { params: { name: `run ${version}` }, version });
      assert.equal(run.status, 200);
    }
    const failing = await service.api.post(`/v1/functions/${functionId}/executions`, alice.key, { params: { fail: true } });
    assert.equal(failing.body.status, 'error');
    await page.goto(`${service.url}/console#/functions/${functionId}/history`);
    await page.getByText(/Executions over time: 7 runs, 1 errors/).waitFor();
    await page.getByText('Duration percentiles').waitFor();
    assert.equal(await page.locator('table.list tbody tr').count(), 7);
    await screenshot(page, 'history');
    await page.getByLabel('Status').selectOption('error');
    await page.locator('table.list tbody tr').nth(1).waitFor({ state: 'detached' });
    await page.getByRole('cell', { name: /error/ }).first().waitFor();
    await page.getByLabel('From', { exact: true }).fill('2000-01-01T00:00');
    await page.getByLabel('To', { exact: true }).fill('2000-01-02T00:00');
    await page.getByText('No executions match.').waitFor();
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('Status').selectOption('');
    await page.locator('table.list tbody tr').nth(6).waitFor();
    await page.locator('table.list tbody tr a').last().click();
    await page.getByRole('heading', { name: 'Execution' }).waitFor();
    await page.getByLabel('Result').filter({ hasText: '"hello": "ada"' }).waitFor();
    assert.ok(page.url().endsWith(`#/executions/${executionId}`));

    // Versions: a diff between two, and making an older one active.
    await page.goto(`${service.url}/console#/functions/${functionId}/versions`);
    await page.getByLabel('From', { exact: true }).selectOption('1');
    await page.getByLabel('To', { exact: true }).selectOption('2');
    await page.locator('.cm-deletedChunk, .cm-changedLine').first().waitFor();
    await screenshot(page, 'versions');
    await page.getByRole('button', { name: 'Make v2 active' }).click();
    await page.getByText('Version 2 is active').waitFor();
    assert.equal((await service.api.get(`/v1/functions/${functionId}`, alice.key)).body.version, 2);

    // Triggers: a schedule with its next run.
    await page.goto(`${service.url}/console#/functions/${functionId}/triggers`);
    await page.getByLabel('Cron expression').fill('0 9 * * 1-5');
    await page.getByRole('button', { name: 'Add schedule' }).click();
    await page.getByRole('cell', { name: /0 9 \* \* 1-5/ }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('paused').waitFor();

    // Signing out forgets the key and every draft of this tab.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
    assertClean(watched);
    await watched.context.close();
  });

  test("another user signed in sees none of the first user's data", async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    await signIn(page, service.url, bob.key);
    await page.getByText('No functions yet').waitFor();
    await page.goto(`${service.url}/console#/functions/${functionId}`);
    await page.getByRole('alert').filter({ hasText: 'NOT_FOUND' }).waitFor();
    await page.goto(`${service.url}/console#/executions/${executionId}`);
    await page.getByRole('alert').filter({ hasText: 'NOT_FOUND' }).waitFor();
    await page.goto(`${service.url}/console#/secrets`);
    await page.getByText('No secrets yet.').waitFor();
    assert.ok(!(await page.content()).includes('greet'));
    assertClean(watched);
    await watched.context.close();
  });

  test("the operator's screens: nodes, metrics, users with usage and quotas, keys made and revoked", async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    await signIn(page, service.url, service.adminKey);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('(this one)').waitFor();
    await page.getByText('succeeded').waitFor();
    await screenshot(page, 'operator-overview');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'alice' }).click();
    await page.getByText('1 / 100').first().waitFor();
    await page.getByLabel('Label').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = await page.locator('.secret-once').textContent();
    assert.match(shown!, /^tjs_/);
    assert.equal((await service.api.get('/v1/me', shown!)).status, 200);
    await page.getByRole('button', { name: /Revoke key ci/ }).click();
    await page.getByText(/^revoked/).waitFor();
    assert.equal((await service.api.get('/v1/me', shown!)).status, 401);
    await screenshot(page, 'operator-user');
    assertClean(watched);
    await watched.context.close();
  });

  test('axe-core finds no serious or critical violation on the main screens, at desktop and phone width', async () => {
    const found: string[] = [];
    const check = async (page: Page, where: string) => {
      for (const violation of await seriousViolations(page)) found.push(`${where}: ${violation.id} (${violation.impact}) ${violation.help} at ${JSON.stringify(violation.nodes.map((n) => n.target))}`);
    };
    for (const [width, viewport] of [['desktop', desktop], ['phone', phone]] as const) {
      const watched = await openPage(browser, viewport);
      const { page } = watched;
      await page.goto(`${service.url}/console`);
      await page.getByLabel('API key').waitFor();
      await check(page, `${width} sign-in`);
      await signIn(page, service.url, alice.key);
      await page.getByRole('link', { name: 'greet' }).waitFor();
      await check(page, `${width} functions`);
      await page.getByRole('link', { name: 'greet' }).click();
      await page.locator('.cm-content').waitFor();
      await check(page, `${width} editor`);
      if (width === 'phone') await screenshot(page, 'phone-editor');
      await page.goto(`${service.url}/console#/functions/${functionId}/history`);
      await page.locator('table.list').waitFor();
      await check(page, `${width} history`);
      await page.goto(`${service.url}/console#/executions/${executionId}`);
      await page.getByLabel('Result').waitFor();
      await check(page, `${width} execution`);
      await page.goto(`${service.url}/console#/secrets`);
      await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
      await check(page, `${width} secrets`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(page, service.url, service.adminKey);
      await page.getByText('(this one)').waitFor();
      await check(page, `${width} operator overview`);
      await page.goto(`${service.url}/console#/users/${alice.id}`);
      await page.getByText('Usage and quotas').waitFor();
      await page.getByText('1 / 100').first().waitFor();
      await check(page, `${width} operator user`);
      assertClean(watched);
      await watched.context.close();
    }
    assert.deepEqual(found, []);
  });

  test('a wrong key gets one clear message and no retry', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    let asked = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/me')) asked += 1;
    });
    await page.goto(`${service.url}/console`);
    await page.getByLabel('API key').fill('tjs_thisIsNotAKeyOfThisService000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'That key is not valid' }).waitFor();
    await page.waitForTimeout(1500);
    assert.equal(asked, 1, 'one request, no retries');
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage)), []);
    assertClean(watched);
    await watched.context.close();
  });

  test('a key revoked mid-session goes back to sign-in and keeps the unsaved editor text', async () => {
    const second = (await service.api.post('/v1/keys', alice.key, { name: 'laptop' })).body as { id: string; key: string };
    const watched = await openPage(browser);
    const { page } = watched;
    await signIn(page, service.url, second.key);
    await page.goto(`${service.url}/console#/functions/${functionId}`);
    await page.locator('.cm-content').waitFor();
    const unsaved = `${greetFixed}// unsaved work ${Date.now()}\n`;
    await setSource(page, unsaved);
    assert.equal((await service.api.delete(`/v1/keys/${second.id}`, alice.key)).status, 204);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Your key was refused' }).waitFor();
    await signIn(page, service.url, alice.key);
    await page.getByText('Restored unsaved text from this tab.').waitFor();
    assert.equal(await editorText(page), unsaved.replace(/\n$/, '\n'));
    assert.match(await editorText(page), /unsaved work/);
    assertClean(watched);
    await watched.context.close();
  });

  test('a function saved by someone else meanwhile: a 412, then reload theirs or overwrite with mine', async () => {
    const watched = await openPage(browser);
    const { page } = watched;
    await signIn(page, service.url, alice.key);
    await page.goto(`${service.url}/console#/functions/${functionId}`);
    await page.locator('.cm-content').waitFor();
    if (await page.getByText('Restored unsaved text').isVisible()) await page.getByRole('button', { name: 'Discard it' }).click();

    const theirs = `export default () => 'theirs ${Date.now()}';\n`;
    assert.equal((await service.api.patch(`/v1/functions/${functionId}`, alice.key, { source: theirs })).status, 200);
    const mine = `export default () => 'mine';\n`;
    await setSource(page, mine);
    await page.keyboard.press('Control+s');
    await page.getByText('Someone else saved this function since you opened it').waitFor();
    await screenshot(page, 'conflict');
    await page.getByRole('button', { name: 'Overwrite with mine' }).click();
    await page.getByText(/Saved as version \d+\./).waitFor();
    assert.equal((await service.api.get(`/v1/functions/${functionId}`, alice.key)).body.source, mine);

    const again = `export default () => 'theirs again';\n`;
    assert.equal((await service.api.patch(`/v1/functions/${functionId}`, alice.key, { source: again })).status, 200);
    await setSource(page, `export default () => 'mine again';\n`);
    await page.keyboard.press('Control+s');
    await page.getByRole('button', { name: 'Reload theirs (discard mine)' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    assert.match(await editorText(page), /theirs again/);
    assert.equal((await service.api.get(`/v1/functions/${functionId}`, alice.key)).body.source, again);
    assertClean(watched);
    await watched.context.close();
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('web console against services of their own: refusals, outages, live logs', { skip: browserMissing() }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('a 429 says when to retry', async () => {
    const service = await startTestService(['--rate-limit', '8']);
    try {
      const user = await service.api.newUser(service.adminKey, 'busy');
      await fetch(`${service.url}/console/app.js`);
      const watched = await openPage(browser);
      const { page } = watched;
      await signIn(page, service.url, user.key);
      await page.goto(`${service.url}/console#/secrets`);
      const limited = page.getByRole('alert').filter({ hasText: /You can try again at / });
      for (let attempt = 0; attempt < 8 && !(await limited.isVisible()); attempt += 1) {
        await page.getByLabel('Name').fill(`s${attempt}`);
        await page.getByLabel('Value').fill('v');
        await page.getByRole('button', { name: 'Set', exact: true }).click();
        await page.waitForTimeout(300);
      }
      await limited.first().waitFor();
      await page.getByText(/\(\d+ s left\)/).first().waitFor();
      await screenshot(page, 'rate-limited');
      assertClean(watched);
      await watched.context.close();
    } finally {
      await service.close();
    }
  });

  test('the service going away: the console says so, keeps the text, and recovers when it is back', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-console-'));
    const port = await freePort();
    const env = { TEEJS_ADMIN_KEY: 'tjs_consoleTestOperatorKey0123456789abcd' };
    const start = () => startService(loadConfig(['--data-dir', dataDir, '--port', String(port), '--executors', '0', '--shutdown-grace', '2000'], env));
    let running: RunningService | undefined = await start();
    try {
      const api = new Api(running.url);
      const user = await api.newUser(env.TEEJS_ADMIN_KEY, 'carol');
      const fn = await api.newFunction(user.key, { name: 'steady', source: greetFixed });
      await fetch(`${running.url}/console/app.js`);
      const watched = await openPage(browser);
      const { page } = watched;
      await signIn(page, running.url, user.key);
      await page.goto(`${running.url}/console#/functions/${fn.id}`);
      await page.locator('.cm-content').waitFor();
      const edited = `${greetFixed}// written while the service was away\n`;
      await setSource(page, edited);

      await running.stop();
      running = undefined;
      await page.keyboard.press('Control+s');
      await page.getByRole('alert').filter({ hasText: 'The service does not answer' }).first().waitFor();
      assert.match(await editorText(page), /written while the service was away/);
      await screenshot(page, 'offline');

      running = await start();
      await page.locator('.offline').waitFor({ state: 'detached', timeout: 30_000 });
      await page.keyboard.press('Control+s');
      await page.getByText('Saved as version 2.').waitFor();
      assert.equal((await api.get(`/v1/functions/${fn.id}`, user.key)).body.source, edited);
      assertClean(watched);
      await watched.context.close();
    } finally {
      await running?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a background run shows its log lines while it runs (the live stream), or when it ends where the service has none', async () => {
    // The function logs, then waits for this test to let it go: the first line must be on the page
    // while the execution is still running, whatever the machine's speed.
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const gate = createHttpServer((_request, response) => void released.then(() => response.end('go')));
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const gatePort = (gate.address() as { port: number }).port;
    const service = await startTestService(['--allow-http', '--allow-private-network']);
    try {
      const user = await service.api.newUser(service.adminKey, 'dora');
      const fn = await service.api.newFunction(user.key, {
        name: 'slow',
        allowedHosts: ['127.0.0.1'],
        source: `export default async function () {\n  console.log('first line');\n  await fetch('http://127.0.0.1:${gatePort}/release');\n  console.log('second line');\n  return 'done';\n}\n`,
      });
      const stream = await fetch(`${service.url}/v1/executions/none/logs`, { headers: { authorization: `Bearer ${user.key}` } });
      const hasStream = ![404, 405].includes(stream.status) || !/route/i.test(await stream.text());
      await fetch(`${service.url}/console/app.js`);
      const watched = await openPage(browser);
      const { page } = watched;
      await signIn(page, service.url, user.key);
      await page.goto(`${service.url}/console#/functions/${fn.id}`);
      await page.locator('.cm-content').waitFor();
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      const live = page.locator('.live');
      if (hasStream) {
        await live.getByText('Running: lines appear as the function prints them.').waitFor();
        await live.getByLabel('Console output').filter({ hasText: 'first line' }).waitFor();
        assert.equal(await page.locator('.run-result').count(), 0, 'the run has not ended');
        assert.equal(await live.getByText('second line').count(), 0);
      } else {
        await live.getByText('this service has no log stream').waitFor();
      }
      release();
      const result = page.locator('.run-result');
      await result.getByLabel('Console output').filter({ hasText: 'second line' }).waitFor();
      await result.getByLabel('Result').filter({ hasText: '"done"' }).waitFor();
      assertClean(watched);
      await watched.context.close();
    } finally {
      release();
      await service.close();
      gate.close();
    }
  });
});
