// The first part of every sandbox's startup snapshot (see guest/snapshot.js). It evaluates to
// `bootstrap`, which runs once per process, inside the snapshot, with the capability installers
// (ext/*/guest.js) and the harden step. It returns `attach`, which each sandbox calls once, before
// any guest code exists, with its three host channel functions; `attach` returns the one
// `control` function that only the host holds. Nothing here is ever reachable from a global.
//
// Everything crossing the host channel is a primitive or a plain copied object, so no host
// object (Reference, Callback, host Error) is ever kept where guest code can see it.
(function bootstrap(harden, options, installers) {
  'use strict';

  const global = globalThis;
  // Captured before any guest code runs; the harden step freezes these anyway.
  const { create, defineProperty, freeze, getOwnPropertyDescriptor, getOwnPropertyNames, getPrototypeOf, hasOwn } = Object;
  const { apply } = Reflect;
  const JSONparse = JSON.parse;
  const JSONstringify = JSON.stringify;
  const StringCtor = String;
  const ErrorCtor = Error;
  const MapCtor = Map;
  const WeakSetCtor = WeakSet;
  const PromiseCtor = Promise;
  const weakSetHas = WeakSet.prototype.has;
  const weakSetAdd = WeakSet.prototype.add;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const arrayPush = Array.prototype.push;
  const stringSplit = String.prototype.split;
  const stringIncludes = String.prototype.includes;
  const stringSlice = String.prototype.slice;
  const charCodeAt = String.prototype.charCodeAt;
  const arrayJoin = Array.prototype.join;
  const arrayFilter = Array.prototype.filter;
  const arraySlice = Array.prototype.slice;
  const arrayIncludes = Array.prototype.includes;
  const errorTypes = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
  const internalFile = options.internalFilePrefix;

  // The host's channel: set by `attach`, in each sandbox (a snapshot holds no host objects).
  let hostCall = null;
  let hostWait = null;
  let hostPost = null;

  // Errors the runtime raises on behalf of the host (a missing secret, a validation failure)
  // carry a machine-readable code. Guest code cannot forge membership of this set.
  const codedErrors = new WeakSetCtor();
  const errorCodes = new MapCtor();

  function makeError(name, message, code) {
    const Ctor = errorTypes[name] || ErrorCtor;
    const error = new Ctor(StringCtor(message));
    if (code) {
      apply(weakSetAdd, codedErrors, [error]);
      apply(mapSet, errorCodes, [error, code]);
      defineProperty(error, 'code', { value: code, writable: true, enumerable: false, configurable: true });
    }
    return error;
  }

  function unwrap(reply) {
    if (reply && reply.ok === true) return reply.value;
    const failure = reply || {};
    throw makeError(failure.name, failure.message || 'host call failed', failure.code);
  }

  // Async host operations: the guest posts a request id; the host answers through
  // control('settle', id, reply). Events (timer ticks) arrive through control('event', ...).
  const pending = new MapCtor();
  const listeners = new MapCtor();
  let nextRequest = 1;
  let reportUncaught = null;

  // Arguments of a synchronous wait are copied off the host's heap (isolated-vm copies them for
  // applySyncPromise), where they escape the host's garbage-collection pressure: a guest passing
  // 50 MB strings in a loop drove the host past 5 GB. Capabilities bound their own arguments;
  // this is the net under them.
  const maxWaitArgumentChars = 1024 * 1024;

  function checkWaitArguments(op, args) {
    let chars = 0;
    for (let i = 0; i < args.length; i++) {
      if (typeof args[i] === 'string') chars += args[i].length;
    }
    if (chars > maxWaitArgumentChars) {
      throw makeError('RangeError', `${StringCtor(op)}: arguments of ${chars} characters, over the limit of ${maxWaitArgumentChars}`);
    }
  }


  // ---- bytes: BufferSource views, and latin1 strings (one character per byte), which is how
  // bytes cross to the host. Read through the intrinsic getters: own properties cannot lie.
  const Uint8ArrayCtor = Uint8Array;
  const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  const intrinsicGetter = (object, key) => Object.getOwnPropertyDescriptor(object, key).get;
  const arrayBufferLength = intrinsicGetter(ArrayBuffer.prototype, 'byteLength');
  const typedArrayTag = intrinsicGetter(typedArrayPrototype, Symbol.toStringTag);
  const typedArrayBuffer = intrinsicGetter(typedArrayPrototype, 'buffer');
  const typedArrayOffset = intrinsicGetter(typedArrayPrototype, 'byteOffset');
  const typedArrayByteLength = intrinsicGetter(typedArrayPrototype, 'byteLength');
  const dataViewBuffer = intrinsicGetter(DataView.prototype, 'buffer');
  const dataViewOffset = intrinsicGetter(DataView.prototype, 'byteOffset');
  const dataViewLength = intrinsicGetter(DataView.prototype, 'byteLength');
  const fromCharCode = String.fromCharCode;
  const uint8Subarray = Uint8Array.prototype.subarray;

  const bytes = freeze({
    /** A Uint8Array over the same memory as an ArrayBuffer or view, or null for anything else. */
    of(value) {
      if (value === null || typeof value !== 'object') return null;
      try {
        return new Uint8ArrayCtor(value, 0, apply(arrayBufferLength, value, []));
      } catch {
        // not an ArrayBuffer
      }
      if (apply(typedArrayTag, value, []) !== undefined) {
        return new Uint8ArrayCtor(apply(typedArrayBuffer, value, []), apply(typedArrayOffset, value, []), apply(typedArrayByteLength, value, []));
      }
      try {
        return new Uint8ArrayCtor(apply(dataViewBuffer, value, []), apply(dataViewOffset, value, []), apply(dataViewLength, value, []));
      } catch {
        return null;
      }
    },
    /** The typed array's tag (e.g. 'Uint8Array'), or undefined for anything that is not one. */
    typedArrayTag(value) {
      return apply(typedArrayTag, value, []);
    },
    toLatin1(view) {
      const parts = [];
      for (let i = 0; i < view.length; i += 8192) {
        apply(arrayPush, parts, [apply(fromCharCode, undefined, apply(uint8Subarray, view, [i, i + 8192]))]);
      }
      return apply(arrayJoin, parts, ['']);
    },
    fromLatin1(text) {
      const view = new Uint8ArrayCtor(text.length);
      for (let i = 0; i < text.length; i++) view[i] = apply(charCodeAt, text, [i]);
      return view;
    },
  });

  // Platform classes (URL, Headers, TextDecoder, CryptoKey...): structuredClone refuses their
  // instances with a DataCloneError, as browsers do, whichever capability made them.
  const platformPrototypes = new WeakSetCtor();
  const platform = freeze({
    register(prototype) {
      apply(weakSetAdd, platformPrototypes, [prototype]);
    },
    is(value) {
      for (let proto = getPrototypeOf(value); proto !== null; proto = getPrototypeOf(proto)) {
        if (apply(weakSetHas, platformPrototypes, [proto])) return true;
      }
      return false;
    },
  });

  const kit = freeze({
    /** Synchronous host call; `args` are primitives. Throws a guest error on refusal. */
    call(op, ...args) {
      return unwrap(apply(hostCall, undefined, [op, ...args]));
    },
    /** Synchronous call to an asynchronous host handler: the isolate waits for the answer. */
    wait(op, ...args) {
      checkWaitArguments(op, args);
      // The answer comes back as JSON text: applySyncPromise copies only primitives.
      return unwrap(JSONparse(hostWait.applySyncPromise(undefined, [op, ...args], { arguments: { copy: true } })));
    },
    /** Asynchronous host call; resolves or rejects with a guest value. */
    request(op, ...args) {
      const id = nextRequest++;
      return new PromiseCtor((resolve, reject) => {
        apply(mapSet, pending, [id, { resolve, reject }]);
        apply(hostPost, undefined, [op, id, ...args]);
      });
    },
    /** Fire-and-forget notice to the host. */
    notify(op, ...args) {
      apply(hostPost, undefined, [op, 0, ...args]);
    },
    listen(event, handler) {
      apply(mapSet, listeners, [event, handler]);
    },
    /** An error nobody can catch (a timer callback threw): it ends the execution. */
    uncaught(error) {
      if (reportUncaught) reportUncaught(error);
    },
    error: makeError,
    /** Byte helpers shared by the capabilities that move bytes (fetch, encoding, subtle). */
    bytes,
    platform,
    codeOf(error) {
      return apply(weakSetHas, codedErrors, [error]) ? apply(mapGet, errorCodes, [error]) : undefined;
    },
  });

  // What lazily installed capabilities see as `global`: the bindings as the runtime made them
  // (standard built-ins, other capabilities), not whatever the guest has put on its global since.
  const pristine = create(null);
  for (const name of getOwnPropertyNames(global)) {
    const descriptor = getOwnPropertyDescriptor(global, name);
    if (hasOwn(descriptor, 'value')) defineProperty(pristine, name, { value: descriptor.value, configurable: true });
  }

  const exposed = [];
  function expose(name, value) {
    defineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
    defineProperty(pristine, name, { value, configurable: true });
    apply(arrayPush, exposed, [name]);
  }

  // A lazy capability (its declaration's `lazy` lists its globals) is installed when one of its globals is
  // first read: executions that never use fetch or URL do not pay for building and freezing them.
  // Its installer gets the runtime's own bindings (`pristine`) as `global`, so a guest that put
  // its own `URL` on the global does not change how its fetch works. (A guest that replaces a
  // standard global such as Uint8Array before first use changes only its own copy of the
  // capability, which has no more authority than the guest itself: the host checks every call.)
  let freezeReachable = null;
  function defineLazy(install, declaration, limits) {
    const names = declaration.lazy;
    let state = 'pending';
    let failure = null;
    const values = new MapCtor();
    const accessors = new MapCtor();
    function installNow() {
      if (state === 'failed') throw failure;
      if (state !== 'pending') return;
      state = 'installing';
      try {
        const given = [];
        install(pristine, kit, (name, value) => {
          apply(mapSet, values, [name, value]);
          apply(arrayPush, given, [name]);
        }, limits);
        checkExposed(declaration, given);
      } catch (error) {
        state = 'failed';
        failure = error;
        throw error;
      }
      state = 'installed';
      for (const name of names) {
        const value = apply(mapGet, values, [name]);
        // Before hardening (an eager installer used it) the harden walk freezes it with the rest.
        if (freezeReachable) freezeReachable(value);
        const current = getOwnPropertyDescriptor(global, name);
        if (current && current.get === apply(mapGet, accessors, [name])) {
          defineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
        }
      }
    }
    for (const name of names) {
      const get = {
        get [name]() {
          installNow();
          return apply(mapGet, values, [name]);
        },
      };
      const set = {
        set [name](value) {
          defineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
        },
      };
      const getter = getOwnPropertyDescriptor(get, name).get;
      apply(mapSet, accessors, [name, getter]);
      defineProperty(global, name, { get: getter, set: getOwnPropertyDescriptor(set, name).set, enumerable: false, configurable: true });
      defineProperty(pristine, name, { get: getter });
      apply(arrayPush, exposed, [name]);
    }
  }

  // \`self\` is the global object, as in browsers, workers, Deno and Workers: bundled libraries
  // look for the global there (lodash and ethers try \`self\` before Function('return this'),
  // which is refused here). Hardening never freezes the global object, and each context made
  // from the snapshot gets its own global in place of the snapshot's, here too.
  expose('self', global);

  // Each capability declares what its installer exposes (capability.ts); an installer that
  // exposes anything else stops the snapshot build here (a lazy one, its first use).
  function checkExposed(declaration, names) {
    const declared = declaration.lazy || declaration.globals;
    let same = names.length === declared.length;
    for (let i = 0; same && i < names.length; i++) same = apply(arrayIncludes, declared, [names[i]]);
    if (!same) {
      throw new ErrorCtor(`capability ${declaration.name} exposed [${apply(arrayJoin, names, [', '])}] but declares [${apply(arrayJoin, declared, [', '])}]`);
    }
  }

  for (let i = 0; i < installers.length; i++) {
    const declaration = options.installers[i];
    const limits = freeze(declaration.limits);
    if (declaration.lazy) {
      defineLazy(installers[i], declaration, limits);
      continue;
    }
    const before = exposed.length;
    installers[i](global, kit, expose, limits);
    checkExposed(declaration, apply(arraySlice, exposed, [before]));
  }
  const hardened = harden(global, exposed, options.v8Changes);
  freezeReachable = hardened.freezeReachable;

  // What hardening removed from the global (V8's extras) is gone for lazy installers too.
  for (const name of getOwnPropertyNames(pristine)) {
    if (!hasOwn(global, name)) delete pristine[name];
  }

  // ---- running the guest function ----------------------------------------------------------

  function describe(value) {
    try {
      if (value instanceof ErrorCtor) return value;
    } catch {
      // A revoked Proxy throws on instanceof; fall through.
    }
    try {
      return makeError('Error', `Uncaught ${typeof value === 'string' ? value : describeValue(value)}`);
    } catch {
      return makeError('Error', 'Uncaught exception');
    }
  }

  function describeValue(value) {
    try {
      const json = JSONstringify(value);
      if (typeof json === 'string') return json;
    } catch {
      // fall through to String()
    }
    return StringCtor(value);
  }

  // Error text is the guest's to choose, so it is bounded like logs and results: a 50 MB message
  // copied into the stack, split, joined and wrapped again could exhaust the isolate's heap inside
  // V8 itself, which isolated-vm reports as a catastrophic error that takes the host down.
  const maxErrorChars = 16 * 1024;

  function bounded(text, max) {
    const string = StringCtor(text);
    if (string.length <= max) return string;
    return `${apply(stringSlice, string, [0, max])}... [truncated: ${string.length - max} more characters]`;
  }

  // Only the guest's own frames: internal runtime frames say nothing useful to the user.
  function guestStack(stack) {
    const lines = apply(stringSplit, bounded(stack, 2 * maxErrorChars), ['\n']);
    const kept = apply(arrayFilter, lines, [(line) => !apply(stringIncludes, line, [internalFile])]);
    return apply(arrayJoin, kept, ['\n']);
  }

  function serializeError(raw) {
    const error = describe(raw);
    const envelope = { ok: false, name: 'Error', message: '', stack: '', code: undefined };
    try {
      envelope.code = kit.codeOf(error);
      envelope.name = bounded(error.name, 256);
      envelope.message = bounded(error.message, maxErrorChars);
      envelope.stack = guestStack(error.stack);
    } catch {
      // An error object with throwing getters: report what we have.
    }
    return JSONstringify(envelope);
  }

  // Deeper results are refused: the host, and whatever serializes the result after it (an HTTP
  // reply, a log line, a database), recurses once per level on a stack far smaller than the
  // isolate's, and a few thousand levels would overflow it there.
  const maxResultDepth = 256;

  function nestedTooDeep(json) {
    // A JSON text needs two characters per level: short ones cannot be too deep.
    if (json.length < 2 * maxResultDepth) return false;
    let depth = 0;
    let inString = false;
    for (let i = 0; i < json.length; i++) {
      const c = apply(charCodeAt, json, [i]);
      if (inString) {
        if (c === 0x5c) i++; // a backslash escapes the next character
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth > maxResultDepth) return true;
      } else if (c === 0x5d || c === 0x7d) {
        depth--;
      }
    }
    return false;
  }

  function serializeResult(value, limit) {
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
      throw makeError('TypeError', `the function returned a ${typeof value}, which is not JSON-serialisable`, 'RUNTIME_ERROR');
    }
    const json = value === undefined ? 'null' : JSONstringify(value);
    const text = json === undefined ? 'null' : json;
    // Characters, a lower bound of the UTF-8 bytes the host counts exactly.
    if (text.length > limit) {
      throw makeError('RangeError', `result is ${text.length} bytes of JSON, over the limit of ${limit}`, 'RESULT_TOO_LARGE');
    }
    if (nestedTooDeep(text)) {
      throw makeError('RangeError', `result is nested deeper than the limit of ${maxResultDepth} levels`, 'RESULT_TOO_LARGE');
    }
    return JSONstringify({ ok: true, json: text });
  }

  function prepare(paramsJson, contextJson, kind) {
    if (kind === 'module') {
      // The host's private entry module (guest/entry.js) hands us the function module's
      // namespace once its evaluation, top-level await included, is done. The handoff global
      // lives only until guest/handoff.js, evaluated before any function code, removes it.
      namespaceReady = new PromiseCtor((resolve) => {
        // Wrapped, because a module that exports `then` has a thenable namespace, which resolve()
        // would call instead of delivering.
        const deliver = (namespace) => resolve({ namespace });
        defineProperty(global, '__teejsHandoff', { value: deliver, writable: false, enumerable: false, configurable: true });
      });
    }
    const context = freeze(JSONparse(contextJson));
    const params = JSONparse(paramsJson);
    defineProperty(global, 'params', { value: params, writable: true, enumerable: false, configurable: true });
    defineProperty(global, 'executionContext', { value: context, writable: true, enumerable: false, configurable: true });
    return context;
  }

  let context = null;
  let params = null;
  let namespaceReady = null;

  function pickEntry(kind, candidate) {
    if (kind === 'script') {
      const main = global.main;
      if (typeof main === 'function') return main;
      throw makeError('TypeError', 'the script must define a function main()', 'VALIDATION_ERROR');
    }
    if (typeof candidate.default === 'function') return candidate.default;
    if (typeof candidate.main === 'function') return candidate.main;
    throw makeError('TypeError', 'the module must export a default function (or a function named main)', 'VALIDATION_ERROR');
  }

  async function run(kind, resultLimit) {
    const uncaught = new PromiseCtor((_, reject) => {
      reportUncaught = reject;
    });
    try {
      const namespace = kind === 'module' ? (await namespaceReady).namespace : null;
      const entry = pickEntry(kind, namespace);
      const value = await PromiseCtor.race([apply(entry, undefined, [params, context]), uncaught]);
      return serializeResult(value, resultLimit);
    } catch (error) {
      return serializeError(error);
    }
  }

  function settle(id, reply) {
    const waiter = apply(mapGet, pending, [id]);
    if (!waiter) return;
    apply(mapDelete, pending, [id]);
    if (reply && reply.ok === true) waiter.resolve(reply.value);
    else {
      const failure = reply || {};
      waiter.reject(makeError(failure.name, failure.message || 'host request failed', failure.code));
    }
  }

  function emit(event, ...args) {
    const handler = apply(mapGet, listeners, [event]);
    if (handler) apply(handler, undefined, args);
  }

  function control(op, a, b, c) {
    switch (op) {
      case 'prepare':
        context = prepare(a, b, c);
        params = global.params;
        return undefined;
      case 'run':
        // Returning the promise lets the host await it with { result: { promise: true } }.
        return run(a, b);
      case 'settle':
        return settle(a, b);
      case 'event':
        return emit(a, b, c);
      default:
        throw new ErrorCtor('unknown control operation');
    }
  }

  return function attach(call, wait, post) {
    if (hostCall !== null) throw new ErrorCtor('the sandbox is already attached');
    hostCall = call;
    hostWait = wait;
    hostPost = post;
    const { added, removed } = hardened.finish();
    for (const name of removed) delete pristine[name];
    for (const name of added) defineProperty(pristine, name, { value: global[name], configurable: true });
    return control;
  };
});
