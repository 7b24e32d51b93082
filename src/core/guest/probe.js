// Runs once per process, in a throwaway startup snapshot, to learn which built-in objects V8
// itself changes when it creates a context from a snapshot. V8 leaves some features out of a
// snapshot it is building (those behind "shipping" flags, e.g. Float16Array, Promise.try,
// Atomics.pause) and adds them to every context made from it; it aborts the whole process if
// one of the objects it adds to is frozen or missing. So the sandbox snapshot leaves exactly
// those objects unfrozen, and each sandbox freezes them once V8 is done (see harden.js).
//
// The probe records every reachable object's own properties now (snapshot time); after the
// host made a context from the snapshot, `globalThis.__teejsProbe()` returns, as JSON, the
// shortest property path from the global object to each object whose properties changed.
'use strict';

(function probe(global) {
  const { getOwnPropertyDescriptor, getPrototypeOf, hasOwn, is } = Object;
  const { ownKeys } = Reflect;

  function shape(object) {
    const entries = [];
    for (const key of ownKeys(object)) {
      const descriptor = getOwnPropertyDescriptor(object, key);
      entries.push(key, hasOwn(descriptor, 'value') ? descriptor.value : descriptor.get, descriptor.set);
    }
    return entries;
  }

  function sameShape(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!is(a[i], b[i])) return false;
    return true;
  }

  // Breadth first, so each object is named by its shortest path ("Error", not a path through
  // URIError's prototype chain). Paths use string keys and "[[Prototype]]" only.
  const recorded = new Map();
  const queue = [[global, []]];
  // Intrinsics no global name leads to, with the names harden.js gives them.
  const hidden = {
    GeneratorFunction: getPrototypeOf(function* () {}),
    AsyncFunction: getPrototypeOf(async function () {}),
    AsyncGeneratorFunction: getPrototypeOf(async function* () {}),
    Generator: getPrototypeOf((function* () {})()),
    AsyncGenerator: getPrototypeOf((async function* () {})()),
    ArrayIterator: getPrototypeOf([][Symbol.iterator]()),
    MapIterator: getPrototypeOf(new Map()[Symbol.iterator]()),
    SetIterator: getPrototypeOf(new Set()[Symbol.iterator]()),
    StringIterator: getPrototypeOf(''[Symbol.iterator]()),
    RegExpStringIterator: getPrototypeOf(/x/[Symbol.matchAll]('')),
    ThrowTypeError: getOwnPropertyDescriptor(function () { 'use strict'; return arguments; }(), 'callee').get,
    IteratorHelper: getPrototypeOf([].values().map((x) => x)),
    WrapForValidIterator: getPrototypeOf(Iterator.from({ next() { return { done: true }; } })),
  };
  if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('');
    hidden.Segments = getPrototypeOf(segments);
    hidden.SegmentIterator = getPrototypeOf(segments[Symbol.iterator]());
  }
  for (const name of Object.keys(hidden)) queue.push([hidden[name], [`%${name}%`]]);
  for (let next = 0; next < queue.length; next++) {
    const [object, path] = queue[next];
    if (recorded.has(object)) continue;
    recorded.set(object, { path, shape: shape(object) });
    const prototype = getPrototypeOf(object);
    if (prototype !== null) queue.push([prototype, [...path, '[[Prototype]]']]);
    for (const key of ownKeys(object)) {
      const descriptor = getOwnPropertyDescriptor(object, key);
      const value = descriptor.value;
      if (typeof key === 'string' && value !== null && (typeof value === 'object' || typeof value === 'function')) {
        queue.push([value, [...path, key]]);
      }
    }
  }

  Object.defineProperty(global, '__teejsProbe', {
    configurable: true,
    value() {
      const changed = [];
      for (const [object, { path, shape: before }] of recorded) {
        if (object !== global && object !== getOwnPropertyDescriptor(global, '__teejsProbe').value && !sameShape(before, shape(object))) {
          changed.push(path);
        }
      }
      return JSON.stringify(changed);
    },
  });
})(globalThis);
