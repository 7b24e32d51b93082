// Capabilities installed on first use (fetch, URL, encoding, web events) behave like the ones
// installed at bootstrap: frozen, guest-owned bindings, no trace of the laziness left behind.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Engine } from '../../src/core/index.ts';

const engine = new Engine();
after(() => engine.close());

const run = async (body: string) => {
  const result = await engine.execute({ source: `export default () => { ${body} }` });
  assert.equal(result.status, 'success', JSON.stringify(result.error));
  return result.result;
};

test('a lazily installed capability is frozen like every other intrinsic once used', async () => {
  const frozen = await run(`
    return [URL, URLSearchParams, TextEncoder, TextDecoder, Headers, Request, Response, AbortController, EventTarget, DOMException]
      .map((C) => Object.isFrozen(C) && Object.isFrozen(C.prototype))
      .concat([Object.isFrozen(fetch), Object.isFrozen(atob), Object.isFrozen(structuredClone)]);
  `);
  assert.ok((frozen as boolean[]).every(Boolean), JSON.stringify(frozen));
  const modify = await run(`
    const attempts = [() => { URL.prototype.toString = () => 'x' }, () => { Headers.prototype.evil = 1 }, () => { fetch.x = 1 }];
    return attempts.map((attempt) => { try { attempt(); return 'changed' } catch (e) { return e.name } });
  `);
  assert.deepEqual(modify, ['TypeError', 'TypeError', 'TypeError']);
});

test('after first use the global is a plain data property; before, listing globals installs nothing', async () => {
  const result = await run(`
    const before = Object.getOwnPropertyDescriptor(globalThis, 'URL');
    const names = Object.getOwnPropertyNames(globalThis).includes('URL');
    new URL('https://example.com/a');
    const after = Object.getOwnPropertyDescriptor(globalThis, 'URL');
    return { names, before: typeof before.get, after: typeof after.value, writable: after.writable };
  `);
  assert.deepEqual(result, { names: true, before: 'function', after: 'function', writable: true });
});

test('a guest may replace a lazy global before using it, and capabilities still work', async () => {
  const result = await run(`
    globalThis.URL = 'mine';
    let TextEncoder = 5;
    return [URL, TextEncoder, typeof Headers, new Response('ok').status];
  `);
  assert.deepEqual(result, ['mine', 5, 'function', 200]);
});
