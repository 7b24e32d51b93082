// Runs once per process, in a throwaway startup snapshot, to learn which built-in objects V8
// itself changes when it creates a context from a snapshot. V8 leaves some features out of a
// snapshot it is building (those behind "shipping" flags, e.g. Float16Array, Promise.try,
// Atomics.pause) and adds them to every context made from it; it aborts the whole process if
// one of the objects it adds to is frozen or missing. So the sandbox snapshot leaves exactly
// those objects unfrozen, and each sandbox freezes them once V8 is done (see harden.js).
//
// The probe records every reachable object's own properties now (snapshot time); after the
// host made a context from the snapshot, `globalThis.__teejsProbe()` returns, as JSON, for each
// object whose properties changed, the shortest property path from the global object (or a
// hidden intrinsic) to it and the keys V8 added or changed there (a well-known symbol key is
// written "@@name"). The global object itself has the path [].
(function probe(global) {
  'use strict';

  const { getOwnPropertyDescriptor, getPrototypeOf, hasOwn, is } = Object;
  const { ownKeys } = Reflect;

  function shape(object) {
    const slots = new Map();
    for (const key of ownKeys(object)) {
      const descriptor = getOwnPropertyDescriptor(object, key);
      slots.set(key, [hasOwn(descriptor, 'value') ? descriptor.value : descriptor.get, descriptor.set]);
    }
    return slots;
  }

  function wellKnownName(symbol) {
    for (const name of Object.getOwnPropertyNames(Symbol)) if (Symbol[name] === symbol) return `@@${name}`;
    throw new TypeError(`V8 added a property under a symbol that is not well known: ${String(symbol)}`);
  }

  function changedKeys(before, after) {
    const changed = [];
    for (const [key, [value, set]] of after) {
      const old = before.get(key);
      if (old && is(old[0], value) && is(old[1], set)) continue;
      changed.push(typeof key === 'symbol' ? wellKnownName(key) : key);
    }
    for (const key of before.keys()) {
      if (!after.has(key)) throw new TypeError(`V8 removed ${String(key)} from a built-in: the snapshot cannot account for that`);
    }
    return changed;
  }

  // Breadth first, so each object is named by its shortest path ("Error", not a path through
  // URIError's prototype chain). Paths use string keys and "[[Prototype]]" only.
  const recorded = new Map();
  const queue = [[global, []]];
  // Intrinsics no global name leads to, with the names harden.js gives them.
  const hidden = global.__teejsParts.intrinsics();
  delete global.__teejsParts;
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
      const changes = [];
      for (const [object, { path, shape: before }] of recorded) {
        const after = shape(object);
        if (object === global) after.delete('__teejsProbe');
        const added = changedKeys(before, after);
        if (added.length > 0) changes.push({ path, added });
      }
      return JSON.stringify(changes);
    },
  });
})(globalThis);
