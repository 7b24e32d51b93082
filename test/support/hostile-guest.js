// Guest half of the host-bridge fuzz test (test/core/host-bridge.fuzz.test.ts): plain JavaScript
// injected into a function's source and run inside the isolate, never on the host. It turns the
// recipes of test/support/hostile.ts (JSON) into hostile values, calls one guest-reachable
// operation per step, and reports each step's outcome as plain data, so one execution carries a
// whole batch of calls. Invariants:
// - every call is wrapped: whatever an operation throws or rejects with is recorded, never thrown;
// - callbacks handed to operations never throw (a throwing timer or listener callback ends the
//   execution by design, which would end the batch, not exercise the host);
// - anything an operation returns or throws that the guest did not make itself is walked and
//   checked for objects from outside the isolate (see leaksOf).
async function fuzzBatch(plan) {
  'use strict';

  class Hostile extends Error {}
  Object.defineProperty(Hostile.prototype, 'name', { value: 'Hostile' });
  const hostile = (where) => {
    throw new Hostile(where);
  };

  // Everything the recipes built: the guest's own values, exempt from the leak walk.
  const inputs = new WeakSet();
  const own = (value) => {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) inputs.add(value);
    return value;
  };

  const numbers = {
    NaN: NaN,
    '-0': -0,
    Infinity: Infinity,
    '-Infinity': -Infinity,
    '2**53': 2 ** 53,
    '2**53+2': 2 ** 53 + 2,
    '-(2**53)': -(2 ** 53),
    '2**31': 2 ** 31,
    '2**31-1': 2 ** 31 - 1,
    '2**32': 2 ** 32,
    '2**32+1': 2 ** 32 + 1,
    MAX_VALUE: Number.MAX_VALUE,
    MIN_VALUE: Number.MIN_VALUE,
    EPSILON: Number.EPSILON,
  };

  // One copy of each huge string per batch: the allocation is the cost, not the interest.
  const hugeStrings = new Map();
  function huge(length, char) {
    const key = `${length}:${char}`;
    if (!hugeStrings.has(key)) hugeStrings.set(key, char.repeat(length));
    return hugeStrings.get(key);
  }

  const looping = () => {
    for (;;);
  };

  function primitiveHook(mode, seed) {
    let calls = 0;
    switch (mode) {
      case 'throw':
        return () => hostile('toPrimitive');
      case 'object':
        return () => ({});
      case 'symbol':
        return () => Symbol('from toPrimitive');
      case 'flip':
        // A different answer each time: a check and a later use see different values.
        return () => (calls++ % 2 === 0 ? 'https://a.example/' + seed : huge(3 * 1024 * 1024, 'f'));
      case 'huge':
        return () => huge(2 * 1024 * 1024 + 1, 'h');
      case 'number':
        return () => (calls++ % 2 === 0 ? 1 : -1);
      case 'loop':
        return looping;
      default:
        return () => seed;
    }
  }

  function buffer(length, kind) {
    if (kind === 'resizable') return new ArrayBuffer(length, { maxByteLength: length * 2 + 8 });
    return new ArrayBuffer(length);
  }

  const typedArrays = {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
  };

  function build(recipe) {
    switch (recipe.t) {
      case 'undefined':
        return undefined;
      case 'null':
        return null;
      case 'bool':
        return recipe.v;
      case 'num':
        return typeof recipe.v === 'string' ? numbers[recipe.v] : recipe.v;
      case 'str':
        return recipe.v;
      case 'huge':
        return huge(recipe.n, recipe.c);
      case 'big':
        return BigInt(recipe.v);
      case 'sym':
        return recipe.well ? Symbol[recipe.well] : Symbol(recipe.v);
      case 'arr':
        return own(recipe.items.map(build));
      case 'obj': {
        const object = recipe.nullProto ? Object.create(null) : {};
        for (const [key, value] of recipe.entries) Object.defineProperty(object, key, { value: build(value), enumerable: true, writable: true, configurable: true });
        return own(object);
      }
      case 'sparse': {
        const array = [];
        array.length = recipe.len;
        for (const [index, value] of recipe.at) array[index % recipe.len] = build(value);
        return own(array);
      }
      case 'many': {
        const object = {};
        for (let i = 0; i < recipe.n; i++) object[recipe.prefix + i] = i % 3 === 0 ? i : `v${i}`;
        return own(object);
      }
      case 'deep': {
        let value = build(recipe.leaf);
        for (let i = 0; i < recipe.depth; i++) value = own(recipe.arr ? [value] : { [recipe.key]: value });
        return value;
      }
      case 'cyclic': {
        const object = own({});
        const array = own([object]);
        object.self = object;
        object.list = array;
        Object.defineProperty(object, recipe.key, { value: object, enumerable: true, writable: true, configurable: true });
        array.push(array);
        return recipe.arr ? array : object;
      }
      case 'bytes': {
        const backing = own(buffer(recipe.len, recipe.buffer));
        const Ctor = typedArrays[recipe.type];
        const view = Ctor === undefined ? backing : own(new Ctor(backing, 0, Ctor === DataView ? recipe.len : Math.floor(recipe.len / Ctor.BYTES_PER_ELEMENT)));
        if (recipe.buffer === 'resizable' && recipe.shrink) backing.resize(0); // the view is now out of bounds
        if (recipe.detach) backing.transfer(); // the view's buffer is now detached
        return view;
      }
      case 'proxy':
        return own(new Proxy(proxyTarget(recipe.target), handler(recipe.trap)));
      case 'revoked': {
        const { proxy, revoke } = Proxy.revocable(proxyTarget(recipe.target), {});
        revoke();
        return own(proxy);
      }
      case 'getter': {
        const object = {};
        let reads = 0;
        for (const key of recipe.keys) {
          Object.defineProperty(object, key, {
            enumerable: true,
            configurable: true,
            get: () => {
              reads++;
              if (recipe.mode === 'throw') hostile(`get ${key}`);
              if (recipe.mode === 'loop') looping();
              // flip: the first read sees harmless data, later ones something else entirely
              return reads % 2 === 1 ? build(recipe.first) : build(recipe.then);
            },
          });
        }
        return own(object);
      }
      case 'prim': {
        const hook = primitiveHook(recipe.mode, recipe.seed);
        const object = { toString: hook, valueOf: hook };
        if (recipe.toPrimitive) object[Symbol.toPrimitive] = hook;
        if (recipe.asArray) return own(Object.assign(own([]), object));
        return own(object);
      }
      case 'fn': {
        const fn = recipe.mode === 'returns' ? () => build(recipe.value) : function () {};
        if (recipe.props) Object.assign(fn, { handleEvent: fn, name2: 'x' });
        return own(fn);
      }
      case 'date':
        return own(new Date(recipe.v));
      case 'error':
        return own(new (recipe.range ? RangeError : Error)(recipe.v));
      case 'regexp':
        return own(/a+b/g);
      case 'map':
        return own(new Map([[build(recipe.key), build(recipe.value)]]));
      case 'promise': {
        // Promise.resolve of a hostile thenable or proxy rejects rather than throws: handled
        // here, since an unhandled rejection ends the execution (as it does in Node).
        const promise = Promise.resolve(build(recipe.value));
        promise.catch(noop);
        return own(promise);
      }
      case 'thenable':
        return own({ then: (resolve) => resolve(build(recipe.value)) });
      case 'platform': {
        // The capabilities' own classes handed back to them (and to the others).
        const makers = {
          url: () => new URL('https://a.example/p?q=1#h'),
          params: () => new URLSearchParams('a=1&b=2'),
          headers: () => new Headers({ 'x-a': '1' }),
          request: () => new Request('https://a.example/', { method: 'POST', body: 'b' }),
          response: () => new Response('body'),
          controller: () => new AbortController(),
          signal: () => AbortSignal.abort(build(recipe.value)),
          event: () => new Event('abort'),
          target: () => new EventTarget(),
          exception: () => new DOMException('m', 'DataCloneError'),
          encoder: () => new TextEncoder(),
          decoder: () => new TextDecoder(),
        };
        return own(makers[recipe.kind]());
      }
      default:
        throw new Error(`unknown recipe ${recipe.t}`);
    }
  }

  /** A Proxy needs an object: a primitive becomes the `value` of one. */
  function proxyTarget(recipe) {
    const value = build(recipe);
    return value !== null && (typeof value === 'object' || typeof value === 'function') ? value : own({ value });
  }

  function handler(trap) {
    if (trap === 'pass') return {};
    const names = ['get', 'set', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'defineProperty', 'deleteProperty', 'apply', 'construct', 'isExtensible', 'preventExtensions'];
    const traps = {};
    for (const name of names) {
      if (trap === 'throw') traps[name] = () => hostile(`trap ${name}`);
      else if (trap === 'loop') traps[name] = looping;
    }
    if (trap === 'lie') {
      // Answers that contradict each other: keys that do not exist, lengths that are huge.
      traps.get = (target, key) => (key === 'length' || key === 'byteLength' ? 2 ** 32 : key === Symbol.iterator ? undefined : 'lie');
      traps.has = () => true;
      traps.ownKeys = (target) => Reflect.ownKeys(target);
      traps.getPrototypeOf = () => Uint8Array.prototype;
    }
    return traps;
  }

  // ---- the operations a guest can reach ------------------------------------------------------

  const noop = () => {};
  const callback = (value) => (typeof value === 'function' ? noop : value);
  const origin = plan.origin;
  let hmacKey = null;
  let aesKey = null;
  const keys = async () => {
    hmacKey ??= await crypto.subtle.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
    aesKey ??= await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', true, ['encrypt', 'decrypt']);
  };
  const urlSetters = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];

  const ops = {
    'console.log': (a, b, c) => console.log(a, b, c),
    'console.error': (a) => console.error(a),
    'console.debug': (a, b) => console.debug(`%s`, a, b),
    'secrets.get': (a) => secrets.get(a),
    'crypto.sha256': (a) => crypto.sha256(a),
    'crypto.randomBytes': (a) => crypto.randomBytes(a),
    'crypto.randomUUID': (a) => crypto.randomUUID(a),
    'crypto.getRandomValues': (a) => crypto.getRandomValues(a),
    'subtle.digest': (a, b) => crypto.subtle.digest(a, b),
    'subtle.digest.sha256': (b) => crypto.subtle.digest('SHA-256', b),
    'subtle.importKey': (a, b, c, d, e) => crypto.subtle.importKey(a, b, c, d, e),
    'subtle.importKey.raw': (b, c, e) => crypto.subtle.importKey('raw', b, c, true, e),
    'subtle.importKey.jwk': (b, c) => crypto.subtle.importKey('jwk', b, c, true, ['verify']),
    'subtle.generateKey': (a, b, c) => crypto.subtle.generateKey(a, b, c),
    'subtle.exportKey': async (a) => (await keys(), crypto.subtle.exportKey(a, hmacKey)),
    'subtle.exportKey.any': (a, b) => crypto.subtle.exportKey(a, b),
    'subtle.sign': async (a, c) => (await keys(), crypto.subtle.sign(a, hmacKey, c)),
    'subtle.verify': async (a, b, c) => (await keys(), crypto.subtle.verify(a, hmacKey, b, c)),
    'subtle.encrypt': async (a, c) => (await keys(), crypto.subtle.encrypt(a, aesKey, c)),
    'subtle.decrypt': async (a, c) => (await keys(), crypto.subtle.decrypt(a, aesKey, c)),
    'subtle.deriveBits': async (a, b) => (await keys(), crypto.subtle.deriveBits(a, hmacKey, b)),
    'subtle.deriveKey': async (a, b, c) => (await keys(), crypto.subtle.deriveKey(a, hmacKey, b, true, c)),
    setTimeout: (f, d, x) => setTimeout(callback(f), d, x),
    'setTimeout.cleared': (f, d) => clearTimeout(setTimeout(callback(f), d)),
    'setInterval.cleared': (f, d) => clearInterval(setInterval(callback(f), d)),
    clearTimeout: (a) => clearTimeout(a),
    clearInterval: (a) => clearInterval(a),
    queueMicrotask: (f) => queueMicrotask(callback(f)),
    fetch: (a, b) => fetch(a, b),
    'fetch.loopback': (b) => fetch(`${origin}/echo`, b),
    'fetch.loopback.text': async (b) => (await fetch(`${origin}/echo`, b)).text(),
    URL: (a, b) => new URL(a, b),
    'URL.base': (b) => new URL('/p?q#h', b),
    'URL.canParse': (a, b) => URL.canParse(a, b),
    'URL.parse': (a, b) => URL.parse(a, b),
    'URL.set': (k, v) => {
      const url = new URL('https://user:pw@a.example:8080/p?q=1#h');
      url[urlSetters[(typeof k === 'number' && k >= 0 ? k : 0) % urlSetters.length] ?? 'href'] = v;
      return url.href;
    },
    'URL.searchParams': (a, b) => {
      const url = new URL('https://a.example/?x=1');
      url.searchParams.append(a, b);
      url.searchParams.sort();
      return url.href;
    },
    URLSearchParams: (a) => new URLSearchParams(a).toString(),
    'URLSearchParams.methods': (a, b) => {
      const search = new URLSearchParams('a=1&b=2');
      search.set(a, b);
      search.delete(b, a);
      search.forEach(callback(a));
      return [search.get(a), search.has(b), search.getAll(a), search.size];
    },
    TextEncoder: (a) => new TextEncoder().encode(a),
    'TextEncoder.encodeInto': (a, b) => new TextEncoder().encodeInto(a, b),
    TextDecoder: (a, b) => new TextDecoder(a, b).encoding,
    'TextDecoder.decode': (a, b) => new TextDecoder().decode(a, b),
    'TextDecoder.label': (l, a, o) => new TextDecoder(l, o).decode(a),
    'TextDecoder.stream': (a, b) => {
      const decoder = new TextDecoder('utf-16le', { fatal: false });
      return decoder.decode(a, { stream: true }) + decoder.decode(b);
    },
    atob: (a) => atob(a),
    btoa: (a) => btoa(a),
    structuredClone: (a, b) => structuredClone(a, b),
    'structuredClone.transfer': (a, b) => structuredClone(a, { transfer: b }),
    Headers: (a) => new Headers(a),
    'Headers.methods': (a, b) => {
      const headers = new Headers();
      headers.append(a, b);
      headers.set(b, a);
      headers.forEach(callback(a));
      return [headers.get(a), headers.has(b), headers.getSetCookie(), [...headers]];
    },
    Request: (a, b) => new Request(a, b),
    'Request.body': async (b, how) => new Request('https://a.example/', { method: 'POST', body: b })[bodyMethod(how)](),
    'Request.clone': (a, b) => new Request(a, b).clone(),
    Response: (a, b) => new Response(a, b),
    'Response.body': async (b, how) => new Response(b)[bodyMethod(how)](),
    'Response.json': (a, b) => Response.json(a, b),
    'Response.redirect': (a, b) => Response.redirect(a, b),
    'Response.clone': (a, b) => new Response(a, b).clone(),
    'AbortController.abort': (a) => {
      const controller = new AbortController();
      controller.signal.addEventListener('abort', noop);
      controller.abort(a);
      return controller.signal.aborted;
    },
    'AbortSignal.abort': (a) => AbortSignal.abort(a).throwIfAborted(),
    'AbortSignal.timeout': (a) => AbortSignal.timeout(a),
    'AbortSignal.any': (a) => AbortSignal.any(a),
    Event: (a, b) => new Event(a, b),
    'EventTarget.listen': (a, b, c) => {
      const target = new EventTarget();
      const listener = callback(b);
      target.addEventListener(a, listener, c);
      // A hostile listener object (a revoked proxy, a throwing handleEvent getter) throws when
      // dispatched to, as the guest's own code: an uncaught error that ends the execution
      // RUNTIME_ERROR, by design. Only dispatch to listeners that cannot throw.
      if (listener === noop || listener === null || listener === undefined) target.dispatchEvent(new Event(typeof a === 'string' ? a : 'x'));
      target.removeEventListener(a, listener, c);
    },
    'EventTarget.dispatch': (a) => new EventTarget().dispatchEvent(a),
    DOMException: (a, b) => new DOMException(a, b),
  };

  function bodyMethod(how) {
    const methods = ['text', 'json', 'arrayBuffer', 'bytes'];
    return methods[(typeof how === 'number' && how >= 0 ? how : 0) % methods.length] ?? 'text';
  }

  // ---- checking what came back ---------------------------------------------------------------

  // What existed before any operation ran: the intrinsics and every capability (lazy ones are
  // installed by touching them first). Anything else an operation hands over is walked.
  const known = new WeakSet();
  void [URL, URLSearchParams, Headers, Request, Response, fetch, TextEncoder, TextDecoder, atob, btoa,
    AbortController, AbortSignal, DOMException, Event, EventTarget, structuredClone, queueMicrotask];
  {
    const queue = [globalThis];
    while (queue.length > 0) {
      const value = queue.pop();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || known.has(value)) continue;
      known.add(value);
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
        if ('value' in descriptor) queue.push(descriptor.value);
        else queue.push(descriptor.get, descriptor.set);
      }
      queue.push(Object.getPrototypeOf(value));
    }
    for (const F of [async function () {}, function* () {}, async function* () {}]) {
      known.add(Object.getPrototypeOf(F));
      if (F.prototype !== undefined) known.add(Object.getPrototypeOf(F.prototype));
    }
  }

  const ivmTag = /Reference|ExternalCopy|Callback|Isolate|Context|NativeModule/;
  const objectTag = Object.prototype.toString;

  /** Why `root` (a value an operation made) is not plainly the guest's own, or an empty list. */
  function leaksOf(root) {
    const found = [];
    const seen = new Set();
    const queue = [root];
    let budget = 200;
    while (queue.length > 0 && budget-- > 0) {
      const value = queue.pop();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function')) continue;
      if (seen.has(value) || known.has(value) || inputs.has(value)) continue;
      seen.add(value);
      try {
        const tag = Reflect.apply(objectTag, value, []);
        if (ivmTag.test(tag)) found.push(`tag ${tag}`);
        const proto = Object.getPrototypeOf(value);
        if (proto === null && Object.hasOwn(value, 'hasOwnProperty')) found.push('a foreign Object.prototype');
        queue.push(proto);
        // The spec's own test: a constructor reached from here refuses to compile code, as the
        // frozen Function does. A host Function would compile, or throw the host's EvalError.
        const C = value.constructor;
        if (typeof C === 'function' && !inputs.has(C)) {
          try {
            C.constructor('return 1');
            found.push('a Function constructor that compiles');
          } catch (error) {
            if (!(error instanceof EvalError)) found.push(`constructor.constructor threw ${String(error && error.name)}`);
          }
        }
        // A typed array's elements are numbers: listing a megabyte of index keys finds nothing.
        if (ArrayBuffer.isView(value)) continue;
        const ownKeys = Reflect.ownKeys(value);
        for (let i = 0; i < ownKeys.length && i < 200; i++) {
          const descriptor = Reflect.getOwnPropertyDescriptor(value, ownKeys[i]);
          if ('value' in descriptor) queue.push(descriptor.value);
          else queue.push(descriptor.get, descriptor.set);
        }
      } catch (error) {
        found.push(`walking threw ${error instanceof Error ? error.name : typeof error}`);
      }
    }
    return found;
  }

  function describeThrow(error) {
    if (inputs.has(error)) return { name: '(own value)' }; // e.g. an abort reason the guest chose
    if (!(error instanceof Error)) return { name: `(non-Error ${typeof error})` };
    let name;
    let message;
    let code;
    try {
      name = String(error.name);
      message = String(error.message).slice(0, 160);
      code = error.code;
    } catch {
      name = '(unreadable)';
    }
    return { name, message, code: typeof code === 'string' ? code : undefined };
  }

  // ---- the batch ------------------------------------------------------------------------------

  const outcomes = [];
  for (const step of plan.calls) {
    const outcome = { op: step.op };
    const started = Date.now();
    let args;
    try {
      args = step.args.map(build);
    } catch (error) {
      const { name, message } = describeThrow(error);
      outcome.build = `${name}: ${message}`;
      outcomes.push(outcome);
      continue;
    }
    try {
      let value = ops[step.op](...args);
      if (value !== null && typeof value === 'object' && typeof value.then === 'function' && !inputs.has(value)) {
        const leaks = leaksOf(value);
        if (leaks.length > 0) outcome.leaks = leaks;
        // An answer that never comes is reported for this call, not as the whole batch's TIMEOUT.
        let timer;
        const late = new Promise((resolve) => {
          timer = setTimeout(() => resolve(late), plan.callTimeoutMs);
        });
        value = await Promise.race([value, late]);
        clearTimeout(timer);
        if (value === late) outcome.hung = true;
      }
      outcome.ok = true;
      outcome.type = typeof value;
      const leaks = leaksOf(value);
      if (leaks.length > 0) outcome.leaks = [...(outcome.leaks ?? []), ...leaks];
    } catch (error) {
      Object.assign(outcome, { ok: false }, describeThrow(error));
      if (!inputs.has(error)) {
        const leaks = leaksOf(error);
        if (leaks.length > 0) outcome.leaks = leaks;
      }
    }
    outcome.ms = Date.now() - started;
    outcomes.push(outcome);
  }
  return outcomes;
}
