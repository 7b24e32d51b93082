// The override mistake (docs/compatibility.md): once the built-in prototypes are frozen, `x.k = v`
// fails for every object that inherits a read-only `k`. teejs turns each configurable data
// property of each prototype an ordinary object can inherit from into an accessor pair whose
// setter defines an own property on the receiver (src/core/guest/harden.js). These tests check,
// from guest code, every property so tamed and every one deliberately left a data property:
// assignment on an instance works (or, for those left, still throws) and shadows that instance
// only; the prototype keeps its value and stays frozen; assignment on the prototype itself fails.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';
import { HostState } from '../support/host-state.ts';

const engine = makeEngine();
const host = new HostState();
after(() => engine.drain());

/** Guest helpers: the prototypes an ordinary object can inherit from, and their properties. */
const sweep = `
  const ecmaGlobals = ['Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Date', 'RegExp',
    'Promise', 'Proxy', 'Reflect', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'ArrayBuffer', 'DataView',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'JSON', 'Math', 'Intl',
    'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
    'URIError', 'SuppressedError', 'Iterator', 'DisposableStack', 'AsyncDisposableStack'];
  const getProto = Object.getPrototypeOf;
  const segments = new Intl.Segmenter().segment('');
  const syntaxReached = {
    '%GeneratorFunction.prototype%': getProto(function* () {}),
    '%AsyncFunction.prototype%': getProto(async function () {}),
    '%AsyncGeneratorFunction.prototype%': getProto(async function* () {}),
    '%GeneratorPrototype%': getProto((function* () {})()),
    '%AsyncGeneratorPrototype%': getProto((async function* () {})()),
    '%ArrayIteratorPrototype%': getProto([][Symbol.iterator]()),
    '%MapIteratorPrototype%': getProto(new Map()[Symbol.iterator]()),
    '%SetIteratorPrototype%': getProto(new Set()[Symbol.iterator]()),
    '%StringIteratorPrototype%': getProto(''[Symbol.iterator]()),
    '%RegExpStringIteratorPrototype%': getProto(/x/[Symbol.matchAll]('')),
    '%IteratorHelperPrototype%': getProto([].values().map((x) => x)),
    '%WrapForValidIteratorPrototype%': getProto(Iterator.from({ next: () => ({ done: true }) })),
    '%SegmentsPrototype%': getProto(segments),
    '%SegmentIteratorPrototype%': getProto(segments[Symbol.iterator]()),
  };
  const keyName = (key) => (typeof key === 'symbol' ? '@@' + key.description.slice(7) : key);
  /** Every prototype an ordinary object can inherit from, by a path that leads to it. */
  function prototypes() {
    const found = new Map();
    const addChain = (object, name) => {
      for (let o = object, n = name; o !== null && !found.has(o); o = getProto(o), n = n + '.[[Prototype]]') found.set(o, n);
    };
    const seen = new Set();
    const queue = [...ecmaGlobals.map((name) => [globalThis[name], name]), ...Object.entries(syntaxReached).map(([n, v]) => [v, n])];
    while (queue.length) {
      const [value, name] = queue.shift();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
      seen.add(value);
      const own = Object.getOwnPropertyDescriptor(value, 'prototype');
      if (own && 'value' in own && own.value !== null && (typeof own.value === 'object' || typeof own.value === 'function')) addChain(own.value, name + '.prototype');
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if ('value' in descriptor) queue.push([descriptor.value, name + '.' + keyName(key)]);
      }
      queue.push([getProto(value), name + '.[[Prototype]]']);
    }
    for (const [name, value] of Object.entries(syntaxReached)) addChain(value, name);
    return found;
  }
  const fnToString = Function.prototype.toString;
  const isTamed = (d) => typeof d.get === 'function' && typeof d.set === 'function' && !fnToString.call(d.get).includes('[native code]');
  /** [prototype, key, label] of every tamed property, and every data property left, by label. */
  function sweep() {
    const tamed = [];
    const data = [];
    for (const [prototype, name] of prototypes()) {
      for (const key of Reflect.ownKeys(prototype)) {
        const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
        const label = name + ' ' + keyName(key);
        if ('value' in descriptor) data.push([prototype, key, label]);
        else if (isTamed(descriptor)) tamed.push([prototype, key, label]);
      }
    }
    return { tamed, data };
  }
  const outcome = (f) => { try { f(); return 'ok'; } catch (e) { return e instanceof Error ? e.name : 'threw'; } };
`;

/**
 * Data properties deliberately left on the prototypes, by the path the sweep names them with.
 * Non-configurable by the specification (an accessor cannot replace them); kept for V8's fast
 * paths (harden.js keptAsData); or added by V8 to each context after the snapshot (of those,
 * only the `constructor` of the prototypes of the constructors it adds is tamed).
 */
const leftAsData = {
  nonConfigurable: [
    'Function.prototype @@hasInstance',
    'Array.prototype length',
    'String.prototype length',
    ...['Int8', 'Uint8', 'Uint8Clamped', 'Int16', 'Uint16', 'Int32', 'Uint32', 'Float16', 'Float32', 'Float64', 'BigInt64', 'BigUint64'].map(
      (type) => `${type}Array.prototype BYTES_PER_ELEMENT`,
    ),
  ],
  fastPaths: [
    'Array.prototype @@iterator',
    '%ArrayIteratorPrototype% next',
    'Set.prototype @@iterator',
    '%SetIteratorPrototype% next',
    'String.prototype @@iterator',
    '%StringIteratorPrototype% next',
    'Iterator.prototype @@iterator',
  ],
  addedByV8: [
    'Iterator.prototype @@dispose',
    '%AsyncGeneratorPrototype%.[[Prototype]].[[Prototype]] @@asyncDispose',
    'DataView.prototype getFloat16',
    'DataView.prototype setFloat16',
    ...['name', 'message'].map((key) => `SuppressedError.prototype ${key}`),
    ...['use', 'dispose', 'adopt', 'defer', 'move', '@@dispose', '@@toStringTag'].map((key) => `DisposableStack.prototype ${key}`),
    ...['use', 'disposeAsync', 'adopt', 'defer', 'move', '@@asyncDispose', '@@toStringTag'].map((key) => `AsyncDisposableStack.prototype ${key}`),
  ],
};

describe('the override mistake, tamed by a rule derived from the intrinsics', () => {
  test('the examples: assignment on an instance shadows that instance only; the prototype keeps its value, stays frozen, refuses the assignment', async () => {
    const result = await run(
      engine,
      moduleOf(`${sweep}
        const mine = function mine() { return 'mine'; };
        /** Assigns key on one instance, and checks a second instance and the prototype. */
        function shadow(make, key) {
          const one = make();
          const other = make();
          const prototype = getProto(one);
          let owner = prototype;
          while (!Object.hasOwn(owner, key)) owner = getProto(owner);
          const original = owner[key];
          one[key] = mine;
          return {
            own: Object.hasOwn(one, key) && one[key] === mine,
            otherUnchanged: other[key] === original && !Object.hasOwn(other, key),
            prototypeUnchanged: owner[key] === original,
            frozen: Object.isFrozen(owner),
            onPrototype: outcome(() => { owner[key] = mine; }),
            stillOriginal: owner[key] === original,
          };
        }
        function* generator() { yield 1; }
        return {
          regexpExec: shadow(() => /a/, 'exec'),
          typedArrayConstructor: shadow(() => new Uint8Array(2), 'constructor'),
          float16ArrayConstructor: shadow(() => new Float16Array(2), 'constructor'),
          suppressedErrorConstructor: shadow(() => new SuppressedError(1, 2), 'constructor'),
          setAdd: shadow(() => new Set(), 'add'),
          mapSet: shadow(() => new Map(), 'set'),
          generatorReturn: shadow(() => generator(), 'return'),
          arrayToLocaleString: shadow(() => [1], 'toLocaleString'),
          dateToLocaleString: shadow(() => new Date(0), 'toLocaleString'),
          numberToLocaleString: shadow(() => new Number(1), 'toLocaleString'),
          mapIterator: shadow(() => new Map(), Symbol.iterator),
          typedArrayIterator: shadow(() => new Float64Array(1), Symbol.iterator),
          mapIteratorNext: shadow(() => new Map([[1, 1]]).entries(), 'next'),
          generatorNext: shadow(() => generator(), 'next'),
          objectToString: shadow(() => ({}), 'toString'),
          errorName: shadow(() => new Error('x'), 'name'),
          typeErrorMessage: shadow(() => new TypeError(), 'message'),
          arrayPush: shadow(() => [], 'push'),
          arrayConstructor: shadow(() => [], 'constructor'),
          promiseThen: shadow(() => Promise.resolve(), 'then'),
          objectConstructor: shadow(() => Object.create(Object.prototype), 'constructor'),
          errorSubclassConstructor: shadow(() => Object.create(Error.prototype), 'constructor'),
          functionCall: shadow(() => function () {}, 'call'),
          setHas: shadow(() => new Set([1]), 'has'),
        };
      `),
    );
    const expected = { own: true, otherUnchanged: true, prototypeUnchanged: true, frozen: true, onPrototype: 'TypeError', stillOriginal: true };
    for (const [name, checks] of Object.entries(succeeded(result) as Record<string, unknown>)) assert.deepEqual(checks, expected, name);
  });

  test('library patterns work: a stub on one instance, a species constructor on a typed array, a wrapped set of one map', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const re = /(\\d+)/g;
        const calls = [];
        re.exec = function (s) { calls.push(s); return RegExp.prototype.exec.call(this, s); };
        const replaced = 'a1b22'.replace(re, '#');

        // A polyfill's species check (core-js assigns the constructor of an array instance).
        const array = [];
        const ctor = (array.constructor = {});
        ctor[Symbol.species] = function () { return { foo: 1 }; };
        const arraySpecies = array.filter(Boolean).foo;

        class Tagged extends Uint8Array {}
        const bytes = new Uint8Array([1, 2, 3]);
        bytes.constructor = { [Symbol.species]: Tagged };
        const mapped = bytes.map((x) => x * 2);

        const map = new Map();
        const seen = [];
        const set = map.set;
        map.set = function (k, v) { seen.push(k); return set.call(this, k, v); };
        map.set('a', 1).set('b', 2);

        function Child() { this.kind = 'child'; }
        Child.prototype = Object.create(Error.prototype);
        Child.prototype.constructor = Child;
        const err = new RangeError('r');
        err.name = 'Custom';
        const list = [];
        list.push = function (x) { return Array.prototype.push.call(this, x, x); };
        list.push(1);
        const promise = Promise.resolve(1);
        promise.then = function (f) { return Promise.prototype.then.call(this, () => f('patched')); };
        return {
          arraySpecies, replaced, execCalls: calls.length > 0, mappedIsTagged: mapped instanceof Tagged, mapped: [...mapped],
          seen, size: map.size, otherMapUntouched: new Map().set === set,
          child: new Child().constructor === Child, err: String(err), list, then: await promise.then((v) => v),
        };
      `),
    );
    assert.deepEqual(succeeded(result), {
      arraySpecies: 1,
      replaced: 'a#b#',
      execCalls: true,
      mappedIsTagged: true,
      mapped: [2, 4, 6],
      seen: ['a', 'b'],
      size: 2,
      otherMapUntouched: true,
      child: true,
      err: 'Custom: r',
      list: [1, 1],
      then: 'patched',
    });
  });

  test('every tamed property: an accessor pair whose setter shadows on the instance only, and never writes an intrinsic', async () => {
    const result = await run(
      engine,
      moduleOf(`${sweep}
        const { tamed } = sweep();
        const problems = [];
        const sentinel = { sentinel: true };
        const frozenReceivers = [Object.prototype, Array.prototype, Math, JSON, Map, globalThis.Promise];
        for (const [prototype, key, label] of tamed) {
          const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
          const original = prototype[key];
          if (descriptor.configurable) problems.push(label + ': configurable');
          if (!Object.isFrozen(prototype)) problems.push(label + ': prototype not frozen');
          if (original !== null && (typeof original === 'object' || typeof original === 'function') && !Object.isFrozen(original)) {
            problems.push(label + ': value not frozen');
          }
          const instance = Object.create(prototype);
          const other = Object.create(prototype);
          const assigned = outcome(() => { instance[key] = sentinel; });
          if (assigned !== 'ok' || !Object.hasOwn(instance, key) || instance[key] !== sentinel) problems.push(label + ': instance assignment ' + assigned);
          const own = Object.getOwnPropertyDescriptor(instance, key);
          if (own && !(own.writable && own.enumerable && own.configurable)) problems.push(label + ': own property not an ordinary one');
          instance[key] = original; // a second assignment writes the own property
          if (instance[key] !== original) problems.push(label + ': second assignment');
          if (other[key] !== original || Object.hasOwn(other, key)) problems.push(label + ': another instance changed');
          if (outcome(() => { prototype[key] = sentinel; }) !== 'TypeError') problems.push(label + ': assignment on the prototype did not throw');
          for (const receiver of frozenReceivers) {
            if (receiver === prototype) continue;
            if (outcome(() => descriptor.set.call(receiver, sentinel)) !== 'TypeError') problems.push(label + ': setter wrote a frozen intrinsic');
          }
          if (prototype[key] !== original) problems.push(label + ': prototype value changed');
        }
        return { count: tamed.length, problems };
      `),
    );
    const { count, problems } = succeeded(result) as { count: number; problems: string[] };
    assert.deepEqual(problems, []);
    assert.ok(count > 400, `expected hundreds of tamed properties, got ${count}`);
  });

  test('every data property left on a prototype is one of the documented exceptions, and stays read-only for instances', async () => {
    const result = await run(
      engine,
      moduleOf(`${sweep}
        const { data } = sweep();
        return data.map(([prototype, key, label]) => {
          const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
          const instance = Object.create(prototype);
          const original = prototype[key];
          return {
            label,
            readOnly: !descriptor.writable && Object.isFrozen(prototype),
            // The override mistake stays for these: assignment throws, defineProperty works.
            assignment: outcome(() => { instance[key] = 1; }),
            defined: outcome(() => Object.defineProperty(instance, key, { value: 1, writable: true, configurable: true })) === 'ok' && instance[key] === 1,
            onPrototype: outcome(() => { prototype[key] = 1; }),
            unchanged: prototype[key] === original,
          };
        });
      `),
    );
    const rows = succeeded(result) as { label: string }[];
    const expected = [...leftAsData.nonConfigurable, ...leftAsData.fastPaths, ...leftAsData.addedByV8].sort();
    assert.deepEqual(rows.map((row) => row.label).sort(), expected);
    for (const row of rows) {
      assert.deepEqual(row, { label: row.label, readOnly: true, assignment: 'TypeError', defined: true, onPrototype: 'TypeError', unchanged: true }, row.label);
    }
  });

  test('what stays by design: arrays, sets and strings keep their fast iteration lookups; an inherited Array.prototype.length is read-only', async () => {
    const result = await run(
      engine,
      moduleOf(`${sweep}
        const array = [1, 2];
        const iterator = array[Symbol.iterator]();
        const fake = Object.create(Array.prototype);
        const defined = [3, 4];
        Object.defineProperty(defined, Symbol.iterator, { value: function* () { yield 'own'; }, configurable: true });
        array.length = 1; // an array's own length is writable, as everywhere
        function* generator() { yield 1; }
        return {
          iteratorOnArray: outcome(() => { [][Symbol.iterator] = null; }),
          iteratorOnSet: outcome(() => { new Set()[Symbol.iterator] = null; }),
          iteratorOnString: outcome(() => { new String('a')[Symbol.iterator] = null; }),
          iteratorOnGenerator: outcome(() => { generator()[Symbol.iterator] = null; }),
          nextOnSetIterator: outcome(() => { new Set().values().next = null; }),
          nextOnStringIterator: outcome(() => { ''[Symbol.iterator]().next = null; }),
          nextOnArrayIterator: outcome(() => { iterator.next = null; }),
          lengthOnInheriting: outcome(() => { fake.length = 3; }),
          definedInstead: [...defined],
          ownLength: array.length,
          spread: [...[1, 2, 3]],
        };
      `),
    );
    assert.deepEqual(succeeded(result), {
      iteratorOnArray: 'TypeError',
      iteratorOnSet: 'TypeError',
      iteratorOnString: 'TypeError',
      iteratorOnGenerator: 'TypeError',
      nextOnSetIterator: 'TypeError',
      nextOnStringIterator: 'TypeError',
      nextOnArrayIterator: 'TypeError',
      lengthOnInheriting: 'TypeError',
      definedInstead: ['own'],
      ownLength: 1,
      spread: [1, 2, 3],
    });
  });

  test('a shadowing in one execution is not seen by the next', async () => {
    const first = await run(engine, moduleOf(`const m = new Map(); m.set = () => 'mine'; Map.prototype.x = 1;`, { async: false }));
    assert.equal(first.status, 'error'); // the write to Map.prototype throws
    const second = await run(engine, moduleOf(`return [typeof new Map().set, new Map().set === Map.prototype.set, Object.hasOwn(Map.prototype, 'x')];`));
    assert.deepEqual(succeeded(second), ['function', true, false]);
  });

  test('the host process is unaffected', () => {
    host.assertUnchanged();
  });
});
