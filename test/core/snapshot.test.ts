// Every sandbox is made from one startup snapshot per process (src/core/snapshot.ts), in which
// the runtime already installed the capabilities and hardened the built-ins. V8 still adds some
// built-ins to each context it makes from a snapshot (Float16Array, Promise.try, ...), so these
// tests look at what a guest sees, whole: nothing unfrozen, nothing of the snapshot's making
// left on the global, no state shared between sandboxes made from the same heap.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.drain());

/** Guest code: walks everything reachable from the global object and the hidden intrinsics. */
const walkUnfrozen = `
  // Read every lazily installed capability first, so that what it builds is walked too.
  for (const name of ['fetch', 'Headers', 'Request', 'Response', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder',
    'atob', 'btoa', 'AbortController', 'AbortSignal', 'DOMException', 'structuredClone', 'Blob', 'FormData', 'Event',
    'EventTarget', 'queueMicrotask']) void globalThis[name];
  const proto = Object.getPrototypeOf;
  const roots = [
    ['%GeneratorFunction%', proto(function* () {})],
    ['%AsyncFunction%', proto(async function () {})],
    ['%AsyncGeneratorFunction%', proto(async function* () {})],
    ['%AsyncIteratorPrototype%', proto(proto(proto(async function* () {}).prototype))],
    ['%ArrayIterator%', proto([][Symbol.iterator]())],
    ['%MapIterator%', proto(new Map().entries())],
    ['%SetIterator%', proto(new Set().values())],
    ['%StringIterator%', proto(''[Symbol.iterator]())],
    ['%RegExpStringIterator%', proto(/x/[Symbol.matchAll](''))],
    ['%IteratorHelper%', proto([].values().map((x) => x))],
    ['%Segments%', proto(new Intl.Segmenter().segment(''))],
  ];
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (name === 'params' || name === 'executionContext' || name === 'main') continue;
    const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
    roots.push([name, 'value' in descriptor ? descriptor.value : descriptor.get]);
  }
  const seen = new Set([globalThis]);
  const unfrozen = [];
  const queue = roots;
  while (queue.length > 0) {
    const [path, value] = queue.pop();
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
    seen.add(value);
    if (!Object.isFrozen(value)) unfrozen.push(path);
    queue.push([path + '.[[Prototype]]', Object.getPrototypeOf(value)]);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      const name = path + '.' + String(key);
      if ('value' in descriptor) queue.push([name, descriptor.value]);
      else queue.push([name + '<get>', descriptor.get], [name + '<set>', descriptor.set]);
    }
  }
`;

describe('sandboxes made from the startup snapshot', () => {
  test('everything reachable from the global object and the hidden intrinsics is frozen, including what V8 adds to each context', async () => {
    for (const source of [
      moduleOf(`${walkUnfrozen} return { unfrozen, visited: seen.size };`),
      `function main() { ${walkUnfrozen} return { unfrozen, visited: seen.size }; }`,
    ]) {
      const { unfrozen, visited } = succeeded(await run(engine, source)) as { unfrozen: string[]; visited: number };
      assert.deepEqual(unfrozen, []);
      assert.ok(visited > 800, `walked only ${visited} objects`);
    }
  });

  test('built-ins V8 adds after deserialization are there and frozen; the ones it adds that a guest must not have are gone', async () => {
    const result = await run(
      engine,
      moduleOf(`
        return {
          float16: typeof Float16Array === 'function' && Object.isFrozen(Float16Array) && Object.isFrozen(Float16Array.prototype),
          promiseTry: typeof Promise.try === 'function' && Object.isFrozen(Promise),
          errorIsError: Object.isFrozen(Error) && Error.stackTraceLimit > 0,
          dispose: Object.isFrozen(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))),
          gone: ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'gc'].filter((name) => name in globalThis),
          internals: Object.getOwnPropertyNames(globalThis).filter((name) => name.startsWith('__')),
        };
      `),
    );
    assert.deepEqual(succeeded(result), { float16: true, promiseTry: true, errorIsError: true, dispose: true, gone: [], internals: [] });
  });

  test('each sandbox has its own random state and its own global: nothing one execution does is seen by the next', async () => {
    const randoms = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      const value = succeeded(
        await run(
          engine,
          moduleOf(`
            const before = { marker: typeof globalThis.marker, own: Object.getOwnPropertyNames(globalThis).length };
            globalThis.marker = ${i};
            return { random: Math.random(), before };
          `),
        ),
      ) as { random: number; before: { marker: string } };
      assert.equal(value.before.marker, 'undefined');
      randoms.add(value.random);
    }
    assert.equal(randoms.size, 5);
  });

  test('runtime frames stay out of a guest error\'s stack, and the guest\'s own frames keep their lines', async () => {
    const result = await run(engine, 'export default function () {\n  return [1].map(() => {\n    throw new TypeError("boom");\n  });\n}\n');
    assert.equal(result.status, 'error');
    assert.match(result.error?.stack ?? '', /:3:/);
    assert.doesNotMatch(result.error?.stack ?? '', /teejs:internal|snapshot/);
  });
});
