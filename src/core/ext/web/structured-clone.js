// Guest side of ext/web: structuredClone, the HTML structured clone algorithm for the types that
// exist here: primitives, wrappers, Date, RegExp, ArrayBuffer and its views, Map, Set, Error,
// arrays and plain objects, with shared and circular references kept. Anything else
// (functions, symbols, promises, weak collections, platform objects) is refused with a
// DataCloneError.
(function installStructuredClone(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    Array, ArrayBuffer, ArrayBufferPrototypeSlice, ArrayBufferPrototypeTransfer, ArrayIsArray,
    ArrayPrototypePush, Boolean, DataView, Error, Map, MapPrototypeForEach, MapPrototypeGet,
    MapPrototypeSet, Number, Object, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor,
    ObjectGetPrototypeOf, ObjectKeys, Promise, ReflectApply, RegExp, Set, SetPrototypeAdd,
    SetPrototypeForEach, SetPrototypeHas, String, SymbolPrototype, SymbolToStringTag, TypeError,
    Uint8Array, Uint8ArrayPrototypeSet, WeakMap,
  } = runtime.primordials;
  const { DOMException } = shared;
  // Not a primordial: V8 adds Error.isError to each context made from the snapshot (probe.js).
  const isError = Error.isError;
  // From the global: the determinism capability's Date, whose instances are real Dates.
  const DateCtor = Date;

  const typedArrayPrototype = ObjectGetPrototypeOf(Uint8Array.prototype);
  const getter = (object, key) => ObjectGetOwnPropertyDescriptor(object, key).get;
  const brand = {
    arrayBufferLength: getter(ArrayBuffer.prototype, 'byteLength'),
    arrayBufferResizable: getter(ArrayBuffer.prototype, 'resizable'),
    arrayBufferMax: getter(ArrayBuffer.prototype, 'maxByteLength'),
    arrayBufferDetached: getter(ArrayBuffer.prototype, 'detached'),
    typedArrayTag: getter(typedArrayPrototype, SymbolToStringTag),
    typedArrayBuffer: getter(typedArrayPrototype, 'buffer'),
    typedArrayOffset: getter(typedArrayPrototype, 'byteOffset'),
    typedArrayLength: getter(typedArrayPrototype, 'length'),
    dataViewBuffer: getter(DataView.prototype, 'buffer'),
    dataViewOffset: getter(DataView.prototype, 'byteOffset'),
    dataViewLength: getter(DataView.prototype, 'byteLength'),
    mapSize: getter(Map.prototype, 'size'),
    setSize: getter(Set.prototype, 'size'),
    regExpSource: getter(RegExp.prototype, 'source'),
    regExpFlags: getter(RegExp.prototype, 'flags'),
  };
  const dateGetTime = Date.prototype.getTime;
  const valueOfs = [
    ['Boolean', Boolean.prototype.valueOf, (v) => new Boolean(v)],
    ['Number', Number.prototype.valueOf, (v) => Object(v)],
    ['String', String.prototype.valueOf, (v) => Object(v)],
    ['BigInt', BigInt.prototype.valueOf, (v) => Object(v)],
  ];
  const weakThings = [WeakMap.prototype.has, WeakSet.prototype.has, WeakRef.prototype.deref];
  const typedArrayCtors = {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float16Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };
  const errorCtors = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const domExceptionName = getter(DOMException.prototype, 'name');
  const domExceptionMessage = getter(DOMException.prototype, 'message');
  const isDOMException = (value) => has(domExceptionName, value);

  const has = runtime.accepts;

  function cloneError(message) {
    return new DOMException(message, 'DataCloneError');
  }

  function cloneArrayBuffer(buffer) {
    if (ReflectApply(brand.arrayBufferDetached, buffer, [])) throw cloneError('An ArrayBuffer is detached and could not be cloned.');
    const length = ReflectApply(brand.arrayBufferLength, buffer, []);
    if (ReflectApply(brand.arrayBufferResizable, buffer, [])) {
      const copy = new ArrayBuffer(length, { maxByteLength: ReflectApply(brand.arrayBufferMax, buffer, []) });
      Uint8ArrayPrototypeSet(new Uint8Array(copy), new Uint8Array(buffer, 0, length));
      return copy;
    }
    // A transferred buffer is copied now and detached once the whole clone has succeeded.
    return ArrayBufferPrototypeSlice(buffer, 0, length);
  }

  function cloneValue(value, memory) {
    if (typeof value === 'symbol') throw cloneError('Symbol values cannot be cloned.');
    if (typeof value === 'function') throw cloneError(`${describeFunction(value)} could not be cloned.`);
    if (value === null || typeof value !== 'object') return value;
    const known = MapPrototypeGet(memory, value);
    if (known !== undefined) return known;

    const remember = (copy) => {
      MapPrototypeSet(memory, value, copy);
      return copy;
    };

    for (const [, valueOf, wrap] of valueOfs) {
      if (has(valueOf, value)) return remember(wrap(ReflectApply(valueOf, value, [])));
    }
    if (has(SymbolPrototype.valueOf, value)) throw cloneError('Symbol objects cannot be cloned.');
    if (has(dateGetTime, value)) return remember(new DateCtor(ReflectApply(dateGetTime, value, [])));
    // RegExp.prototype.source throws for anything but a RegExp (and RegExp.prototype itself).
    if (value !== RegExp.prototype && has(brand.regExpSource, value)) {
      return remember(new RegExp(ReflectApply(brand.regExpSource, value, []), ReflectApply(brand.regExpFlags, value, [])));
    }
    if (has(brand.arrayBufferLength, value)) return remember(cloneArrayBuffer(value));
    const tag = ReflectApply(brand.typedArrayTag, value, []);
    if (tag !== undefined) {
      const buffer = cloneValue(ReflectApply(brand.typedArrayBuffer, value, []), memory);
      const Ctor = typedArrayCtors[tag];
      return remember(new Ctor(buffer, ReflectApply(brand.typedArrayOffset, value, []), ReflectApply(brand.typedArrayLength, value, [])));
    }
    if (has(brand.dataViewBuffer, value)) {
      const buffer = cloneValue(ReflectApply(brand.dataViewBuffer, value, []), memory);
      return remember(new DataView(buffer, ReflectApply(brand.dataViewOffset, value, []), ReflectApply(brand.dataViewLength, value, [])));
    }
    if (has(brand.mapSize, value)) {
      const copy = remember(new Map());
      const entries = [];
      MapPrototypeForEach(value, (v, k) => ArrayPrototypePush(entries, k, v));
      for (let i = 0; i < entries.length; i += 2) {
        MapPrototypeSet(copy, cloneValue(entries[i], memory), cloneValue(entries[i + 1], memory));
      }
      return copy;
    }
    if (has(brand.setSize, value)) {
      const copy = remember(new Set());
      const items = [];
      SetPrototypeForEach(value, (v) => ArrayPrototypePush(items, v));
      for (const item of items) SetPrototypeAdd(copy, cloneValue(item, memory));
      return copy;
    }
    for (const weak of weakThings) {
      if (has(weak, value)) throw cloneError('A weak collection or reference could not be cloned.');
    }
    if (value instanceof Promise) throw cloneError('#<Promise> could not be cloned.');
    if (isDOMException(value)) {
      return remember(new DOMException(ReflectApply(domExceptionMessage, value, []), ReflectApply(domExceptionName, value, [])));
    }
    if (isPlatformObject(value)) throw cloneError(`${describeObject(value)} could not be cloned.`);
    if (isError(value)) {
      const name = String(value.name);
      const Ctor = errorCtors[name] ?? Error;
      const copy = remember(new Ctor());
      const messageDescriptor = ObjectGetOwnPropertyDescriptor(value, 'message');
      if (messageDescriptor && 'value' in messageDescriptor) {
        ObjectDefineProperty(copy, 'message', { value: String(messageDescriptor.value), writable: true, configurable: true });
      }
      if (typeof value.stack === 'string') ObjectDefineProperty(copy, 'stack', { value: value.stack, writable: true, configurable: true });
      const causeDescriptor = ObjectGetOwnPropertyDescriptor(value, 'cause');
      if (causeDescriptor && 'value' in causeDescriptor) {
        ObjectDefineProperty(copy, 'cause', { value: cloneValue(causeDescriptor.value, memory), writable: true, configurable: true });
      }
      return copy;
    }
    const copy = remember(ArrayIsArray(value) ? new Array(value.length) : {});
    for (const key of ObjectKeys(value)) {
      ObjectDefineProperty(copy, key, { value: cloneValue(value[key], memory), writable: true, enumerable: true, configurable: true });
    }
    return copy;
  }

  // A guest's own class instances are cloned as plain objects (their own data), as the
  // standard says; instances of platform classes (this file's, URL, Headers, TextDecoder,
  // CryptoKey...: every capability registers its classes with runtime.platform) are refused.
  const isPlatformObject = runtime.platform.is;

  function describeFunction(fn) {
    try {
      return `function ${String(fn.name) || '(anonymous)'}`;
    } catch {
      return 'A function';
    }
  }

  function describeObject(value) {
    try {
      return `#<${String(value[SymbolToStringTag] ?? ObjectGetPrototypeOf(value).constructor.name)}>`;
    } catch {
      return 'An object';
    }
  }

  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required, but only 0 present");
    const transferSet = new Set();
    if (options !== undefined && options !== null) {
      const transfer = options.transfer;
      if (transfer !== undefined) {
        for (const item of transfer) {
          if (!has(brand.arrayBufferLength, item)) throw cloneError('Only ArrayBuffers can be transferred here.');
          if (SetPrototypeHas(transferSet, item)) throw cloneError('An ArrayBuffer is listed twice in the transfer list.');
          if (ReflectApply(brand.arrayBufferDetached, item, [])) throw cloneError('An ArrayBuffer is detached and could not be transferred.');
          SetPrototypeAdd(transferSet, item);
        }
      }
    }
    const result = cloneValue(value, new Map());
    for (const buffer of transferSet) ArrayBufferPrototypeTransfer(buffer, 0);
    return result;
  }

  expose('structuredClone', structuredClone);
});
