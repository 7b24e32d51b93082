// Functions of several ES modules (src/core/module-set.ts, linked by the sandbox): relative
// imports inside the set work, TypeScript modules included; anything else is a clear
// VALIDATION_ERROR that names the module, before any guest code runs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { checkGraph, moduleSetOf, resolveSpecifier } from '../../src/core/module-set.ts';
import { failed, makeEngine, run, succeeded } from '../support/engine.ts';

describe('paths and the graph', () => {
  test('relative specifiers resolve inside the set', () => {
    assert.equal(resolveSpecifier('./util.js', 'main.js'), 'util.js');
    assert.equal(resolveSpecifier('./lib/util.js', 'main.js'), 'lib/util.js');
    assert.equal(resolveSpecifier('../shared.js', 'lib/util.js'), 'shared.js');
    assert.throws(() => resolveSpecifier('../up.js', 'main.js'), /outside the function/);
    assert.throws(() => resolveSpecifier('date-fns', 'main.js'), /only the function's own modules[^]*teejs bundle/);
    assert.throws(() => resolveSpecifier('node:fs', 'lib/a.js'), /module "lib\/a.js" imports "node:fs"/);
  });

  test('malformed sets are refused in plain words', () => {
    assert.equal(moduleSetOf('x', undefined, undefined, 1000), null);
    assert.throws(() => moduleSetOf('x', undefined, 'main.js', 1000), /entry is only for a function with modules/);
    assert.throws(() => moduleSetOf('x', ['a'], undefined, 1000), /modules must be an object/);
    assert.throws(() => moduleSetOf('x', { '/etc/passwd': '' }, undefined, 1000), /relative path inside the function/);
    assert.throws(() => moduleSetOf('x', { 'a/../b.js': '' }, undefined, 1000), /relative path/);
    assert.throws(() => moduleSetOf('x', { 'a.js': 5 }, undefined, 1000), /must be the module's source text/);
    assert.throws(() => moduleSetOf('x', { 'main.js': 'y' }, undefined, 1000), /given twice/);
    assert.throws(() => moduleSetOf('x'.repeat(600), { 'a.js': 'y'.repeat(600) }, undefined, 1000), /1200 bytes together, over the limit of 1000/);
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${i}.js`, '']));
    assert.throws(() => moduleSetOf('x', many, undefined, 1e6), /at most 100 modules/);
  });

  test('a cycle is refused with the cycle spelled out', () => {
    const set = moduleSetOf('', { 'a.js': '', 'b.js': '' }, undefined, 1000)!;
    const imports: Record<string, string[]> = { 'main.js': ['./a.js'], 'a.js': ['./b.js'], 'b.js': ['./a.js'] };
    assert.throws(() => checkGraph(set, (path) => imports[path]!), /cycle: "a.js" → "b.js" → "a.js"/);
  });
});

describe('running a function of several modules', () => {
  const engine = makeEngine();
  after(() => engine.drain());

  const modules = {
    'lib/math.ts': "import { scale } from '../config.js';\nexport const double = (n: number): number => n * 2 * scale;",
    'config.js': 'export const scale = 1;',
    'lib/format.js': "import { double } from './math.ts';\nexport const show = (n) => `${n} doubled is ${double(n)}`;",
  };
  const entry = "import { show } from './lib/format.js';\nimport { double } from './lib/math.ts';\nexport default (params) => ({ text: show(params.n), twice: double(double(params.n)) });";

  test('relative imports across folders, TypeScript modules included', async () => {
    const result = await run(engine, entry, { modules, params: { n: 5 } });
    assert.deepEqual(succeeded(result), { text: '5 doubled is 10', twice: 20 });
  });

  test('a stack trace names the module and its line', async () => {
    const result = await run(engine, "import { boom } from './lib/boom.js';\nexport default () => boom();", {
      modules: { 'lib/boom.js': "export function boom() {\n  throw new Error('from a module');\n}" },
      entry: 'index.js',
    });
    const error = failed(result, 'RUNTIME_ERROR');
    assert.match(error.stack ?? '', /lib\/boom\.js:2/);
  });

  test('a missing module, a package, a cycle: VALIDATION_ERROR before anything runs', async () => {
    const missing = failed(await run(engine, "import { x } from './nope.js';\nexport default () => x;", { modules: {} }), 'VALIDATION_ERROR');
    assert.match(missing.message, /module "main.js" imports "\.\/nope\.js", but the function has no module "nope\.js"/);
    const pkg = failed(await run(engine, "import { x } from './a.js';\nexport default () => x;", { modules: { 'a.js': "import lodash from 'lodash';\nexport const x = 1;" } }), 'VALIDATION_ERROR');
    assert.match(pkg.message, /module "a.js" imports "lodash"/);
    const cycle = failed(
      await run(engine, "import { a } from './a.js';\nexport default () => a;", {
        modules: { 'a.js': "import { b } from './b.js';\nexport const a = 1;", 'b.js': "import { a } from './a.js';\nexport const b = 2;" },
      }),
      'VALIDATION_ERROR',
    );
    assert.match(cycle.message, /cycle: "a.js" → "b.js" → "a.js"/);
    const script = failed(await run(engine, 'function main() { return 1; }', { modules: {}, form: 'script' }), 'VALIDATION_ERROR');
    assert.match(script.message, /form must be "module"/);
  });

  test('without modules, an import says what to do', async () => {
    const error = failed(await run(engine, "import { x } from './a.js';\nexport default () => x;"), 'VALIDATION_ERROR');
    assert.match(error.message, /teejs bundle[^]*modules/);
  });
});
