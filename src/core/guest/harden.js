// Evaluates to `harden(global, exposed, v8Changes, hidden, overrides) => { freezeReachable, finish }`. It runs once
// per process, inside the startup snapshot every sandbox is made from (guest/snapshot.js), after
// the capabilities are installed and before any guest code exists; `finish` runs in each sandbox
// once V8 has made its context, still before any guest code. Afterwards:
//  - the global object holds only standard ECMAScript built-ins and the exposed capabilities;
//  - code generation from strings (eval, every Function constructor) throws a catchable EvalError;
//  - every intrinsic reachable from the global object (and the hidden ones) is frozen, with the
//    "override mistake" tamed by a rule derived from the intrinsics (below), so `obj.toString = f`,
//    `regexp.exec = f` or `map.set = f` still work on guest objects; `overrides` is null except
//    in the benchmark's comparisons (snapshot.ts);
//  - assignments to undeclared names in strict code create ordinary globals (implicit globals),
//    while reads of undeclared names still throw ReferenceError.
(function harden(global, exposed, v8Changes, hidden, overrides) {
  'use strict';

  const {
    create,
    defineProperty,
    freeze,
    getOwnPropertyDescriptor,
    getOwnPropertyNames,
    getPrototypeOf,
    hasOwn,
    setPrototypeOf,
  } = Object;
  const { apply, ownKeys } = Reflect;
  const arrayPush = Array.prototype.push;

  // Standard ECMAScript globals a guest may keep. Everything else the engine puts on a fresh
  // global (V8's own console, SharedArrayBuffer, Atomics, WebAssembly, ...) is deleted.
  // FinalizationRegistry is left out on purpose: its callbacks run outside the execution's
  // control (after the function returned), which a single-use sandbox has no use for.
  const ecmaGlobals = [
    'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt',
    'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
    'Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Date', 'RegExp',
    'Promise', 'Proxy', 'Reflect', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'ArrayBuffer', 'DataView',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'JSON', 'Math', 'Intl',
    'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
    'URIError', 'SuppressedError', 'Iterator', 'DisposableStack', 'AsyncDisposableStack',
  ];
  const standardGlobals = new Set(ecmaGlobals);
  for (const name of exposed) standardGlobals.add(name);

  // ---- objects V8 still changes --------------------------------------------------------------
  // V8 adds some built-ins to each context it makes from a snapshot, into objects that must then
  // be neither frozen nor gone. guest/probe.js measured which keys it adds where (`v8Changes`).
  // Those objects stay unfrozen here and `finish` freezes them in each sandbox, with what V8 put
  // on them, once V8 is done.
  function resolve(path) {
    if (path.length === 0) return global;
    const [first, ...rest] = path;
    const hiddenName = /^%(.*)%$/.exec(first);
    if (hiddenName && !hasOwn(hidden, hiddenName[1])) throw new Error(`harden: unknown intrinsic ${first}`);
    let object = hiddenName ? hidden[hiddenName[1]] : getOwnPropertyDescriptor(global, first)?.value;
    for (const key of rest) {
      if (object === null || (typeof object !== 'object' && typeof object !== 'function')) break;
      object = key === '[[Prototype]]' ? getPrototypeOf(object) : getOwnPropertyDescriptor(object, key)?.value;
    }
    if (object === null || (typeof object !== 'object' && typeof object !== 'function')) {
      throw new Error(`harden: V8 changes ${path.join('.')}, which is not an object here`);
    }
    return object;
  }
  const keyOf = (name) => (name.startsWith('@@') ? Symbol[name.slice(2)] : name);

  const deferred = new Set();
  const deferredChanges = [];
  let globalAdditions = [];
  for (const { path, added } of v8Changes) {
    const object = resolve(path);
    const keys = added.map(keyOf);
    if (object === global) {
      globalAdditions = keys;
      continue;
    }
    deferred.add(object);
    deferredChanges.push({ object, keys, newKeys: keys.filter((key) => !hasOwn(object, key)), keyCount: ownKeys(object).length });
  }

  // Globals V8 needs until it made the context (their value is one it adds to: Atomics).
  const keptForV8 = [];
  /** Deletes a global, or neutralises it; says whether the name stays. */
  function removeGlobal(name) {
    if (getOwnPropertyDescriptor(global, name).configurable) {
      delete global[name];
      return false;
    }
    // V8 installs some globals that cannot be deleted (`gc` when the host runs with --expose-gc;
    // flags apply to every isolate): the name stays, its value becomes a read-only undefined.
    // Anything that cannot be neutralised either stops the bootstrap: fail closed.
    defineProperty(global, name, { value: undefined, writable: false });
    return true;
  }
  for (const name of ownKeys(global)) {
    if (typeof name === 'string' && standardGlobals.has(name)) continue;
    if (deferred.has(getOwnPropertyDescriptor(global, name).value)) apply(arrayPush, keptForV8, [name]);
    else removeGlobal(name);
  }

  // ---- code generation from strings -------------------------------------------------------
  // isolated-vm allows eval whatever V8 flags say, so the guest's own constructors are replaced
  // by throwing functions that keep `.prototype` (so `f instanceof Function` still holds).
  function refuseCodeGeneration() {
    throw new EvalError('Code generation from strings disallowed for this context');
  }
  const functionFamilies = [
    (function () {}).constructor,
    (async function () {}).constructor,
    (function* () {}).constructor,
    (async function* () {}).constructor,
  ];
  for (const RealConstructor of functionFamilies) {
    const prototype = RealConstructor.prototype;
    const Refused = function Function() {
      return refuseCodeGeneration();
    };
    defineProperty(Refused, 'name', { value: RealConstructor.name });
    defineProperty(Refused, 'prototype', { value: prototype, writable: false, enumerable: false, configurable: false });
    defineProperty(prototype, 'constructor', { value: Refused, writable: true, enumerable: false, configurable: true });
    if (RealConstructor === functionFamilies[0]) {
      defineProperty(global, 'Function', { value: Refused, writable: true, enumerable: false, configurable: true });
    }
  }
  const refusedEval = function (source) {
    return refuseCodeGeneration(source);
  };
  defineProperty(refusedEval, 'name', { value: 'eval' });
  defineProperty(global, 'eval', {
    value: refusedEval,
    writable: true,
    enumerable: false,
    configurable: true,
  });

  // Through descriptors, never by reading: a lazily installed capability's accessor must not run.
  function pushSlots(list, object, key) {
    const descriptor = getOwnPropertyDescriptor(object, key);
    if (descriptor === undefined) return;
    if (hasOwn(descriptor, 'value')) apply(arrayPush, list, [descriptor.value]);
    else apply(arrayPush, list, [descriptor.get, descriptor.set]);
  }
  // A tamed property's value is held by its getter alone, out of the freeze walk's sight: tame
  // puts it here, and the walk starts from here too.
  const tamedValues = [];

  // ---- the override mistake ------------------------------------------------------------------
  // Once a prototype is frozen, `obj.name = x` fails for every object inheriting a non-writable
  // `name` (the "override mistake"). The rule, derived from the intrinsics rather than listed:
  // every configurable data property of every prototype an ordinary object can inherit from
  // becomes an accessor pair, as SES's enablements do. Its getter returns the original value (a
  // read sees no difference); its setter defines an own property on the receiver, unless the
  // receiver is the prototype itself, which stays as it was (the assignment throws, as on any
  // frozen object). A receiver that is frozen (any other intrinsic) refuses the new property too,
  // so no assignment can change what other code sees.
  //
  // The prototypes: every object that an ECMAScript intrinsic (reached from the standard globals
  // or the hidden intrinsics, never from a capability's globals) holds as its own `prototype`
  // data property, the hidden intrinsics that are not functions (iterator and generator
  // prototypes, reached through syntax only), and everything on their prototype chains.
  // Not tamed: non-configurable properties (`Array.prototype.length`: it cannot become an
  // accessor), namespace objects (Math, JSON, Reflect, Intl, Atomics: nothing inherits from
  // them), constructors (their statics are reached through subclasses only), and the few
  // properties `keptAsData` names, whose accessor would cost V8 a fast path of ordinary code
  // (measured: docs/compatibility.md).
  const keptAsData = [
    // V8 spreads, destructures and converts arrays, strings and sets without calling `next`
    // only while these lookups are the original data properties (its "protectors"); as
    // accessors they made those operations several times slower for every guest.
    ['Array.prototype', '@@iterator'],
    ['%ArrayIterator%', 'next'],
    ['Set.prototype', '@@iterator'],
    ['%SetIterator%', 'next'],
    ['String.prototype', '@@iterator'],
    ['%StringIterator%', 'next'],
    ['Iterator.prototype', '@@iterator'],
    // Not `Array.prototype.constructor`, although as an accessor it costs map, filter, slice,
    // splice and concat their fast path: polyfills detect species support by assigning
    // `array.constructor` on an instance, and load with an error where that throws.
  ];
  const isObject = (value) => value !== null && (typeof value === 'object' || typeof value === 'function');
  /** The plan the rule gives: [prototype, keys] pairs. */
  function derivedPlan(kept) {
    const prototypes = new Set();
    const addChain = (object) => {
      for (let o = object; o !== null && !prototypes.has(o); o = getPrototypeOf(o)) prototypes.add(o);
    };
    const visited = new Set();
    const queue = [];
    for (const name of ecmaGlobals) pushSlots(queue, global, name);
    for (const name of ownKeys(hidden)) {
      const intrinsic = hidden[name];
      apply(arrayPush, queue, [intrinsic]);
      if (typeof intrinsic !== 'function') addChain(intrinsic);
    }
    while (queue.length > 0) {
      const value = queue.pop();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || value === global || visited.has(value)) continue;
      visited.add(value);
      const prototype = getOwnPropertyDescriptor(value, 'prototype');
      if (prototype && hasOwn(prototype, 'value') && isObject(prototype.value)) addChain(prototype.value);
      apply(arrayPush, queue, [getPrototypeOf(value)]);
      for (const key of ownKeys(value)) pushSlots(queue, value, key);
    }
    const plan = [];
    for (const prototype of prototypes) {
      const keys = [];
      for (const key of ownKeys(prototype)) {
        const descriptor = getOwnPropertyDescriptor(prototype, key);
        if (!hasOwn(descriptor, 'value') || !descriptor.configurable) continue;
        if (kept.some(([object, keptKey]) => object === prototype && keptKey === key)) continue;
        apply(arrayPush, keys, [key]);
      }
      apply(arrayPush, plan, [[prototype, keys]]);
    }
    return plan;
  }
  /** An explicit plan (the benchmark's comparisons): { 'Array.prototype': ['push'] or '*' }. */
  function listedPlan(list) {
    const plan = [];
    for (const path of ownKeys(list)) {
      const object = resolve(path.split('.'));
      apply(arrayPush, plan, [[object, list[path] === '*' ? ownKeys(object) : list[path].map(keyOf)]]);
    }
    return plan;
  }
  const resolveKept = () => keptAsData.map(([path, key]) => [resolve(path.split('.')), keyOf(key)]);

  // Methods (not computed-name accessors, not `function`s): no own `name` or `prototype` per
  // closure, which kept the snapshot smaller and each sandbox quicker to make.
  function tame(object, key) {
    const descriptor = getOwnPropertyDescriptor(object, key);
    if (!descriptor || !hasOwn(descriptor, 'value') || !descriptor.configurable) return;
    const { value } = descriptor;
    const { get, set } = {
      get() {
        return value;
      },
      set(next) {
        if (this === object) {
          throw new TypeError(`Cannot assign to read only property '${String(key)}' of a frozen built-in`);
        }
        if (hasOwn(this, key)) {
          this[key] = next;
        } else {
          defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
        }
      },
    };
    apply(arrayPush, tamedValues, [value]);
    defineProperty(object, key, {
      get,
      set,
      enumerable: descriptor.enumerable,
      configurable: false,
    });
  }
  // Keys V8 itself adds or changes in each context stay data properties, and so do the
  // prototypes of the constructors it adds except for their `constructor` (see finish): taming
  // them in `finish`, cold in every sandbox, made each sandbox's creation markedly slower.
  const keysV8Changes = (object) => deferredChanges.find((change) => change.object === object)?.keys ?? [];
  const derived = !overrides || overrides === 'all';
  const keptKeys = overrides === 'all' ? [] : resolveKept();
  const plan = derived ? derivedPlan(keptKeys) : listedPlan(overrides);
  for (const [object, keys] of plan) {
    const later = keysV8Changes(object);
    for (const key of keys) if (!later.includes(key)) tame(object, key);
  }

  // ---- deep freeze ---------------------------------------------------------------------------
  // The global object is never frozen. It is compared by identity rather than kept in `seen`:
  // each context made from the snapshot has a global object of its own, which V8 puts in place of
  // the snapshot's everywhere it was referenced, but not in the hash of a WeakSet.
  const seen = new WeakSet();
  function freezeReachable(...roots) {
    const queue = roots;
    while (queue.length > 0) {
      const value = queue.pop();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || value === global || seen.has(value)) continue;
      seen.add(value);
      if (!deferred.has(value)) freeze(value);
      queue.push(getPrototypeOf(value));
      for (const key of ownKeys(value)) pushSlots(queue, value, key);
    }
  }
  const roots = [...Object.values(hidden), ...tamedValues];
  tamedValues.length = 0;
  for (const name of getOwnPropertyNames(global)) pushSlots(roots, global, name);
  freezeReachable(...roots);

  // Global bindings keep their usual attributes (writable, configurable), as in browsers and
  // Node: a guest may shadow `crypto` with its own `let crypto`, which changes nothing for the
  // runtime (it captured what it needs) nor for any other execution (each has its own isolate).

  // ---- implicit globals ----------------------------------------------------------------------
  // Guest code is compiled as strict code (so writes to frozen intrinsics throw). A strict store
  // to an undeclared name walks the global's prototype chain; with an empty-handler Proxy in it
  // the store becomes an ordinary [[Set]] that creates the global, as sloppy code would.
  const globalPrototype = getPrototypeOf(global);
  freeze(globalPrototype);
  setPrototypeOf(global, new Proxy(globalPrototype, freeze(create(null))));

  // In each sandbox, before any guest code: freeze what V8 added (the probe said where), remove
  // what a guest must not have (V8 re-adds WebAssembly and SharedArrayBuffer to every context;
  // Atomics stayed for V8's sake), and check that V8 added nothing else. Only the known keys are
  // visited: this runs cold (interpreted) in every sandbox, and walking every property of the
  // changed objects and of the global again cost about 0.2 ms each time. Returns the standard
  // globals V8 added and the names it removed from the global. The checks count what is there, because isolated-vm's warm-up runs
  // all this in a context V8 made without a snapshot, where V8 adds nothing.
  const globalCount = ownKeys(global).length - keptForV8.length;
  const present = (object, keys) => keys.filter((key) => hasOwn(object, key)).length;
  let finished = false;
  // The constructors V8 adds (Float16Array, SuppressedError, ...) get their prototype's
  // `constructor` tamed here, the one property of theirs that species and subclassing code
  // assigns; each property tamed here costs every sandbox time, so the others stay data.
  function tameConstructorOf(constructor) {
    if (typeof constructor !== 'function') return;
    const descriptor = getOwnPropertyDescriptor(constructor, 'prototype');
    if (descriptor && hasOwn(descriptor, 'value') && isObject(descriptor.value)) tame(descriptor.value, 'constructor');
  }
  function finish() {
    if (finished) throw new Error('harden: finished already');
    finished = true;
    const roots = [];
    for (const { object, keys, newKeys, keyCount } of deferredChanges) {
      for (const key of keys) pushSlots(roots, object, key);
      if (ownKeys(object).length !== keyCount + present(object, newKeys)) throw new Error('harden: V8 changed a built-in in a way the snapshot did not foresee');
      freeze(object);
    }
    deferred.clear();
    const removed = [...keptForV8];
    const added = [];
    let expectedGlobals = globalCount;
    for (const name of keptForV8) if (removeGlobal(name)) expectedGlobals++;
    for (const name of globalAdditions) {
      if (!hasOwn(global, name)) continue;
      if (standardGlobals.has(name)) {
        if (derived) tameConstructorOf(getOwnPropertyDescriptor(global, name).value);
        pushSlots(roots, global, name);
        apply(arrayPush, added, [name]);
        expectedGlobals++;
      } else {
        if (removeGlobal(name)) expectedGlobals++;
        apply(arrayPush, removed, [name]);
      }
    }
    if (ownKeys(global).length !== expectedGlobals) throw new Error('harden: V8 put globals on a new context that the snapshot did not foresee');
    freezeReachable(...roots, ...tamedValues);
    return { added, removed };
  }

  // Lazily installed capabilities freeze what they make, the same way, when they are first used.
  return { freezeReachable, finish };
});
