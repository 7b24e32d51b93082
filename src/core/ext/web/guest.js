// Guest side of the web platform basics a bare V8 context lacks: DOMException, Event,
// EventTarget, AbortController/AbortSignal, structuredClone and queueMicrotask. All of it is
// plain JavaScript inside the isolate; none of it needs the host. Private class fields (#x)
// give every class a brand check that guest code cannot forge.
(function installWeb(global, runtime, expose) {
  'use strict';

  const {
    Array, ArrayBuffer, ArrayBufferPrototypeSlice, ArrayBufferPrototypeTransfer, ArrayIsArray,
    ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSplice, Boolean, DataView, Error,
    Map, MapPrototypeForEach, MapPrototypeGet, MapPrototypeSet, Number,
    NumberMAX_SAFE_INTEGER, Object, ObjectDefineProperty, ObjectFreeze,
    ObjectGetOwnPropertyDescriptor, ObjectGetPrototypeOf, ObjectKeys, Promise, PromisePrototypeThen,
    PromiseResolve, ReflectApply, RegExp, Set, SetPrototypeAdd, SetPrototypeForEach,
    SetPrototypeHas, String, SymbolPrototype, SymbolToStringTag, TypeError, Uint8Array,
    Uint8ArrayPrototypeSet, WeakMap,
  } = runtime.primordials;
  // Not a primordial: V8 adds Error.isError to each context made from the snapshot (probe.js).
  const isError = Error.isError;
  const DateCtor = Date;
  const dateNow = Date.now;
  // Timers are installed before this capability; AbortSignal.timeout uses them.
  const setTimeoutFn = typeof global.setTimeout === 'function' ? global.setTimeout : null;

  // ---- DOMException --------------------------------------------------------------------------

  const legacyCodes = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
    NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
    TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };

  class DOMException extends Error {
    #name;
    #message;
    constructor(message = '', options = 'Error') {
      const text = String(message);
      const hasCause = options !== null && typeof options === 'object' && 'cause' in options;
      super(text, hasCause ? { cause: options.cause } : undefined);
      this.#message = text;
      this.#name = options !== null && typeof options === 'object' ? String(options.name ?? 'Error') : String(options);
    }
    get name() {
      return this.#name;
    }
    get message() {
      return this.#message;
    }
    get code() {
      return legacyCodes[this.#name] ?? 0;
    }
  }
  ObjectDefineProperty(DOMException.prototype, SymbolToStringTag, { value: 'DOMException', configurable: true });
  for (const [name, code] of [
    ['INDEX_SIZE_ERR', 1], ['NOT_FOUND_ERR', 8], ['NOT_SUPPORTED_ERR', 9], ['INVALID_STATE_ERR', 11],
    ['SYNTAX_ERR', 12], ['INVALID_ACCESS_ERR', 15], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19],
    ['ABORT_ERR', 20], ['QUOTA_EXCEEDED_ERR', 22], ['TIMEOUT_ERR', 23], ['DATA_CLONE_ERR', 25],
  ]) {
    ObjectDefineProperty(DOMException, name, { value: code, enumerable: true });
    ObjectDefineProperty(DOMException.prototype, name, { value: code, enumerable: true });
  }

  // ---- Event and EventTarget -----------------------------------------------------------------

  let setEventDispatch;
  class Event {
    #type;
    #bubbles;
    #cancelable;
    #composed;
    #defaultPrevented = false;
    #stopped = false;
    #target = null;
    #currentTarget = null;
    #phase = 0;
    #dispatching = false;
    #timeStamp = dateNow();
    constructor(type, init = undefined) {
      if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required");
      this.#type = String(type);
      const options = init ?? {};
      this.#bubbles = !!options.bubbles;
      this.#cancelable = !!options.cancelable;
      this.#composed = !!options.composed;
    }
    get type() { return this.#type; }
    get target() { return this.#target; }
    get srcElement() { return this.#target; }
    get currentTarget() { return this.#currentTarget; }
    get eventPhase() { return this.#phase; }
    get bubbles() { return this.#bubbles; }
    get cancelable() { return this.#cancelable; }
    get composed() { return this.#composed; }
    get defaultPrevented() { return this.#defaultPrevented; }
    get returnValue() { return !this.#defaultPrevented; }
    get isTrusted() { return false; }
    get timeStamp() { return this.#timeStamp; }
    get cancelBubble() { return this.#stopped; }
    set cancelBubble(value) { if (value) this.#stopped = true; }
    composedPath() { return this.#dispatching && this.#target !== null ? [this.#target] : []; }
    preventDefault() { if (this.#cancelable) this.#defaultPrevented = true; }
    stopPropagation() { this.#stopped = true; }
    stopImmediatePropagation() { this.#stopped = true; }
    static {
      // Only EventTarget.dispatchEvent moves an event through its phases.
      setEventDispatch = (event, target, dispatching) => {
        if (dispatching && event.#dispatching) throw new DOMException('The event is already being dispatched.', 'InvalidStateError');
        event.#dispatching = dispatching;
        event.#target = target;
        event.#currentTarget = dispatching ? target : null;
        event.#phase = dispatching ? 2 : 0;
        if (dispatching) event.#stopped = false;
        return event.#stopped;
      };
    }
  }
  for (const [name, value] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]]) {
    ObjectDefineProperty(Event, name, { value, enumerable: true });
    ObjectDefineProperty(Event.prototype, name, { value, enumerable: true });
  }
  ObjectDefineProperty(Event.prototype, SymbolToStringTag, { value: 'Event', configurable: true });
  const eventType = ObjectGetOwnPropertyDescriptor(Event.prototype, 'type').get;
  const eventImmediateStop = ObjectGetOwnPropertyDescriptor(Event.prototype, 'cancelBubble').get;

  function isEvent(value) {
    try {
      ReflectApply(eventType, value, []);
      return true;
    } catch {
      return false;
    }
  }

  function listenerOptions(options) {
    if (typeof options === 'boolean') return { capture: options, once: false, signal: undefined };
    if (options === null || typeof options !== 'object') return { capture: false, once: false, signal: undefined };
    return { capture: !!options.capture, once: !!options.once, signal: options.signal };
  }

  let addAbortAlgorithm;
  let signalAborted;

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, callback, options = undefined) {
      if (callback === null || callback === undefined) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') {
        throw new TypeError("EventTarget.addEventListener: the listener must be a function or an object with handleEvent");
      }
      const { capture, once, signal } = listenerOptions(options);
      if (signal !== undefined && signalAborted(signal)) return;
      const name = String(type);
      let list = MapPrototypeGet(this.#listeners, name);
      if (list === undefined) {
        list = [];
        MapPrototypeSet(this.#listeners, name, list);
      }
      for (const entry of list) if (entry.callback === callback && entry.capture === capture) return;
      const entry = { callback, capture, once, removed: false };
      ArrayPrototypePush(list, entry);
      if (signal !== undefined) addAbortAlgorithm(signal, () => this.removeEventListener(name, callback, { capture }));
    }
    removeEventListener(type, callback, options = undefined) {
      const list = MapPrototypeGet(this.#listeners, String(type));
      if (list === undefined) return;
      const { capture } = listenerOptions(options);
      for (let i = 0; i < list.length; i++) {
        if (list[i].callback === callback && list[i].capture === capture) {
          list[i].removed = true;
          ArrayPrototypeSplice(list, i, 1);
          return;
        }
      }
    }
    dispatchEvent(event) {
      if (!isEvent(event)) throw new TypeError('EventTarget.dispatchEvent: the argument must be an Event');
      setEventDispatch(event, this, true);
      try {
        const list = MapPrototypeGet(this.#listeners, ReflectApply(eventType, event, []));
        if (list !== undefined) {
          // Listeners added during dispatch wait for the next event, as the standard says.
          for (const entry of ArrayPrototypeSlice(list)) {
            if (entry.removed) continue;
            if (entry.once) this.removeEventListener(ReflectApply(eventType, event, []), entry.callback, { capture: entry.capture });
            invokeListener(entry.callback, this, event);
            if (ReflectApply(eventImmediateStop, event, [])) break;
          }
        }
        const handlerName = `on${ReflectApply(eventType, event, [])}`;
        const handler = getOwnHandler(this, handlerName);
        if (typeof handler === 'function' && !ReflectApply(eventImmediateStop, event, [])) invokeListener(handler, this, event);
      } finally {
        setEventDispatch(event, this, false);
      }
      return !event.defaultPrevented;
    }
  }
  ObjectDefineProperty(EventTarget.prototype, SymbolToStringTag, { value: 'EventTarget', configurable: true });

  // `onabort` and friends are stored per target by the classes that have them.
  const handlers = new WeakMap();
  function getOwnHandler(target, name) {
    const table = handlers.get(target);
    return table === undefined ? undefined : table[name];
  }
  function setOwnHandler(target, name, value) {
    let table = handlers.get(target);
    if (table === undefined) {
      table = { __proto__: null };
      handlers.set(target, table);
    }
    table[name] = typeof value === 'function' ? value : null;
  }

  // A listener that throws does not stop the others; the error ends the execution, as an
  // uncaught exception in Node or Deno would.
  function invokeListener(callback, target, event) {
    try {
      if (typeof callback === 'function') ReflectApply(callback, target, [event]);
      else if (callback !== null && typeof callback.handleEvent === 'function') ReflectApply(callback.handleEvent, callback, [event]);
    } catch (error) {
      runtime.uncaught(error);
    }
  }

  // ---- AbortSignal and AbortController -------------------------------------------------------

  let createSignal;
  let abortSignal;
  let constructing = false;

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    #algorithms = [];
    constructor() {
      if (!constructing) throw new TypeError('Illegal constructor: use new AbortController().signal or AbortSignal.abort()');
      super();
    }
    get aborted() {
      return this.#aborted;
    }
    get reason() {
      if (!(#aborted in this)) throw new TypeError('Illegal invocation');
      return this.#reason;
    }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }
    get onabort() {
      return getOwnHandler(this, 'onabort') ?? null;
    }
    set onabort(value) {
      if (!(#aborted in this)) throw new TypeError('Illegal invocation');
      setOwnHandler(this, 'onabort', value);
    }
    static abort(reason = undefined) {
      const signal = createSignal();
      signal.#aborted = true;
      signal.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
      return signal;
    }
    static timeout(ms) {
      const delay = Number(ms);
      if (!(delay >= 0) || delay > NumberMAX_SAFE_INTEGER) {
        throw new TypeError('AbortSignal.timeout: the delay must be a non-negative number');
      }
      if (setTimeoutFn === null) throw new TypeError('AbortSignal.timeout: timers are not available');
      const signal = createSignal();
      ReflectApply(setTimeoutFn, undefined, [() => abortSignal(signal, new DOMException('The operation timed out.', 'TimeoutError')), delay]);
      return signal;
    }
    static any(signals) {
      const list = [];
      for (const signal of signals) {
        if (!(signal !== null && typeof signal === 'object' && #aborted in signal)) {
          throw new TypeError('AbortSignal.any: every element must be an AbortSignal');
        }
        ArrayPrototypePush(list, signal);
      }
      const combined = createSignal();
      for (const signal of list) {
        if (signal.#aborted) {
          combined.#aborted = true;
          combined.#reason = signal.#reason;
          return combined;
        }
      }
      for (const signal of list) ArrayPrototypePush(signal.#algorithms, () => abortSignal(combined, signal.#reason));
      return combined;
    }
    static {
      createSignal = () => {
        constructing = true;
        try {
          return new AbortSignal();
        } finally {
          constructing = false;
        }
      };
      signalAborted = (signal) => {
        if (!(signal !== null && typeof signal === 'object' && #aborted in signal)) {
          throw new TypeError('the signal option must be an AbortSignal');
        }
        return signal.#aborted;
      };
      // Internal subscribers (fetch, listeners registered with { signal }) run before the event.
      addAbortAlgorithm = (signal, algorithm) => {
        if (!signal.#aborted) ArrayPrototypePush(signal.#algorithms, algorithm);
      };
      abortSignal = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
        const algorithms = signal.#algorithms;
        signal.#algorithms = [];
        for (const algorithm of algorithms) {
          try {
            algorithm();
          } catch (error) {
            runtime.uncaught(error);
          }
        }
        signal.dispatchEvent(new Event('abort'));
      };
    }
  }
  ObjectDefineProperty(AbortSignal.prototype, SymbolToStringTag, { value: 'AbortSignal', configurable: true });

  class AbortController {
    #signal = createSignal();
    get signal() {
      return this.#signal;
    }
    abort(reason = undefined) {
      if (!(#signal in this)) throw new TypeError('Illegal invocation');
      abortSignal(this.#signal, reason);
    }
  }
  ObjectDefineProperty(AbortController.prototype, SymbolToStringTag, { value: 'AbortController', configurable: true });

  // ---- structuredClone -----------------------------------------------------------------------
  // The HTML structured clone algorithm for the types that exist here: primitives, wrappers,
  // Date, RegExp, ArrayBuffer and its views, Map, Set, Error, arrays and plain objects, with
  // shared and circular references kept. Anything else (functions, symbols, promises, weak
  // collections, class instances with private state) is refused with a DataCloneError.

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

  function has(slotGetter, value) {
    try {
      ReflectApply(slotGetter, value, []);
      return true;
    } catch {
      return false;
    }
  }

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

  // ---- queueMicrotask ------------------------------------------------------------------------

  function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
    PromisePrototypeThen(PromiseResolve(), () => {
        try {
          callback();
        } catch (error) {
          runtime.uncaught(error);
        }
      });
  }

  for (const Class of [DOMException, Event, EventTarget, AbortSignal, AbortController]) runtime.platform.register(Class.prototype);
  ObjectFreeze(legacyCodes);

  expose('DOMException', DOMException);
  expose('Event', Event);
  expose('EventTarget', EventTarget);
  expose('AbortSignal', AbortSignal);
  expose('AbortController', AbortController);
  expose('structuredClone', structuredClone);
  expose('queueMicrotask', queueMicrotask);
});
