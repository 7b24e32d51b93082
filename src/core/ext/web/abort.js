// Guest side of ext/web: AbortSignal and AbortController. Internal subscribers (fetch, listeners
// registered with { signal }) run before the abort event; the signal's state is in private
// fields that only this file's classes can read.
(function installAbort(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    ArrayPrototypePush, Number, NumberMAX_SAFE_INTEGER, ObjectDefineProperty, ReflectApply,
    SymbolToStringTag, TypeError,
  } = runtime.primordials;
  const { DOMException, Event, EventTarget, getOwnHandler, setOwnHandler } = shared;
  // Timers are installed before this capability; AbortSignal.timeout uses them.
  const setTimeoutFn = typeof global.setTimeout === 'function' ? global.setTimeout : null;

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
      shared.signalAborted = (signal) => {
        if (!(signal !== null && typeof signal === 'object' && #aborted in signal)) {
          throw new TypeError('the signal option must be an AbortSignal');
        }
        return signal.#aborted;
      };
      // Internal subscribers (fetch, listeners registered with { signal }) run before the event.
      shared.addAbortAlgorithm = (signal, algorithm) => {
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

  for (const Class of [AbortSignal, AbortController]) runtime.platform.register(Class.prototype);
  expose('AbortSignal', AbortSignal);
  expose('AbortController', AbortController);
});
