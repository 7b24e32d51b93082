// Evaluates to `primordials() => object`: the built-ins the runtime and the capability installers
// use, captured once (as Deno's 00_primordials.js and SES's commons.js capture theirs), so that no
// guest file writes its own prologue of `const arrayPush = Array.prototype.push` lines.
//
// Invariants:
// - It runs inside the startup snapshot before the runtime and every installer (guest/snapshot.js),
//   so before any guest code exists: what it captures is the engine's own built-ins.
// - Naming as Deno's: `ArrayPrototypePush(array, item)` is Array.prototype.push with its receiver
//   as first argument ("uncurried": a guest that later replaces Array.prototype.push, or an own
//   `push` on the array, changes nothing); `ArrayIsArray` is the static; `Map` the constructor;
//   `ObjectPrototype` the prototype itself; `SymbolIterator` the well-known symbol.
// - Nothing V8 adds to each context it makes from the snapshot (Error.isError, Float16Array,
//   Promise.try...: guest/probe.js measures them): they do not exist yet when this runs.
// - Never the clock or randomness: the determinism capability replaces Date and Math.random after
//   this runs, and a capability that reads either must read the replacement from its global.
// - The object and every function it makes are frozen (the built-ins by the harden step, as the
//   rest); it holds only built-ins of this isolate,
//   never a host object (a snapshot can hold none), and no global leads to it: the runtime hands
//   it to installers as `runtime.primordials`, which no installer exposes.
(function primordials() {
  'use strict';

  const { bind, call } = Function.prototype;
  // uncurryThis(f)(self, ...args) is f.call(self, ...args), without reading `call` again later.
  const uncurryThis = bind.bind(call);
  const { create, defineProperty, freeze, getOwnPropertyDescriptor } = Object;

  const captured = create(null);
  const add = (name, value) => {
    // Missing here means V8 adds it to each context later: a capability reads it when installed.
    if (value === undefined) throw new TypeError(`primordials: ${name} does not exist when the snapshot is built`);
    defineProperty(captured, name, { value, enumerable: true });
  };
  // Functions made here are frozen here; the built-ins themselves only by the harden step,
  // which knows which of them V8 still changes in each new context (guest/probe.js).
  const made = (name, value) => add(name, freeze(value));

  // Constructors and namespaces, with the statics and prototype methods the runtime uses.
  const from = {
    Array: { statics: ['isArray'], methods: ['filter', 'includes', 'join', 'map', 'push', 'slice', 'sort', 'splice'] },
    ArrayBuffer: { methods: ['slice', 'transfer'] },
    Boolean: {},
    DataView: {},
    Error: {},
    Map: { methods: ['delete', 'forEach', 'get', 'set'] },
    Number: { statics: ['isFinite', 'isInteger', 'parseInt', 'MAX_SAFE_INTEGER'] },
    Object: { statics: ['create', 'defineProperty', 'freeze', 'getOwnPropertyDescriptor', 'getOwnPropertyNames', 'getPrototypeOf', 'hasOwn', 'keys'], prototype: true },
    Promise: { methods: ['then'] },
    RangeError: {},
    RegExp: { methods: ['test'] },
    Set: { methods: ['add', 'delete', 'forEach', 'has'] },
    String: {
      statics: ['fromCharCode'],
      methods: ['charCodeAt', 'includes', 'indexOf', 'replace', 'slice', 'split', 'toLowerCase', 'toUpperCase', 'toWellFormed'],
    },
    Symbol: { statics: ['iterator', 'toStringTag'], prototype: true },
    TypeError: {},
    Uint16Array: { methods: ['subarray'] },
    Uint8Array: { methods: ['set', 'slice', 'subarray'] },
    WeakMap: { methods: ['get', 'set'] },
    WeakSet: { methods: ['add', 'has'] },
  };
  const namespaces = {
    JSON: ['parse', 'stringify'],
    Reflect: ['apply', 'construct', 'defineProperty', 'ownKeys'],
  };
  const functions = ['decodeURIComponent', 'encodeURIComponent', 'escape', 'unescape'];

  const capitalized = (key) => (key === key.toUpperCase() ? key : `${key[0].toUpperCase()}${key.slice(1)}`);
  for (const name of Object.keys(from)) {
    const { statics = [], methods = [], prototype = false } = from[name];
    const constructor = globalThis[name];
    add(name, constructor);
    if (prototype) add(`${name}Prototype`, constructor.prototype);
    for (const key of statics) add(`${name}${capitalized(key)}`, constructor[key]);
    for (const key of methods) {
      const method = getOwnPropertyDescriptor(constructor.prototype, key)?.value ?? constructor.prototype[key];
      if (typeof method !== 'function') throw new TypeError(`primordials: ${name}.prototype.${key} is not a method`);
      made(`${name}Prototype${capitalized(key)}`, uncurryThis(method));
    }
  }
  for (const name of Object.keys(namespaces)) {
    for (const key of namespaces[name]) add(`${name}${capitalized(key)}`, globalThis[name][key]);
  }
  for (const name of functions) add(name, globalThis[name]);
  // Statics that need their constructor as receiver.
  made('PromiseResolve', bind.call(Promise.resolve, Promise));
  made('PromiseReject', bind.call(Promise.reject, Promise));
  made('uncurryThis', uncurryThis);
  return freeze(captured);
});
