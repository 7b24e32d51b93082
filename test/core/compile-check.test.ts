// checkSyntax compiles a function's source as the sandbox would, without running any of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSyntax } from '../../src/core/compile-check.ts';

describe('checkSyntax', () => {
  it('accepts both forms of a valid function', async () => {
    assert.equal(await checkSyntax('export default async function (params) { return params }'), null);
    assert.equal(await checkSyntax('function main() { return params.x }'), null);
    assert.equal(await checkSyntax('const x = await Promise.resolve(1);\nexport default () => x'), null, 'top-level await');
    assert.equal(await checkSyntax('await 1;\nfunction main() { return 1 }'), null, 'a detected script that only parses as a module');
  });

  it('reports SYNTAX_ERROR with the line and column of the source', async () => {
    assert.deepEqual(await checkSyntax('function main() {\n  return 1 +;\n}'), {
      code: 'SYNTAX_ERROR',
      message: "SyntaxError: Unexpected token ';' (function.js:2:13)",
      line: 2,
      column: 13,
    });
    const moduleError = await checkSyntax('export default () => {\n\n  let = ;\n}', { filename: 'price.mjs' });
    assert.equal(moduleError?.code, 'SYNTAX_ERROR');
    assert.equal(moduleError?.line, 3);
    assert.match(moduleError!.message, /price\.mjs:3:/);
  });

  it('compiles scripts as strict code, as the sandbox runs them', async () => {
    const error = await checkSyntax('function main() {\n  with (params) { return x }\n}');
    assert.equal(error?.code, 'SYNTAX_ERROR');
    assert.equal(error?.line, 2);
    assert.equal((await checkSyntax('function main() { return 1 }', { form: 'module' })), null);
    assert.equal((await checkSyntax('export default 1', { form: 'script' }))?.code, 'SYNTAX_ERROR', 'an explicit form is kept');
  });

  it('checks TypeScript after stripping its types, at the lines of the TypeScript source', async () => {
    assert.equal(await checkSyntax('export default (params: { n: number }): number => params.n * 2', { language: 'typescript' }), null);
    const error = await checkSyntax('interface P { n: number }\nexport default (params: P) => {\n  return params.n +;\n}', { language: 'typescript' });
    assert.equal(error?.code, 'SYNTAX_ERROR');
    assert.equal(error?.line, 3);
    assert.equal((await checkSyntax('enum Color { Red }\nexport default () => Color.Red', { language: 'typescript' }))?.code, 'SYNTAX_ERROR', 'syntax that needs code generation is refused');
  });

  it('refuses imports, and runs nothing while checking', async () => {
    assert.equal((await checkSyntax('import x from "node:fs";\nexport default x'))?.code, 'VALIDATION_ERROR');
    // A top-level infinite loop would hang if it ran.
    assert.equal(await checkSyntax('while (true) {}\nexport default 1'), null);
    assert.equal(await checkSyntax('for (;;) {}\nfunction main() {}'), null);
  });
});
