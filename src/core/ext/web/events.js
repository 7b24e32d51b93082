// Guest side of ext/web: Event and EventTarget. Only EventTarget.dispatchEvent moves an event
// through its phases; a listener that throws does not stop the others, its error ends the
// execution. Listeners registered with { signal } use abort.js's helpers, read from `shared`
// when a listener is added (abort.js runs after this file).
(function installEvents(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    ArrayPrototypePush, ArrayPrototypeSlice, ArrayPrototypeSplice, Map, MapPrototypeGet,
    MapPrototypeSet, Object, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ReflectApply,
    String, SymbolToStringTag, TypeError, WeakMap,
  } = runtime.primordials;
  const { DOMException } = shared;
  const dateNow = Date.now;

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

  const isEvent = (value) => runtime.accepts(eventType, value);

  function listenerOptions(options) {
    if (typeof options === 'boolean') return { capture: options, once: false, signal: undefined };
    if (options === null || typeof options !== 'object') return { capture: false, once: false, signal: undefined };
    return { capture: !!options.capture, once: !!options.once, signal: options.signal };
  }

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, callback, options = undefined) {
      if (callback === null || callback === undefined) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') {
        throw new TypeError("EventTarget.addEventListener: the listener must be a function or an object with handleEvent");
      }
      const { capture, once, signal } = listenerOptions(options);
      if (signal !== undefined && shared.signalAborted(signal)) return;
      const name = String(type);
      let list = MapPrototypeGet(this.#listeners, name);
      if (list === undefined) {
        list = [];
        MapPrototypeSet(this.#listeners, name, list);
      }
      for (const entry of list) if (entry.callback === callback && entry.capture === capture) return;
      const entry = { callback, capture, once, removed: false };
      ArrayPrototypePush(list, entry);
      if (signal !== undefined) shared.addAbortAlgorithm(signal, () => this.removeEventListener(name, callback, { capture }));
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

  for (const Class of [Event, EventTarget]) runtime.platform.register(Class.prototype);
  Object.assign(shared, { Event, EventTarget, getOwnHandler, setOwnHandler });
  expose('Event', Event);
  expose('EventTarget', EventTarget);
});
