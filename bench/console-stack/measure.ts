// How fast the web console's first screen appears, and what its UI runtime weighs: the same
// sign-in form written in plain TypeScript, Preact and Lit, and the console itself (its real
// bundle, from bundleConsole), each bundled by esbuild (minified), served over loopback and
// loaded in Chromium (Debian's, as the browser tests use) with the CPU slowed 4x, as a
// mid-range phone would be. Reported: bytes (minified, gzip -9) of what the page loads first,
// and the median over the loads of first contentful paint and of the moment the Sign in button
// exists (from the page's own clock: performance.now(), looked for at every animation frame).
//
//   npx node --no-node-snapshot bench/console-stack/measure.ts [--loads 15]
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleConsole } from '../../src/service/console/bundle.ts';
import { launchBrowser } from '../../test/console/browser.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const loadsArg = process.argv.indexOf('--loads');
const loads = loadsArg === -1 ? 15 : Number(process.argv[loadsArg + 1]);

type Files = Map<string, Uint8Array>;
const shell = (script: string) => new TextEncoder().encode(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>stack</title><script type="module" src="/${script}"></script></head><body></body></html>`);

async function variant(entry: string): Promise<Files> {
  const result = await esbuild.build({ entryPoints: [path.join(here, entry)], bundle: true, minify: true, format: 'esm', write: false, jsx: 'automatic', jsxImportSource: 'preact', outfile: '/out/app.js', logLevel: 'silent' });
  return new Map([['index.html', shell('app.js')], ['app.js', result.outputFiles[0]!.contents]]);
}

const variants: [string, Files, string[]][] = [
  ['plain TypeScript', await variant('plain.ts'), ['app.js']],
  ['Preact', await variant('preact.tsx'), ['app.js']],
  ['Lit', await variant('lit.ts'), ['app.js']],
  ['teejs console (Preact, typed client)', new Map((await bundleConsole()).map((file) => [file.name, file.contents])), ['app.js', 'app.css']],
];

let current: Files = new Map();
const server = createServer((request, response) => {
  const name = (request.url ?? '/').replace(/^\/(console\/?)?/, '').split('?')[0] || 'index.html';
  const body = current.get(name);
  if (!body) return response.writeHead(404).end();
  const type = name.endsWith('.html') ? 'text/html' : name.endsWith('.css') ? 'text/css' : name.endsWith('.svg') ? 'image/svg+xml' : 'text/javascript';
  response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const browser = await launchBrowser();
console.log(`| UI | first load (min / gzip) | first contentful paint | Sign in button |`);
console.log(`| --- | --- | --- | --- |`);
for (const [name, files, firstLoad] of variants) {
  current = files;
  const bytes = firstLoad.reduce((sum, file) => sum + files.get(file)!.length, 0);
  const gzip = firstLoad.reduce((sum, file) => sum + gzipSync(files.get(file)!, { level: 9 }).length, 0);
  const paints: number[] = [];
  const buttons: number[] = [];
  for (let load = 0; load < loads; load += 1) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await page.addInitScript(() => {
      // Runs in the page (its globalThis is the window): checked every frame, into Lit's shadow
      // root too, for the first frame that has the button.
      type Found = { shadowRoot?: { querySelector(selector: string): unknown } | null } | null;
      const page = globalThis as unknown as { document: { querySelector(selector: string): Found }; requestAnimationFrame(callback: () => void): void; buttonAt?: number };
      const look = () => {
        const button = page.document.querySelector('button') ?? page.document.querySelector('sign-in')?.shadowRoot?.querySelector('button');
        if (button) page.buttonAt = performance.now();
        else page.requestAnimationFrame(look);
      };
      page.requestAnimationFrame(look);
    });
    await page.goto(url + (name.startsWith('teejs') ? 'console' : ''));
    await page.waitForFunction(() => 'buttonAt' in globalThis && performance.getEntriesByName('first-contentful-paint').length > 0);
    const { paint, button } = await page.evaluate(() => ({ paint: performance.getEntriesByName('first-contentful-paint')[0]!.startTime, button: (globalThis as unknown as { buttonAt: number }).buttonAt }));
    paints.push(paint);
    buttons.push(button);
    await context.close();
  }
  console.log(`| ${name} | ${(bytes / 1024).toFixed(1)} KiB / ${(gzip / 1024).toFixed(1)} KiB | ${median(paints).toFixed(0)} ms | ${median(buttons).toFixed(0)} ms |`);
}
await browser.close();
server.close();
