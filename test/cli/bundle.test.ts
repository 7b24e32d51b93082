// teejs bundle and teejs run --bundle (src/bundle, src/cli/bundle.ts): npm packages become part
// of one module, their browser builds preferred; Node built-ins are refused by package; code
// generated at run time is a warning by package. A fake project on disk, no registry.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleFunction, BundleError, packageOf } from '../../src/bundle/index.ts';
import { binDir, runProcess } from '../support/spawn.ts';

const teejs = fileURLToPath(new URL('../../node_modules/.bin/teejs', import.meta.url));
const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };

let dir: string;
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
};

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'teejs-bundle-'));
  // A package with a Node build and a browser build, chosen by conditions.
  write('node_modules/web-lib/package.json', JSON.stringify({ name: 'web-lib', exports: { '.': { node: './node.js', browser: './browser.js', default: './node.js' } } }));
  write('node_modules/web-lib/node.js', "import { readFileSync } from 'node:fs';\nexport const where = () => 'node ' + typeof readFileSync;\n");
  write('node_modules/web-lib/browser.js', "export const where = () => 'browser';\n");
  // A package that reads process.env.NODE_ENV, as immer does.
  write('node_modules/env-lib/package.json', JSON.stringify({ name: 'env-lib', main: 'index.js' }));
  write('node_modules/env-lib/index.js', "module.exports = { mode: process.env.NODE_ENV === 'production' ? 'prod' : 'dev' };\n");
  // An npm package named like a Node built-in (a browser polyfill): it is used.
  write('node_modules/buffer/package.json', JSON.stringify({ name: 'buffer', main: 'index.js' }));
  write('node_modules/buffer/index.js', "exports.Buffer = { polyfill: true };\n");
  // A package that swaps a file for its browser build with a `browser` map, as ethers does.
  write('node_modules/mapped-lib/package.json', JSON.stringify({ name: 'mapped-lib', type: 'module', exports: { '.': { import: './index.js' } }, browser: { './hash.js': './hash-browser.js' } }));
  write('node_modules/mapped-lib/index.js', "export { hash } from './hash.js';\n");
  write('node_modules/mapped-lib/hash.js', "import { createHash } from 'node:crypto';\nexport const hash = () => 'node ' + typeof createHash;\n");
  write('node_modules/mapped-lib/hash-browser.js', "export const hash = () => 'browser';\n");
  // A package that compiles code with Function.apply, as handlebars does.
  write('node_modules/apply-codegen/package.json', JSON.stringify({ name: 'apply-codegen', main: 'index.js' }));
  write('node_modules/apply-codegen/index.js', "module.exports = (body) => Function.apply(this, ['x', body]);\n");
  // A package that needs Node.
  write('node_modules/@acme/needs-node/package.json', JSON.stringify({ name: '@acme/needs-node', main: 'index.js' }));
  write('node_modules/@acme/needs-node/index.js', "const net = require('net');\nmodule.exports = () => net;\n");
  // A package that generates code at run time.
  write('node_modules/codegen/package.json', JSON.stringify({ name: 'codegen', main: 'index.js' }));
  write('node_modules/codegen/index.js', "module.exports = (body) => new Function('x', body);\n");

  write('main.mjs', [
    "import { where } from 'web-lib';",
    "import envLib from 'env-lib';",
    "import { Buffer } from 'buffer';",
    "import { double } from './lib/util.ts';",
    'export default (params) => ({ where: where(), mode: envLib.mode, polyfill: Buffer.polyfill, doubled: double(params.n) });',
  ].join('\n'));
  write('lib/util.ts', 'export const double = (n: number): number => n * 2;\n');
  write('needs-node.mjs', "import connect from '@acme/needs-node';\nexport default () => typeof connect;\n");
  write('mapped.mjs', "import { hash } from 'mapped-lib';\nexport default () => hash();\n");
  write('apply-codegen.mjs', "import compile from 'apply-codegen';\nexport default () => compile('return x + 1')(1);\n");
  write('codegen.mjs', "import compile from 'codegen';\nexport default () => compile('return x + 1')(1);\n");
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bundleFunction', () => {
  test('one module, browser builds preferred, NODE_ENV production, local TypeScript included', async () => {
    const bundle = await bundleFunction(path.join(dir, 'main.mjs'));
    assert.doesNotMatch(bundle.code, /^\s*import\s/m, 'nothing is left to import');
    assert.doesNotMatch(bundle.code, /node:fs/);
    assert.ok(bundle.inputs.some((input) => input.file.endsWith(path.join('web-lib', 'browser.js'))), JSON.stringify(bundle.inputs));
    assert.deepEqual(bundle.warnings, []);
  });

  test('a package that imports a Node built-in is refused, by name', async () => {
    await assert.rejects(bundleFunction(path.join(dir, 'needs-node.mjs')), (error: unknown) => {
      assert.ok(error instanceof BundleError);
      assert.match(error.message, /@acme\/needs-node imports Node's built-in module 'net'/);
      return true;
    });
  });

  test('code generated at run time is a warning naming the package', async () => {
    const bundle = await bundleFunction(path.join(dir, 'codegen.mjs'));
    assert.equal(bundle.warnings.length, 1);
    assert.equal(bundle.warnings[0]!.package, 'codegen');
    assert.match(bundle.warnings[0]!.message, /new Function/);
  });

  test("a package's `browser` map swaps its Node files for browser ones", async () => {
    const bundle = await bundleFunction(path.join(dir, 'mapped.mjs'));
    assert.ok(bundle.inputs.some((input) => input.file.endsWith(path.join('mapped-lib', 'hash-browser.js'))), JSON.stringify(bundle.inputs));
    assert.doesNotMatch(bundle.code, /node:crypto/);
  });

  test('Function.apply compiling code is a warning too', async () => {
    const bundle = await bundleFunction(path.join(dir, 'apply-codegen.mjs'));
    assert.equal(bundle.warnings.length, 1);
    assert.equal(bundle.warnings[0]!.package, 'apply-codegen');
    assert.match(bundle.warnings[0]!.message, /Function\.apply/);
  });

  test('packageOf names scoped and plain packages', () => {
    assert.equal(packageOf('/p/node_modules/@a/b/lib/x.js'), '@a/b');
    assert.equal(packageOf('/p/node_modules/a/node_modules/c/x.js'), 'c');
    assert.equal(packageOf('/p/src/x.js'), null);
  });
});

describe('the command line', () => {
  test('teejs bundle -o writes a module that teejs run runs', async () => {
    const out = path.join(dir, 'out.mjs');
    const bundled = await runProcess(teejs, ['bundle', path.join(dir, 'main.mjs'), '-o', out, '--json'], { env, timeoutMs: 60_000 });
    assert.equal(bundled.code, 0, bundled.stderr);
    const report = JSON.parse(bundled.stdout) as { bytes: number; warnings: unknown[] };
    assert.equal(report.bytes, Buffer.byteLength(readFileSync(out, 'utf8')));
    const ran = await runProcess(teejs, ['run', out, '--params', '{"n":21}', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout).result, { where: 'browser', mode: 'prod', polyfill: true, doubled: 42 });
  });

  test('teejs run --bundle bundles and runs at once', async () => {
    const ran = await runProcess(teejs, ['run', path.join(dir, 'main.mjs'), '--bundle', '--params', '{"n":2}', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.equal(JSON.parse(ran.stdout).result.doubled, 4);
  });

  test('without --bundle, an import is a clear VALIDATION_ERROR that names it', async () => {
    const ran = await runProcess(teejs, ['run', path.join(dir, 'main.mjs'), '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ran.code, 1);
    const error = JSON.parse(ran.stdout).error as { code: string; message: string };
    assert.equal(error.code, 'VALIDATION_ERROR');
    assert.match(error.message, /imports "web-lib": only the function's own modules[^]*teejs bundle/);
  });

  test('a file that cannot be bundled: exit 1 with one line per problem; with run --json, one result', async () => {
    const bundled = await runProcess(teejs, ['bundle', path.join(dir, 'needs-node.mjs')], { env, timeoutMs: 60_000 });
    assert.equal(bundled.code, 1);
    assert.equal(bundled.stdout, '');
    assert.match(bundled.stderr, /^teejs: @acme\/needs-node imports Node's built-in module 'net'[^\n]*\n$/);
    const ran = await runProcess(teejs, ['run', path.join(dir, 'needs-node.mjs'), '--bundle', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ran.code, 1);
    const result = JSON.parse(ran.stdout) as { status: string; error: { code: string; message: string } };
    assert.equal(result.error.code, 'VALIDATION_ERROR');
    assert.match(result.error.message, /cannot be bundled: @acme\/needs-node/);
  });

  test('code generation: a warning when bundled, an EvalError when it runs', async () => {
    const ran = await runProcess(teejs, ['run', path.join(dir, 'codegen.mjs'), '--bundle', '--json'], { env, timeoutMs: 60_000 });
    assert.match(ran.stderr, /warning: codegen \(node_modules\/codegen\/index\.js:1\) generates code at run time/);
    assert.equal(ran.code, 1);
    assert.match(JSON.parse(ran.stdout).error.message, /EvalError/);
  });

  test('without --bundle, a file that imports its neighbours runs them as its modules', async () => {
    write('local/main.mjs', "import { greet } from './lib/greet.js';\nexport default (params) => greet(params.name);\n");
    write('local/lib/greet.js', "import { punctuation } from '../shared.ts';\nexport const greet = (name) => `hello ${name}${punctuation}`;\n");
    write('local/shared.ts', "export const punctuation: string = '!';\n");
    const ran = await runProcess(teejs, ['run', path.join(dir, 'local/main.mjs'), '--params', '{"name":"ada"}', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.equal(JSON.parse(ran.stdout).result, 'hello ada!');
    // Its receipt binds every module: teejs verify --source reads them the same way.
    const resultFile = path.join(dir, 'local-result.json');
    writeFileSync(resultFile, ran.stdout);
    const verified = await runProcess(teejs, ['verify', resultFile, '--source', path.join(dir, 'local/main.mjs')], { env, timeoutMs: 60_000 });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    write('local/shared.ts', "export const punctuation: string = '?';\n");
    const tampered = await runProcess(teejs, ['verify', resultFile, '--source', path.join(dir, 'local/main.mjs')], { env, timeoutMs: 60_000 });
    assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
    assert.match(tampered.stdout + tampered.stderr, /source/);
  });

  test('usage errors exit 2', async () => {
    const noEntry = await runProcess(teejs, ['bundle'], { env, timeoutMs: 60_000 });
    assert.equal(noEntry.code, 2);
    const jsonWithoutOut = await runProcess(teejs, ['bundle', path.join(dir, 'main.mjs'), '--json'], { env, timeoutMs: 60_000 });
    assert.equal(jsonWithoutOut.code, 2);
  });
});
