// The browser the console's tests drive: Debian's `chromium` (CI installs it, see .ci/run)
// through playwright-core. Each test page records what would be a defect however the test
// goes: a script error, and anything the Content-Security-Policy blocked.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium', '/usr/bin/google-chrome'];

/** The browser's executable: TEEJS_CHROMIUM, or the first of the usual paths that exists. */
export function chromiumPath(): string | undefined {
  const given = process.env.TEEJS_CHROMIUM;
  if (given) return given;
  return candidates.find((candidate) => existsSync(candidate));
}

/**
 * Why the browser tests cannot run here, or undefined when they can. CI (.ci/run) installs
 * Chromium and sets TEEJS_REQUIRE_BROWSER=1, so that a missing browser fails there, never skips.
 */
export function browserMissing(): string | undefined {
  if (process.env.TEEJS_REQUIRE_BROWSER === '1') return undefined;
  return chromiumPath() === undefined ? `no Chromium found (set TEEJS_CHROMIUM, or install Debian's chromium package as .ci/run does); looked at ${candidates.join(', ')}` : undefined;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Script errors and CSP violations seen so far. */
  problems: string[];
}

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

export async function openPage(browser: Browser, viewport = desktop): Promise<WatchedPage> {
  // Clipboard access: the tests paste into the editor as a user would (CodeMirror's own paste path).
  const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // The page reports each violation with what was blocked and where (the console message alone does not say).
  await page.exposeFunction('__teejsViolation', (detail: string) => problems.push(`CSP: ${detail}`));
  await page.addInitScript(() => {
    const report = (globalThis as unknown as { __teejsViolation: (detail: string) => void }).__teejsViolation;
    const target = globalThis as unknown as { addEventListener: (type: string, listener: (event: unknown) => void, capture: boolean) => void };
    target.addEventListener('securitypolicyviolation', (event: unknown) => {
      const e = event as unknown as { violatedDirective: string; blockedURI: string; sample: string; sourceFile: string; lineNumber: number; columnNumber: number; target: { nodeName?: string; className?: string; outerHTML?: string } };
      report(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} sample ${JSON.stringify(e.sample)} target ${e.target?.nodeName ?? ''}.${e.target?.className ?? ''} ${String(e.target?.outerHTML ?? '').slice(0, 120)}`);
    }, true);
  });
  page.setDefaultTimeout(20_000);
  return { context, page, problems };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // evaluate() runs through the DevTools protocol, which the page's CSP does not govern.
  // (The callbacks run in the page: globalThis is its window, with axe and document.)
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const page = globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await page.axe.run(page.document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}
