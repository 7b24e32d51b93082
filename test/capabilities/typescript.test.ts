// TypeScript functions: types are stripped in place (never checked), so errors, stacks and
// syntax errors point at the user's own TypeScript lines and columns.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import { failed, makeEngine, run, succeeded } from '../support/engine.ts';
import { binDir, runProcess } from '../support/spawn.ts';

const priceFile = new URL('./fixtures/price.ts', import.meta.url);
const price = readFileSync(priceFile, 'utf8');

let engine: Engine;
before(() => {
  engine = makeEngine();
});
after(async () => {
  await engine.drain();
});

/** 1-based line and column of the first `needle` in `source`. */
function positionOf(source: string, needle: string): [number, number] {
  const index = source.indexOf(needle);
  assert.ok(index >= 0, needle);
  const before = source.slice(0, index).split('\n');
  return [before.length, before.at(-1)!.length + 1];
}

describe('TypeScript functions', () => {
  test('a .ts module runs with its types stripped', async () => {
    const result = await run(engine, price, { filename: 'price.ts', params: { symbols: ['BTC', 'ETH'] } });
    assert.deepEqual(succeeded(result), [
      { symbol: 'BTC', price: 10 },
      { symbol: 'ETH', price: 20 },
    ]);
  });

  test("a runtime error's stack points at the user's TypeScript line and column", async () => {
    const result = await run(engine, price, { filename: 'price.ts', params: { symbols: ['BTC'], fail: true } });
    const error = failed(result, 'RUNTIME_ERROR');
    const [line, column] = positionOf(price, 'new Error(`no quote');
    assert.equal(error.message, 'Error: no quote for 1 symbols');
    assert.match(error.stack ?? '', new RegExp(`price\\.ts:${line}:${column}\\)`));
  });

  test('language: "typescript" without a file name; the default name says .mts', async () => {
    const source = 'export default (p: { n: number }): number => {\n  const x: number = p.n;\n  return (null as any).boom + x;\n};\n';
    const result = await run(engine, source, { language: 'typescript', params: { n: 1 } });
    const error = failed(result, 'RUNTIME_ERROR');
    assert.match(error.stack ?? '', /function\.mts:3:\d+\)/);
  });

  test('a classic script with main() in TypeScript (.cts)', async () => {
    const source = 'function main(): number {\n  const values: Array<number> = [1, 2, 3];\n  return values.reduce((a: number, b: number) => a + b, 0);\n}\n';
    assert.equal(succeeded(await run(engine, source, { filename: 'legacy.cts' })), 6);
  });

  test('type errors are not checked: only the types are removed', async () => {
    const source = 'export default function (): number {\n  const wrong: number = "a string" as unknown as number;\n  return wrong;\n}\n';
    assert.equal(succeeded(await run(engine, source, { filename: 'loose.ts' })), 'a string');
  });

  test('TypeScript that needs code generation (enum, namespace) is a SYNTAX_ERROR at its position', async () => {
    const source = 'const a: number = 1;\nenum Color { Red }\nexport default () => a;\n';
    const error = failed(await run(engine, source, { filename: 'enum.ts' }), 'SYNTAX_ERROR');
    assert.match(error.message, /enum is not supported in strip-only mode \(enum\.ts:2:1\)/);
    assert.deepEqual([error.line, error.column], [2, 1]);
  });

  test('invalid TypeScript syntax is a SYNTAX_ERROR with its line and column', async () => {
    const source = 'export default function () {\n  let ok: number = 1;\n  let broken: = 2;\n  return ok;\n}\n';
    const error = failed(await run(engine, source, { filename: 'broken.ts' }), 'SYNTAX_ERROR');
    assert.equal(error.line, 3);
    assert.equal(error.column, positionOf(source, '= 2')[1]);
  });

  test('a syntax error found after stripping (by V8) also points at the TypeScript position', async () => {
    const source = 'export default function (n: number) {\n  const value: string = "x";\n  return value +;\n}\n';
    const error = failed(await run(engine, source, { filename: 'late.ts' }), 'SYNTAX_ERROR');
    assert.equal(error.line, 3);
  });

  test('JavaScript files are not stripped; an unknown language is a VALIDATION_ERROR', async () => {
    failed(await run(engine, 'export default (x: number) => x;', { filename: 'plain.mjs' }), 'SYNTAX_ERROR');
    failed(await run(engine, 'export default () => 1;', { language: 'coffeescript' as never }), 'VALIDATION_ERROR');
  });

  test('teejs run accepts a .ts file and writes nothing but the result (no experimental warning)', async () => {
    const finished = await runProcess(`${binDir}/teejs`, ['run', priceFile.pathname, '--params', '{"symbols":["X"]}', '--json']);
    assert.equal(finished.code, 0, finished.stderr);
    assert.equal(finished.stderr, '');
    const result = JSON.parse(finished.stdout) as { result: unknown };
    assert.deepEqual(result.result, [{ symbol: 'X', price: 10 }]);
  });
});
