// The web-standard globals inside the isolate, checked against the standards. Where Node
// implements the same standard (URL, URLSearchParams, TextEncoder/TextDecoder, atob/btoa,
// structuredClone), the same inputs go through Node's implementation on the host and both
// answers must be equal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

let engine: Engine;
before(() => {
  engine = makeEngine();
});
after(async () => {
  await engine.drain();
});

/** Runs `body` with `params` in the guest and returns its (JSON) result. */
async function inGuest(body: string, params: unknown = {}): Promise<unknown> {
  return succeeded(await run(engine, moduleOf(body), { params }));
}

const urlInputs: Array<[string, string?]> = [
  ['https://user:pw@EXAMPLE.com:443/a/./b/../c?x=1&y=%20z#frag'],
  ['http://example.com:8080/p?q'],
  ['HTTP://[::FFFF:127.0.0.1]:80/'],
  ['http://0x7f.1/'],
  ['http://2130706433/'],
  ['https://bücher.example/ä?ö=ü#ß'],
  ['../x?y#z', 'https://a.b/c/d/e'],
  ['//other.host/p', 'https://a.b/'],
  ['?only', 'https://a.b/path?old'],
  ['file:///etc/hosts'],
  ['data:text/plain,hello world'],
  ['mailto:someone@example.com'],
  ['blob:https://a.b/uuid'],
  ['https://a.b/%zz/%41'],
  ['  https://trim.me/  '],
  ['https://tab\t.example/'],
  ['not a url'],
  ['https://'],
  ['http://[::1'],
  ['/relative'],
];

describe('URL', () => {
  test('parses exactly as the WHATWG URL standard (Node as the reference)', async () => {
    const components = (url: URL) => [url.href, url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash];
    const expected = urlInputs.map(([input, base]) => {
      const url = URL.parse(input, base);
      return url ? components(url) : null;
    });
    const actual = await inGuest(
      `const components = (url) => [url.href, url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash];
       return params.inputs.map(([input, base]) => { try { return components(new URL(input, base)); } catch (e) { return e instanceof TypeError ? null : 'wrong error'; } });`,
      { inputs: urlInputs },
    );
    assert.deepEqual(actual, expected);
  });

  test('setters, searchParams kept in step, statics, serialisation', async () => {
    const result = await inGuest(`
      const url = new URL('https://example.com/a?x=1#h');
      url.pathname = '/b c';
      url.hash = '';
      url.port = '8443';
      url.hostname = 'EXAMPLE.org';
      url.protocol = 'http';
      url.username = 'me';
      url.searchParams.append('y', 'a b&c');
      const afterAppend = url.href;
      url.search = '?z=9';
      const entries = [...url.searchParams];
      url.searchParams.delete('z');
      const emptied = url.href;
      url.port = 'not a port';
      let badHref;
      try { url.href = 'nope'; } catch (e) { badHref = e.name; }
      return {
        afterAppend, params: entries, emptied, port: url.port, badHref,
        canParse: [URL.canParse('x:'), URL.canParse('/a'), URL.canParse('/a', 'https://b/')],
        parse: [URL.parse('nope'), URL.parse('https://p.example/')?.host],
        json: JSON.stringify({ u: new URL('https://x.y/') }),
        string: String(new URL('a:b')),
        tag: Object.prototype.toString.call(url),
        frozen: Object.isFrozen(URL.prototype) && Object.isFrozen(URL),
        noArgs: (() => { try { new URL(); } catch (e) { return e.name; } })(),
      };`);
    assert.deepEqual(result, {
      afterAppend: 'http://me@example.org:8443/b%20c?x=1&y=a+b%26c',
      params: [['z', '9']],
      emptied: 'http://me@example.org:8443/b%20c',
      port: '8443',
      badHref: 'TypeError',
      canParse: [true, false, true],
      parse: [null, 'p.example'],
      json: '{"u":"https://x.y/"}',
      string: 'a:b',
      tag: '[object URL]',
      frozen: true,
      noArgs: 'TypeError',
    });
  });
});

describe('URLSearchParams', () => {
  const inits: unknown[] = [
    '?a=1&b=2&a=3',
    'a=%zz&b=%C3%A9+x&c=%E2%82&d&=e&&f=',
    'q=a+b%2Bc',
    [['x', '1'], ['y', 'é'], ['x', '~*!\'()']],
    { b: '2', a: '1 +', 'é': 'ü', space: ' ' },
    '',
  ];

  test('parses and serialises as the standard says (Node as the reference)', async () => {
    const describe = (p: URLSearchParams) => ({ string: p.toString(), entries: [...p], size: p.size, a: p.get('a'), all: p.getAll('a'), hasA: p.has('a') });
    const expected = inits.map((init) => describe(new URLSearchParams(init as string)));
    const actual = await inGuest(
      `const describe = (p) => ({ string: p.toString(), entries: [...p], size: p.size, a: p.get('a'), all: p.getAll('a'), hasA: p.has('a') });
       return params.inits.map((init) => describe(new URLSearchParams(init)));`,
      { inits },
    );
    assert.deepEqual(actual, expected);
  });

  test('mutations: append, set, delete (with value), sort (stable), forEach, lone surrogates', async () => {
    const script = (p: URLSearchParams) => {
      p.append('b', '2');
      p.append('a', '1');
      p.append('b', '3');
      p.set('c', 'x');
      p.append('c', 'y');
      p.set('c', 'z');
      p.delete('b', '2');
      p.append('\uD800', '\uDC00x');
      const order: string[] = [];
      p.forEach((value, key) => order.push(`${key}=${value}`));
      p.sort();
      return { string: p.toString(), order, has: [p.has('b', '3'), p.has('b', '2')] };
    };
    const expected = script(new URLSearchParams());
    const actual = await inGuest(`
      const p = new URLSearchParams();
      p.append('b', '2'); p.append('a', '1'); p.append('b', '3'); p.set('c', 'x'); p.append('c', 'y'); p.set('c', 'z');
      p.delete('b', '2'); p.append('\\uD800', '\\uDC00x');
      const order = []; p.forEach((value, key) => order.push(key + '=' + value));
      p.sort();
      return { string: p.toString(), order, has: [p.has('b', '3'), p.has('b', '2')] };`);
    assert.deepEqual(actual, expected);
  });
});

describe('TextEncoder and TextDecoder', () => {
  const byteCases: number[][] = [
    [0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80],
    [0xef, 0xbb, 0xbf, 0x41],
    [0xff, 0xfe, 0x41],
    [0xf0, 0x9f, 0x98, 0x41, 0xc0, 0xe0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
    [0xc2],
    [0x80, 0xbf],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ];

  test('UTF-8 decoding, with replacement of bad bytes and BOM handling (Node as the reference)', async () => {
    const expected = byteCases.map((bytes) => [
      new TextDecoder().decode(new Uint8Array(bytes)),
      new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(bytes)),
      (() => {
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
        } catch (error) {
          return (error as Error).name;
        }
      })(),
    ]);
    const actual = await inGuest(
      `return params.cases.map((bytes) => [
         new TextDecoder().decode(new Uint8Array(bytes)),
         new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(bytes)),
         (() => { try { return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)); } catch (e) { return e.name; } })(),
       ]);`,
      { cases: byteCases },
    );
    assert.deepEqual(actual, expected);
  });

  test('streaming decodes split sequences; other encodings; encoding, encodeInto', async () => {
    const streamed = (() => {
      const decoder = new TextDecoder();
      return decoder.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + decoder.decode(new Uint8Array([0xac, 0xf0, 0x9f]), { stream: true }) + decoder.decode(new Uint8Array([0x98, 0x80]));
    })();
    const utf16 = new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]));
    const utf16be = new TextDecoder('utf-16be').decode(new Uint8Array([0x00, 0x41, 0xd8, 0x00]));
    const latin1 = new TextDecoder('latin1').decode(new Uint8Array([0x41, 0x80, 0x9f, 0xe9]));
    const into = (() => {
      const target = new Uint8Array(5);
      return [new TextEncoder().encodeInto('aé😀', target), Array.from(target)];
    })();
    const encoded = Array.from(new TextEncoder().encode('héllo 😀 \uD800 end'));
    const actual = await inGuest(`
      const decoder = new TextDecoder();
      const streamed = decoder.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + decoder.decode(new Uint8Array([0xac, 0xf0, 0x9f]), { stream: true }) + decoder.decode(new Uint8Array([0x98, 0x80]));
      const utf16 = new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]));
      const utf16be = new TextDecoder('utf-16be').decode(new Uint8Array([0x00, 0x41, 0xd8, 0x00]));
      const latin1 = new TextDecoder('latin1').decode(new Uint8Array([0x41, 0x80, 0x9f, 0xe9]));
      const target = new Uint8Array(5);
      const into = [new TextEncoder().encodeInto('aé😀', target), Array.from(target)];
      const encoded = Array.from(new TextEncoder().encode('héllo 😀 \\uD800 end'));
      let badLabel;
      try { new TextDecoder('klingon'); } catch (e) { badLabel = e.name; }
      return { streamed, utf16, utf16be, latin1, into, encoded, badLabel,
               names: [new TextDecoder(' UTF8 ').encoding, new TextDecoder('ascii').encoding, new TextEncoder().encoding],
               fromView: new TextDecoder().decode(new DataView(new Uint8Array([0x41, 0x42, 0x43]).buffer, 1)) };`);
    assert.deepEqual(actual, {
      streamed,
      utf16,
      utf16be,
      latin1,
      into,
      encoded,
      badLabel: 'RangeError',
      names: ['utf-8', 'windows-1252', 'utf-8'],
      fromView: 'BC',
    });
  });
});

describe('atob and btoa', () => {
  test('RFC 4648 vectors, forgiving decoding, and the errors (Node as the reference)', async () => {
    const encodeInputs = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\u00ff\u00fe\u0000', 'é'];
    const decodeInputs = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy', ' Zm9v\nYmFy\t', 'Zg', 'Zm8', 'Z', 'Zm9v=', 'Zm=9v', 'Zm9v*', '////'];
    const attempt = (fn: () => string) => {
      try {
        return fn();
      } catch (error) {
        return `${(error as Error).name}`;
      }
    };
    const expected = {
      encoded: encodeInputs.map((s) => attempt(() => btoa(s))),
      decoded: decodeInputs.map((s) => attempt(() => atob(s))),
      overLatin1: attempt(() => btoa('€')),
    };
    const actual = await inGuest(
      `const attempt = (fn) => { try { return fn(); } catch (e) { return e.name; } };
       return { encoded: params.enc.map((s) => attempt(() => btoa(s))), decoded: params.dec.map((s) => attempt(() => atob(s))),
                overLatin1: attempt(() => btoa('€')) };`,
      { enc: encodeInputs, dec: decodeInputs },
    );
    assert.deepEqual(actual, expected);
    assert.deepEqual((expected.encoded as string[]).slice(0, 7), ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy']);
    assert.equal(expected.overLatin1, 'InvalidCharacterError');
  });
});

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
