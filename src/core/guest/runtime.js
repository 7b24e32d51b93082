// The runtime of every sandbox's startup snapshot (see guest/snapshot.js). It evaluates to
// `bootstrap`, which runs once per process, inside the snapshot, with the capability installers
// (each capability's guest files), the harden step, the primordials and its helpers (bytes.js,
// handed to installers as runtime.bytes; envelope.js, which writes an execution's outcome for the
// host). It gives installers the `runtime` object (host operations, events, errors with codes),
// installs the capabilities, eagerly or on first use, and returns `attach`, which each sandbox calls once, before
// any guest code exists, with its three host channel functions; `attach` returns the one
// `control` function that only the host holds. Nothing here is ever reachable from a global.
//
// Everything crossing the host channel is a primitive or a plain copied object, so no host
// object (Reference, Callback, host Error) is ever kept where guest code can see it.
(function bootstrap(harden, options, installers, primordials, helpers) {
  'use strict';

  const {
    ArrayPrototypeFilter, ArrayPrototypeIncludes, ArrayPrototypeJoin, ArrayPrototypePush,
    ArrayPrototypeSlice, Error, JSONParse, JSONStringify, Map, MapPrototypeDelete, MapPrototypeGet,
    MapPrototypeSet, ObjectCreate, ObjectDefineProperty, ObjectFreeze,
    ObjectGetOwnPropertyDescriptor, ObjectGetOwnPropertyNames, ObjectGetPrototypeOf, ObjectHasOwn,
    Promise, ReflectApply, String, StringFromCharCode, StringPrototypeCharCodeAt,
    StringPrototypeIncludes, StringPrototypeSlice, StringPrototypeSplit, Uint8Array,
    Uint8ArrayPrototypeSubarray, WeakSet, WeakSetPrototypeAdd, WeakSetPrototypeHas,
  } = primordials;

  const global = globalThis;
  const errorTypes = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };
  const internalFile = options.internalFilePrefix;

  // The host's channel: set by `attach`, in each sandbox (a snapshot holds no host objects).
  let hostCall = null;
  let hostWait = null;
  let hostPost = null;

  // Errors the runtime raises on behalf of the host (a missing secret, a validation failure)
  // carry a machine-readable code. Guest code cannot forge membership of this set.
  const codedErrors = new WeakSet();
  const errorCodes = new Map();

  function makeError(name, message, code) {
    const Ctor = errorTypes[name] || Error;
    const error = new Ctor(String(message));
    if (code) {
      WeakSetPrototypeAdd(codedErrors, error);
      MapPrototypeSet(errorCodes, error, code);
      ObjectDefineProperty(error, 'code', { value: code, writable: true, enumerable: false, configurable: true });
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
  const pending = new Map();
  const listeners = new Map();
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
      throw makeError('RangeError', `${String(op)}: arguments of ${chars} characters, over the limit of ${maxWaitArgumentChars}`);
    }
  }
  const bytes = helpers.bytes(primordials);

  // Platform classes (URL, Headers, TextDecoder, CryptoKey...): structuredClone refuses their
  // instances with a DataCloneError, as browsers do, whichever capability made them.
  const platformPrototypes = new WeakSet();
  const platform = ObjectFreeze({
    register(prototype) {
      WeakSetPrototypeAdd(platformPrototypes, prototype);
    },
    is(value) {
      for (let proto = ObjectGetPrototypeOf(value); proto !== null; proto = ObjectGetPrototypeOf(proto)) {
        if (WeakSetPrototypeHas(platformPrototypes, proto)) return true;
      }
      return false;
    },
  });

  const runtime = ObjectFreeze({
    /** Synchronous host call; `args` are primitives. Throws a guest error on refusal. */
    call(op, ...args) {
      return unwrap(ReflectApply(hostCall, undefined, [op, ...args]));
    },
    /** Synchronous call to an asynchronous host handler: the isolate waits for the answer. */
    wait(op, ...args) {
      checkWaitArguments(op, args);
      // The answer comes back as JSON text: applySyncPromise copies only primitives.
      return unwrap(JSONParse(hostWait.applySyncPromise(undefined, [op, ...args], { arguments: { copy: true } })));
    },
    /** Asynchronous host call; resolves or rejects with a guest value. */
    request(op, ...args) {
      const id = nextRequest++;
      return new Promise((resolve, reject) => {
        MapPrototypeSet(pending, id, { resolve, reject });
        ReflectApply(hostPost, undefined, [op, id, ...args]);
      });
    },
    /** Fire-and-forget notice to the host. */
    notify(op, ...args) {
      ReflectApply(hostPost, undefined, [op, 0, ...args]);
    },
    listen(event, handler) {
      MapPrototypeSet(listeners, event, handler);
    },
    /** An error nobody can catch (a timer callback threw): it ends the execution. */
    uncaught(error) {
      if (reportUncaught) reportUncaught(error);
    },
    error: makeError,
    /** Byte helpers shared by the capabilities that move bytes (fetch, encoding, subtle). */
    bytes,
    /** The built-ins captured before any guest code ran (guest/primordials.js). */
    primordials,
    /**
     * Whether `getter` (an intrinsic's or a platform class's accessor) accepts `value` as its
     * receiver: a brand check that own properties and prototypes set by guest code cannot forge.
     */
    accepts(getter, value) {
      try {
        ReflectApply(getter, value, []);
        return true;
      } catch {
        return false;
      }
    },
    platform,
    codeOf(error) {
      return WeakSetPrototypeHas(codedErrors, error) ? MapPrototypeGet(errorCodes, error) : undefined;
    },
  });

  // What lazily installed capabilities see as `global`: the bindings as the runtime made them
  // (standard built-ins, other capabilities), not whatever the guest has put on its global since.
  const pristine = ObjectCreate(null);
  for (const name of ObjectGetOwnPropertyNames(global)) {
    const descriptor = ObjectGetOwnPropertyDescriptor(global, name);
    if (ObjectHasOwn(descriptor, 'value')) ObjectDefineProperty(pristine, name, { value: descriptor.value, configurable: true });
  }

  const exposed = [];
  function expose(name, value) {
    ObjectDefineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
    ObjectDefineProperty(pristine, name, { value, configurable: true });
    ArrayPrototypePush(exposed, name);
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
    const values = new Map();
    const accessors = new Map();
    function installNow() {
      if (state === 'failed') throw failure;
      if (state !== 'pending') return;
      state = 'installing';
      try {
        const given = [];
        install(pristine, runtime, (name, value) => {
          MapPrototypeSet(values, name, value);
          ArrayPrototypePush(given, name);
        }, limits);
        checkExposed(declaration, given);
      } catch (error) {
        state = 'failed';
        failure = error;
        throw error;
      }
      state = 'installed';
      for (const name of names) {
        const value = MapPrototypeGet(values, name);
        // Before hardening (an eager installer used it) the harden walk freezes it with the rest.
        if (freezeReachable) freezeReachable(value);
        const current = ObjectGetOwnPropertyDescriptor(global, name);
        if (current && current.get === MapPrototypeGet(accessors, name)) {
          ObjectDefineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
        }
      }
    }
    for (const name of names) {
      const get = {
        get [name]() {
          installNow();
          return MapPrototypeGet(values, name);
        },
      };
      const set = {
        set [name](value) {
          ObjectDefineProperty(global, name, { value, writable: true, enumerable: false, configurable: true });
        },
      };
      const getter = ObjectGetOwnPropertyDescriptor(get, name).get;
      MapPrototypeSet(accessors, name, getter);
      ObjectDefineProperty(global, name, { get: getter, set: ObjectGetOwnPropertyDescriptor(set, name).set, enumerable: false, configurable: true });
      ObjectDefineProperty(pristine, name, { get: getter });
      ArrayPrototypePush(exposed, name);
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
    for (let i = 0; same && i < names.length; i++) same = ArrayPrototypeIncludes(declared, names[i]);
    if (!same) {
      throw new Error(`capability ${declaration.name} exposed [${ArrayPrototypeJoin(names, ', ')}] but declares [${ArrayPrototypeJoin(declared, ', ')}]`);
    }
  }

  // A capability's installer files run in order, with one `shared` object of their own.
  function installerOf(parts) {
    return (target, services, exposeTo, limits) => {
      const shared = ObjectCreate(null);
      for (let j = 0; j < parts.length; j++) parts[j](target, services, exposeTo, limits, shared);
    };
  }

  for (let i = 0; i < installers.length; i++) {
    const declaration = options.installers[i];
    const limits = ObjectFreeze(declaration.limits);
    const install = installerOf(installers[i]);
    if (declaration.lazy) {
      defineLazy(install, declaration, limits);
      continue;
    }
    const before = exposed.length;
    install(global, runtime, expose, limits);
    checkExposed(declaration, ArrayPrototypeSlice(exposed, before));
  }
  const hardened = harden(global, exposed, options.v8Changes);
  freezeReachable = hardened.freezeReachable;

  // What hardening removed from the global (V8's extras) is gone for lazy installers too.
  for (const name of ObjectGetOwnPropertyNames(pristine)) {
    if (!ObjectHasOwn(global, name)) delete pristine[name];
  }

  // ---- running the guest function ----------------------------------------------------------

  const envelope = helpers.envelopes(primordials, makeError, runtime.codeOf, internalFile);

  function prepare(paramsJson, contextJson, kind) {
    if (kind === 'module') {
      // The host's private entry module (guest/entry.js) hands us the function module's
      // namespace once its evaluation, top-level await included, is done. The handoff global
      // lives only until guest/handoff.js, evaluated before any function code, removes it.
      namespaceReady = new Promise((resolve) => {
        // Wrapped, because a module that exports `then` has a thenable namespace, which resolve()
        // would call instead of delivering.
        const deliver = (namespace) => resolve({ namespace });
        ObjectDefineProperty(global, '__teejsHandoff', { value: deliver, writable: false, enumerable: false, configurable: true });
      });
    }
    const context = ObjectFreeze(JSONParse(contextJson));
    // The function's env: a plain object parsed here, frozen like the context that holds it.
    if (context.env !== null && typeof context.env === 'object') ObjectFreeze(context.env);
    const params = JSONParse(paramsJson);
    ObjectDefineProperty(global, 'params', { value: params, writable: true, enumerable: false, configurable: true });
    ObjectDefineProperty(global, 'executionContext', { value: context, writable: true, enumerable: false, configurable: true });
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
    const uncaught = new Promise((_, reject) => {
      reportUncaught = reject;
    });
    try {
      const namespace = kind === 'module' ? (await namespaceReady).namespace : null;
      const entry = pickEntry(kind, namespace);
      const value = await Promise.race([ReflectApply(entry, undefined, [params, context]), uncaught]);
      return envelope.result(value, resultLimit);
    } catch (error) {
      return envelope.error(error);
    }
  }

  function settle(id, reply) {
    const waiter = MapPrototypeGet(pending, id);
    if (!waiter) return;
    MapPrototypeDelete(pending, id);
    if (reply && reply.ok === true) waiter.resolve(reply.value);
    else {
      const failure = reply || {};
      waiter.reject(makeError(failure.name, failure.message || 'host request failed', failure.code));
    }
  }

  function emit(event, ...args) {
    const handler = MapPrototypeGet(listeners, event);
    if (handler) ReflectApply(handler, undefined, args);
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
        throw new Error('unknown control operation');
    }
  }

  return function attach(call, wait, post) {
    if (hostCall !== null) throw new Error('the sandbox is already attached');
    hostCall = call;
    hostWait = wait;
    hostPost = post;
    const { added, removed } = hardened.finish();
    for (const name of removed) delete pristine[name];
    for (const name of added) ObjectDefineProperty(pristine, name, { value: global[name], configurable: true });
    return control;
  };
});
