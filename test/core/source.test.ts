// How a function's form is told (src/core/source.ts): by a real lexer, not by a pattern, so
// text that looks like an import inside a string, a template literal or a comment is text.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { detectForm } from '../../src/core/source.ts';
import { makeEngine, run, succeeded } from '../support/engine.ts';

describe('detectForm', () => {
  const cases: Array<[string, string, 'module' | 'script']> = [
    ['export default', 'export default () => 1', 'module'],
    ['export list', 'const a = 1;\nexport { a as default };', 'module'],
    ['a static import', "import x from 'y';\nexport default x;", 'module'],
    ['import.meta', 'const u = import.meta.url;', 'module'],
    ['main()', 'function main() { return 1; }', 'script'],
    ['a template literal with a line starting with import', 'function main() {\n  return `\nimport the data\nexport it`;\n}', 'script'],
    ['a comment starting with export', '// export default nothing\n/*\nimport x from "y"\n*/\nfunction main() { return 2; }', 'script'],
    ['a string', "function main() { return 'export default 1'; }", 'script'],
    ['dynamic import() only', "function main() { return typeof import('x'); }", 'script'],
  ];
  for (const [name, source, form] of cases) {
    test(`${name}: ${form}`, () => assert.equal(detectForm(source), form));
  }

  test('TypeScript is read without its types', () => {
    assert.equal(detectForm('export default function (p: { a: number }): number { return p.a; }', 'f.ts', 'typescript'), 'module');
    assert.equal(detectForm('function main(): string {\n  return `\nimport x`;\n}', 'f.ts', 'typescript'), 'script');
  });

  test('the file name decides first; unreadable text is judged by how its lines start', () => {
    assert.equal(detectForm('function main() {}', 'f.mjs'), 'module');
    assert.equal(detectForm('export default 1', 'f.cjs'), 'script');
    assert.equal(detectForm('function main( {'), 'script');
    assert.equal(detectForm('export default function () {\n  foo(;\n}'), 'module');
  });
});

describe('a classic script with import-looking text runs as a script', () => {
  const engine = makeEngine();
  after(() => engine.drain());

  test('its template literal is returned as written', async () => {
    const source = 'function main() {\n  return `line one\nimport the data\nexport it`;\n}';
    assert.equal(succeeded(await run(engine, source)), 'line one\nimport the data\nexport it');
  });
});
