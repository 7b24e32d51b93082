// The web platform basics inside the isolate (ext/web: structuredClone, queueMicrotask,
// AbortController and AbortSignal, Event, EventTarget, DOMException) and `self`, checked against
// the standards. structuredClone's inputs also go through Node's implementation on the host and
// both answers must be equal. URL: url.test.ts; TextEncoder, atob: encoding.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import { engineOfFile, failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const { engine, inGuest } = engineOfFile();

describe('structuredClone', () => {
  test('clones the supported types, keeps shared and circular references', async () => {
    const result = await inGuest(`
      const shared = { s: 1 };
      const bytes = new Uint8Array([1, 2, 3, 4]);
      const source = {
        date: new Date(86400000), regexp: /a+b/gi, map: new Map([[shared, 'v']]), set: new Set([shared, 2]),
        view: bytes.subarray(1, 3), sameBuffer: new DataView(bytes.buffer, 2), big: 12n, boxed: new String('s'),
        error: new RangeError('r', { cause: 'c' }), dom: new DOMException('m', 'AbortError'),
        array: [1, , 3], nested: { deep: { deeper: [shared] } }, undef: undefined, neg0: -0, nan: NaN,
      };
      source.self = source;
      const copy = structuredClone(source);
      return {
        distinct: copy !== source && copy.nested !== source.nested,
        self: copy.self === copy,
        date: copy.date instanceof Date && copy.date.getTime(),
        regexp: [copy.regexp instanceof RegExp, copy.regexp.source, copy.regexp.flags],
        mapKeyShared: [...copy.map.keys()][0] === [...copy.set][0] && copy.nested.deep.deeper[0] === [...copy.set][0],
        view: [copy.view instanceof Uint8Array, Array.from(copy.view), copy.view.byteOffset],
        sameBuffer: copy.sameBuffer.buffer === copy.view.buffer && copy.view.buffer !== bytes.buffer,
        big: typeof copy.big, boxed: [typeof copy.boxed, String(copy.boxed)],
        error: [copy.error instanceof RangeError, copy.error.message, copy.error.cause],
        dom: [copy.dom instanceof DOMException, copy.dom.name, copy.dom.code],
        hole: 1 in copy.array, length: copy.array.length, undef: 'undef' in copy && copy.undef === undefined,
        neg0: Object.is(copy.neg0, -0), nan: Number.isNaN(copy.nan),
      };`);
    assert.deepEqual(result, {
      distinct: true,
      self: true,
      date: 86400000,
      regexp: [true, 'a+b', 'gi'],
      mapKeyShared: true,
      view: [true, [2, 3], 1],
      sameBuffer: true,
      big: 'bigint',
      boxed: ['object', 's'],
      error: [true, 'r', 'c'],
      dom: [true, 'AbortError', 20],
      hole: false,
      length: 3,
      undef: true,
      neg0: true,
      nan: true,
    });
  });

  test('refuses what cannot be cloned with a DataCloneError; transfers ArrayBuffers', async () => {
    const result = await inGuest(`
      const refused = [() => {}, Symbol('s'), new WeakMap(), Promise.resolve(), { f() {} }, new AbortController(), new Event('x'),
        new URL('https://example.com/'), new URLSearchParams('a=1'), new Headers(), new Response('x'), new TextDecoder()].map((value) => {
        try { structuredClone(value); return 'cloned'; } catch (e) { return [e.name, e instanceof DOMException, e.code]; }
      });
      const buffer = new Uint8Array([5, 6]).buffer;
      const moved = structuredClone({ buffer }, { transfer: [buffer] });
      let twice;
      try { structuredClone(1, { transfer: [moved.buffer, moved.buffer] }); } catch (e) { twice = e.name; }
      class Point { constructor() { this.x = 1; } }
      return { refused, transfer: [buffer.byteLength, Array.from(new Uint8Array(moved.buffer))], twice,
               instance: structuredClone(new Point()) };`);
    const refusal = ['DataCloneError', true, 25];
    assert.deepEqual(result, {
      refused: Array(12).fill(refusal),
      transfer: [0, [5, 6]],
      twice: 'DataCloneError',
      instance: { x: 1 },
    });
  });
});

describe('queueMicrotask', () => {
  test('runs after the current task, before timers, in order', async () => {
    const result = await inGuest(`
      const order = [];
      setTimeout(() => order.push('timer'), 0);
      queueMicrotask(() => order.push('micro 1'));
      Promise.resolve().then(() => order.push('promise'));
      queueMicrotask(() => order.push('micro 2'));
      order.push('sync');
      await new Promise((resolve) => setTimeout(resolve, 10));
      let bad;
      try { queueMicrotask('code'); } catch (e) { bad = e.name; }
      return { order, bad };`);
    assert.deepEqual(result, { order: ['sync', 'micro 1', 'promise', 'micro 2', 'timer'], bad: 'TypeError' });
  });

  test('a throwing microtask ends the execution with its error, as an uncaught exception', async () => {
    const result = await run(engine, moduleOf(`queueMicrotask(() => { throw new Error('from a microtask'); }); await new Promise((r) => setTimeout(r, 50)); return 'not reached';`));
    const error = failed(result, 'RUNTIME_ERROR');
    assert.match(error.message, /from a microtask/);
  });
});

describe('AbortController, AbortSignal, Event, EventTarget, DOMException', () => {
  test('abort fires listeners and onabort once, with a reason', async () => {
    const result = await inGuest(`
      const controller = new AbortController();
      const { signal } = controller;
      const seen = [];
      signal.addEventListener('abort', (event) => seen.push([event.type, event.target === signal, event instanceof Event]));
      signal.addEventListener('abort', { handleEvent: () => seen.push('object listener') }, { once: true });
      signal.onabort = () => seen.push('onabort');
      controller.abort();
      controller.abort('again');
      let thrown;
      try { signal.throwIfAborted(); } catch (e) { thrown = e; }
      return { seen, aborted: signal.aborted, reason: [signal.reason.name, signal.reason instanceof DOMException, signal.reason.code],
               same: thrown === signal.reason, notAborted: new AbortController().signal.aborted,
               illegal: (() => { try { new AbortSignal(); } catch (e) { return e.name; } })() };`);
    assert.deepEqual(result, {
      seen: [['abort', true, true], 'object listener', 'onabort'],
      aborted: true,
      reason: ['AbortError', true, 20],
      same: true,
      notAborted: false,
      illegal: 'TypeError',
    });
  });

  test('AbortSignal.abort, .timeout and .any', async () => {
    const result = await inGuest(`
      const given = AbortSignal.abort('why');
      const timed = AbortSignal.timeout(20);
      const controller = new AbortController();
      const any = AbortSignal.any([controller.signal, timed]);
      const early = AbortSignal.any([given]);
      await new Promise((resolve) => timed.addEventListener('abort', resolve));
      return { given: [given.aborted, given.reason], timed: timed.reason.name, any: [any.aborted, any.reason === timed.reason],
               early: early.reason, controllerUntouched: controller.signal.aborted };`);
    assert.deepEqual(result, {
      given: [true, 'why'],
      timed: 'TimeoutError',
      any: [true, true],
      early: 'why',
      controllerUntouched: false,
    });
  });

  test('EventTarget: once, remove, { signal }, dispatch result, subclassing', async () => {
    const result = await inGuest(`
      class Emitter extends EventTarget {}
      const target = new Emitter();
      const log = [];
      const listener = (e) => log.push('plain ' + e.type);
      target.addEventListener('ping', listener);
      target.addEventListener('ping', listener);
      target.addEventListener('ping', () => log.push('once'), { once: true });
      const controller = new AbortController();
      target.addEventListener('ping', () => log.push('until aborted'), { signal: controller.signal });
      target.addEventListener('ping', (e) => e.preventDefault());
      const first = target.dispatchEvent(new Event('ping', { cancelable: true }));
      controller.abort();
      target.removeEventListener('ping', listener);
      const second = target.dispatchEvent(new Event('ping'));
      return { log, first, second, isTarget: target instanceof EventTarget };`);
    assert.deepEqual(result, { log: ['plain ping', 'once', 'until aborted'], first: false, second: true, isTarget: true });
  });

  test('DOMException: name, message, legacy code, an Error', async () => {
    const result = await inGuest(`
      const e = new DOMException('bad', 'NotFoundError');
      const plain = new DOMException();
      return [e.name, e.message, e.code, e instanceof Error, String(e), plain.name, plain.code, DOMException.ABORT_ERR, typeof e.stack];`);
    assert.deepEqual(result, ['NotFoundError', 'bad', 8, true, 'NotFoundError: bad', 'Error', 0, 20, 'string']);
  });
});

describe('the new globals are hardened like the rest', () => {
  test('classes and prototypes are frozen, and instances hold no host objects', async () => {
    const result = await inGuest(`
      const names = ['URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'Headers', 'Request', 'Response', 'AbortController',
        'AbortSignal', 'Event', 'EventTarget', 'DOMException', 'CryptoKey', 'SubtleCrypto', 'fetch', 'atob', 'btoa', 'structuredClone', 'queueMicrotask'];
      const notFrozen = names.filter((name) => !Object.isFrozen(globalThis[name]) || (globalThis[name].prototype && !Object.isFrozen(globalThis[name].prototype)));
      const url = new URL('https://x.example/');
      let write;
      try { URL.prototype.toString = () => 'hacked'; } catch (e) { write = e.name; }
      return { notFrozen, write, ownKeys: Reflect.ownKeys(url).length, subtleFrozen: Object.isFrozen(crypto.subtle) && Object.isFrozen(crypto) };`);
    assert.deepEqual(result, { notFrozen: [], write: 'TypeError', ownKeys: 0, subtleFrozen: true });
  });
});

describe('self', () => {
  let selfEngine: Engine;
  before(() => {
    selfEngine = makeEngine();
  });
  after(() => selfEngine.drain());

  test('is the global object, as bundled libraries expect, and not frozen with the built-ins', async () => {
    const value = succeeded(
      await run(
        selfEngine,
        moduleOf(`
          // lodash's way of finding the global object, which avoids Function('return this').
          const freeSelf = typeof self == 'object' && self && self.Object === Object && self;
          self.counter = 1;
          const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'self');
          return { same: self === globalThis, found: freeSelf === globalThis, counter: counter, frozen: Object.isFrozen(self),
            writable: descriptor.writable, enumerable: descriptor.enumerable };
        `),
      ),
    );
    assert.deepEqual(value, { same: true, found: true, counter: 1, frozen: false, writable: true, enumerable: false });
  });

  test('what one execution puts on self is gone in the next', async () => {
    assert.equal(succeeded(await run(selfEngine, moduleOf('self.leftover = 42; return 1;'))), 1);
    assert.equal(succeeded(await run(selfEngine, moduleOf("return typeof self.leftover;"))), 'undefined');
  });

  test('a script may shadow it', async () => {
    assert.equal(succeeded(await run(selfEngine, 'function main() { const self = 5; return self + 1; }')), 6);
  });
});
