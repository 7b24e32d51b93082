// Well-known sandbox-escape techniques, each tried from guest code. None may reach the host: no
// host object (process, require, an isolated-vm Reference or Callback, a host Error), no change to
// the host's intrinsics, no unexpected failure inside a host capability, no crash.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';
import { HostState } from '../support/host-state.ts';

const engine = makeEngine({ limits: { timeoutMs: 3000 } });
const host = new HostState();
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

// A guest that makes a host capability fail unexpectedly shows up as a process warning.
const hostWarnings: string[] = [];
process.on('warning', (warning) => {
  if (warning.message.startsWith('teejs:')) hostWarnings.push(warning.message);
});

after(() => engine.drain());

/** Guest helper: runs each attempt, reporting its value or the name of what it threw. */
const attemptAll = `
  function attemptAll(attempts) {
    const outcomes = {};
    for (const [name, attempt] of Object.entries(attempts)) {
      try {
        const value = attempt();
        outcomes[name] = 'returned ' + (typeof value === 'function' ? 'a function' : typeof value);
      } catch (e) {
        outcomes[name] = e instanceof Error ? e.name : 'threw a non-Error ' + typeof e;
      }
    }
    return outcomes;
  }
`;

function allEqual(outcomes: unknown, expected: string): void {
  for (const [name, outcome] of Object.entries(outcomes as Record<string, string>)) assert.equal(outcome, expected, name);
}

describe('constructor chains to process and require', () => {
  test('this.constructor.constructor and its relatives refuse code generation', async () => {
    const scriptForm = await run(
      engine,
      `${attemptAll}
      const topLevelThis = this;
      function main() {
        return attemptAll({
          topLevelThis: () => topLevelThis.constructor.constructor('return process')(),
          globalThis: () => globalThis.constructor.constructor('return process')(),
          objectLiteral: () => ({}).constructor.constructor('return process')(),
          params: () => params.constructor.constructor('return require')(),
          context: () => executionContext.constructor.constructor('return process')(),
          capability: () => crypto.sha256.constructor('return process')(),
          consoleMethod: () => console.log.constructor('return process')(),
          protoOfGlobal: () => Object.getPrototypeOf(globalThis).constructor.constructor('return process')(),
          arrowFunction: () => (() => 1).constructor('return process')(),
          boundFunction: () => (function () {}).bind(null).constructor('return process')(),
          classConstructor: () => (class {}).constructor('return process')(),
          symbolDescription: () => Symbol.prototype.constructor.constructor('return process')(),
        });
      }`,
    );
    allEqual(succeeded(scriptForm), 'EvalError');
  });

  test('async, generator and async generator function constructors refuse code generation', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        const AsyncFunction = (async () => {}).constructor;
        const GeneratorFunction = (function* () {}).constructor;
        const AsyncGeneratorFunction = (async function* () {}).constructor;
        return attemptAll({
          asyncFunction: () => AsyncFunction('return process')(),
          newAsyncFunction: () => new AsyncFunction('return process'),
          generatorFunction: () => GeneratorFunction('yield process')().next(),
          asyncGeneratorFunction: () => AsyncGeneratorFunction('yield process')(),
          viaPrototype: () => Object.getPrototypeOf(async function () {}).constructor('return process'),
          viaGeneratorObject: () => (function* () {})().constructor.constructor('return process')(),
          viaAsyncGeneratorObject: () => Object.getPrototypeOf((async function* () {})()).constructor.constructor('x'),
          viaPromiseFromAsync: () => (async () => {})().constructor.constructor('return process')(),
        });
      `),
    );
    allEqual(succeeded(result), 'EvalError');
  });

  test('import() of host modules, runtime modules and data: URLs is refused with a catchable error', async () => {
    const specifiers = ['node:fs', 'fs', 'child_process', 'teejs:handoff', 'teejs:function', 'data:text/javascript,export default 1', 'file:///etc/passwd', './x.js'];
    for (const form of ['module', 'script'] as const) {
      const source =
        form === 'module'
          ? moduleOf(`
            const outcomes = [];
            for (const specifier of ${JSON.stringify(specifiers)}) {
              try { const m = await import(specifier); outcomes.push('imported ' + Object.keys(m)); }
              catch (e) { outcomes.push(e instanceof Error ? 'refused' : 'non-Error'); }
            }
            return outcomes;
          `)
          : `async function main() {
              const outcomes = [];
              for (const specifier of ${JSON.stringify(specifiers)}) {
                try { const m = await import(specifier); outcomes.push('imported ' + Object.keys(m)); }
                catch (e) { outcomes.push(e instanceof Error ? 'refused' : 'non-Error'); }
              }
              return outcomes;
            }`;
      assert.deepEqual(succeeded(await run(engine, source, { form })), specifiers.map(() => 'refused'), form);
    }
    // A static import is refused before anything runs.
    const staticImport = await run(engine, "import fs from 'node:fs';\nexport default () => typeof fs;");
    assert.match(failed(staticImport, 'VALIDATION_ERROR').message, /imports are not supported/);
  });

  test('Reflect and Proxy do not lead to a working Function constructor', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        const F = (function () {}).constructor;
        return attemptAll({
          reflectConstruct: () => Reflect.construct(F, ['return process']),
          reflectApply: () => Reflect.apply(F, undefined, ['return process']),
          reflectGet: () => Reflect.get(Function.prototype, 'constructor')('return process'),
          proxyOfFunction: () => new Proxy(function () {}, {}).constructor('return process'),
          proxyConstructTrap: () => new (new Proxy(F, { construct: (target, args) => Reflect.construct(target, args) }))('return 1'),
          proxyApplyTrap: () => new Proxy(F, {})('return process'),
          boundConstructor: () => F.bind(null, 'return process')(),
          callConstructor: () => F.call(null, 'return process'),
          subclass: () => new (class extends F {})('return process'),
          descriptor: () => Object.getOwnPropertyDescriptor(Function.prototype, 'constructor').get()('return process'),
        });
      `),
    );
    allEqual(succeeded(result), 'EvalError');
  });
});

describe('stack-trace APIs', () => {
  test('Error.prepareStackTrace and Error.stackTraceLimit cannot be installed or changed', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        const outcomes = attemptAll({
          assignPrepare: () => { Error.prepareStackTrace = (error, frames) => frames; },
          definePrepare: () => Object.defineProperty(Error, 'prepareStackTrace', { value: (e, frames) => frames }),
          assignLimit: () => { Error.stackTraceLimit = Infinity; },
          rangeErrorPrepare: () => { RangeError.prepareStackTrace = (e, frames) => frames; },
        });
        const stack = new Error('probe').stack;
        return { outcomes, stackType: typeof stack, hasPrepare: 'prepareStackTrace' in Error };
      `),
    );
    const value = succeeded(result) as { outcomes: Record<string, string>; stackType: string; hasPrepare: boolean };
    allEqual(value.outcomes, 'TypeError');
    assert.equal(value.stackType, 'string');
    assert.equal(value.hasPrepare, false);
  });

  test('Error.captureStackTrace works on guest objects, refuses frozen intrinsics, and shows no host frames', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        const own = {};
        Error.captureStackTrace(own);
        function deeper() { const o = {}; Error.captureStackTrace(o, deeper); return o.stack; }
        const frozen = attemptAll({
          objectPrototype: () => Error.captureStackTrace(Object.prototype),
          errorPrototype: () => Error.captureStackTrace(Error.prototype),
          capability: () => Error.captureStackTrace(crypto),
        });
        let hostCallStack = '';
        try { secrets.get('missing-secret'); } catch (e) { hostCallStack = e.stack; }
        return { own: own.stack, deeper: deeper(), frozen, hostCallStack };
      `),
    );
    const value = succeeded(result) as { own: string; deeper: string; frozen: Record<string, string>; hostCallStack: string };
    assert.equal(typeof value.own, 'string');
    allEqual(value.frozen, 'TypeError');
    for (const stack of [value.own, value.deeper, value.hostCallStack]) {
      assert.ok(!stack.includes(projectRoot), `a host path in ${stack}`);
      assert.doesNotMatch(stack, /file:\/\/|node:internal|isolated-vm|\.ts:/);
    }
  });
});

describe('Promise and Symbol.species', () => {
  test('Promise intrinsics cannot be redirected', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        class Evil extends Promise {}
        return attemptAll({
          species: () => Object.defineProperty(Promise, Symbol.species, { get: () => Evil }),
          prototypeConstructor: () => { Promise.prototype.constructor = Evil; },
          then: () => { Promise.prototype.then = function () {}; },
          resolve: () => { Promise.resolve = () => {}; },
          race: () => { Promise.race = () => {}; },
          arraySpecies: () => Object.defineProperty(Array, Symbol.species, { get: () => Evil }),
          symbolSpecies: () => { Symbol.species = 'x'; },
        });
      `),
    );
    allEqual(succeeded(result), 'TypeError');
  });

  test('promise subclasses and species tricks on the result stay guest semantics', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const seen = [];
        class Sneaky extends Promise {
          static get [Symbol.species]() { seen.push('species'); return Promise; }
          then(onFulfilled, onRejected) {
            seen.push('then');
            let reach = 'none';
            try { reach = onFulfilled.constructor.constructor('return typeof process')(); } catch (e) { reach = e.name; }
            seen.push(reach);
            return super.then(onFulfilled, onRejected);
          }
        }
        const value = await Sneaky.resolve('sneaky result');
        return { value, seen };
      `),
    );
    const value = succeeded(result) as { value: string; seen: string[] };
    assert.equal(value.value, 'sneaky result');
    assert.ok(value.seen.includes('then'));
    assert.ok(!value.seen.includes('undefined') && !value.seen.includes('object'), `reached something: ${value.seen}`);
    assert.ok(value.seen.every((entry) => ['species', 'then', 'EvalError'].includes(entry)), String(value.seen));
  });

  test('a promise subclass returned as the result hands the runtime nothing but values', async () => {
    const result = await run(
      engine,
      moduleOf(`
        class Sneaky extends Promise {
          then(onFulfilled) {
            let probe;
            try { probe = onFulfilled.constructor.constructor('return typeof process')(); } catch (e) { probe = e.name; }
            return super.then(() => onFulfilled(probe));
          }
        }
        return Sneaky.resolve(1);
      `),
    );
    assert.equal(succeeded(result), 'EvalError');
  });
});

describe('thenable tricks on results', () => {
  test('a thenable result is awaited as in any async function', async () => {
    assert.equal(succeeded(await run(engine, moduleOf("return { then(resolve) { resolve('from a thenable'); } };"))), 'from a thenable');
    const first = await run(engine, moduleOf("return { then(resolve, reject) { resolve('first'); reject(new Error('second')); throw new Error('third'); } };"));
    assert.equal(succeeded(first), 'first');
  });

  test('resolving with the runtime\'s own resolver gives a clean error, not a host object', async () => {
    const result = await run(
      engine,
      moduleOf(`
        return { then(resolve) {
          let reach;
          try { reach = resolve.constructor.constructor('return typeof process')(); } catch (e) { reach = e.name; }
          if (reach !== 'EvalError') return resolve('escaped: ' + reach);
          resolve(resolve);
        } };
      `),
    );
    assert.match(failed(result, 'RUNTIME_ERROR').message, /not JSON-serialisable/);
  });

  test('a throwing then getter, a self-resolving thenable and a never-settling one end cleanly', async () => {
    const getter = await run(engine, moduleOf("return { get then() { throw new Error('then getter'); } };"));
    assert.match(failed(getter, 'RUNTIME_ERROR').message, /then getter/);
    const selfResolving = await run(engine, moduleOf('const p = new Promise((resolve) => setTimeout(() => resolve(p))); return p;'));
    assert.match(failed(selfResolving, 'RUNTIME_ERROR').message, /TypeError/);
    const never = await run(engine, moduleOf('return { then() {} };'), { timeoutMs: 300 });
    failed(never, 'TIMEOUT');
  });

  test('a module that exports `then` is still a module, not a thenable', async () => {
    const result = await run(engine, "export function then(resolve) { resolve({ default: () => 'hijacked' }); }\nexport default () => 'the default export';");
    assert.equal(succeeded(result), 'the default export');
  });
});

describe('Proxy traps', () => {
  test('a Proxy in params never reaches the guest and its traps never run on the host', async () => {
    const trapped: string[] = [];
    const handler: ProxyHandler<object> = {};
    for (const trap of ['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'apply', 'construct'] as const) {
      (handler as Record<string, unknown>)[trap] = (...args: unknown[]) => {
        trapped.push(trap);
        return (Reflect[trap] as (...a: unknown[]) => unknown)(...args);
      };
    }
    for (const params of [new Proxy({ a: 1 }, handler), { nested: new Proxy([1, 2], handler) }, new Proxy([], handler)]) {
      const result = await run(engine, moduleOf('return params;'), { params });
      assert.match(failed(result, 'VALIDATION_ERROR').message, /params/);
    }
    assert.deepEqual(trapped, []);
  });

  test('params with getters or toJSON cannot change between the check and the copy', async () => {
    let reads = 0;
    const shifty = {
      get value() {
        reads++;
        return reads === 1 ? 'small' : 'x'.repeat(5 * 1024 * 1024);
      },
    };
    failed(await run(engine, moduleOf('return params;'), { params: shifty }), 'VALIDATION_ERROR');
    const deep = () => {
      let node: unknown[] = [];
      for (let i = 0; i < 100_000; i++) node = [node];
      return node;
    };
    let toJSONCalls = 0;
    const arrayWithToJSON = Object.assign([1, 2, 3], {
      toJSON: () => {
        toJSONCalls++;
        return deep();
      },
    });
    // Params are data: the caller's toJSON is never run, the array's elements are what is copied.
    assert.deepEqual(succeeded(await run(engine, moduleOf('return params;'), { params: { list: arrayWithToJSON } })), { list: [1, 2, 3] });
    assert.equal(toJSONCalls, 0);
    failed(await run(engine, moduleOf('return params;'), { params: { list: deep() } }), 'VALIDATION_ERROR');
    class Data extends Array {}
    failed(await run(engine, moduleOf('return params;'), { params: Data.from([1]) }), 'VALIDATION_ERROR');
    assert.equal(reads, 0, 'the host ran a getter of the caller\'s params');
  });

  test('a Proxy result with hostile traps ends in a clean error', async () => {
    const cases = {
      ownKeysThrows: "return new Proxy({}, { ownKeys() { throw new Error('trap ownKeys'); } });",
      getThrows: "return new Proxy({ a: 1 }, { get() { throw new Error('trap get'); } });",
      revoked: 'const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy;',
      lyingLength: "return new Proxy([], { get(target, key) { return key === 'length' ? 1e9 : undefined; } });",
    };
    for (const [name, body] of Object.entries(cases)) {
      const result = await run(engine, moduleOf(body), { memoryMb: 32, timeoutMs: 1500 });
      assert.equal(result.status, 'error', name);
      assert.ok(['RUNTIME_ERROR', 'RESULT_TOO_LARGE', 'MEMORY_LIMIT', 'TIMEOUT'].includes(result.error!.code), `${name}: ${result.error!.code}`);
    }
  });

  test('a thrown Proxy with hostile traps ends in a clean error', async () => {
    const allTrapsThrow = "new Proxy(function () {}, new Proxy({}, { get() { return () => { throw new Error('trap'); }; } }))";
    const inMain = await run(engine, moduleOf(`throw ${allTrapsThrow};`));
    assert.match(failed(inMain, 'RUNTIME_ERROR').message, /Uncaught/);
    const topLevel = await run(engine, `throw ${allTrapsThrow};\nexport default () => 1;`);
    failed(topLevel, 'RUNTIME_ERROR');
    const script = await run(engine, `throw ${allTrapsThrow};\nfunction main() {}`);
    failed(script, 'RUNTIME_ERROR');
  });

  test('console arguments with hostile traps are formatted without throwing', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const allTrapsThrow = new Proxy({}, { get() { return () => { throw new Error('trap'); }; } });
        const hostile = [
          new Proxy({}, allTrapsThrow),
          new Proxy([], allTrapsThrow),
          new Proxy(function named() {}, allTrapsThrow),
          Proxy.revocable({}, {}),
          { get loud() { throw new Error('getter'); } },
          { toString() { throw new Error('toString'); } },
          Object.create(null),
        ];
        hostile[3].revoke();
        hostile[3] = hostile[3].proxy;
        let thrown = 0;
        for (const value of hostile) {
          try { console.log('value:', value); } catch (e) { thrown++; }
        }
        return thrown;
      `),
    );
    assert.equal(succeeded(result), 0);
    assert.equal(result.logs.length, 7);
    for (const entry of result.logs) assert.match(entry.message, /^value: /);
  });

  test('secrets.get never runs traps or conversions of a non-string name', async () => {
    const result = await run(
      engine,
      moduleOf(`
        let trapped = 0;
        const handler = new Proxy({}, { get() { trapped++; return undefined; } });
        const names = [
          new Proxy({}, handler),
          new Proxy(['api-key'], handler),
          { toString() { trapped++; return 'api-key'; } },
          new String('api-key'),
          Symbol('api-key'),
          ['api-key'],
          null,
          undefined,
          42,
        ];
        const outcomes = names.map((name) => { try { return 'read ' + secrets.get(name); } catch (e) { return e.name; } });
        return { trapped, outcomes };
      `),
    );
    const value = succeeded(result) as { trapped: number; outcomes: string[] };
    assert.equal(value.trapped, 0);
    allEqual(value.outcomes, 'TypeError');
    assert.deepEqual(result.secretsRead, []);
  });
});

describe('errors raised inside host calls', () => {
  test('are plain guest errors of the guest\'s own intrinsics that still refuse code generation', async () => {
    const result = await run(
      engine,
      moduleOf(`
        function inspect(make) {
          try { make(); return 'no error'; } catch (e) {
            let codegen;
            try { e.constructor.constructor('return process')(); codegen = 'ran'; } catch (inner) { codegen = inner.name; }
            const proto = Object.getPrototypeOf(e);
            const guestTypes = [Error, TypeError, RangeError];
            return {
              name: e.name,
              ownIntrinsic: guestTypes.some((T) => proto === T.prototype),
              chainEndsInGuestObject: Object.getPrototypeOf(Object.getPrototypeOf(proto) ?? {}) === Object.prototype || Object.getPrototypeOf(proto) === Object.prototype,
              instanceOfError: e instanceof Error,
              codegen,
              ownKeys: Reflect.ownKeys(e).filter((k) => typeof k === 'string').sort(),
            };
          }
        }
        const tooManyTimers = () => { for (let i = 0; i < 2000; i++) setTimeout(() => {}, 100_000); };
        return {
          missingSecret: inspect(() => secrets.get('does-not-exist')),
          emptySecretName: inspect(() => secrets.get('')),
          longSecretName: inspect(() => secrets.get('n'.repeat(1000))),
          hugeHashInput: inspect(() => crypto.sha256('h'.repeat(17 * 1024 * 1024))),
          tooManyTimers: inspect(tooManyTimers),
          badRandomBytes: inspect(() => crypto.randomBytes(5000)),
          badRandomValues: inspect(() => crypto.getRandomValues(new Float64Array(2))),
        };
      `),
      { memoryMb: 128 },
    );
    const reports = succeeded(result) as Record<string, { name: string; ownIntrinsic: boolean; instanceOfError: boolean; codegen: string; ownKeys: string[] }>;
    for (const [name, report] of Object.entries(reports)) {
      assert.notEqual(report as unknown, 'no error', name);
      assert.equal(report.ownIntrinsic, true, name);
      assert.equal(report.instanceOfError, true, name);
      assert.equal(report.codegen, 'EvalError', name);
      for (const key of report.ownKeys) assert.ok(['stack', 'message', 'code'].includes(key), `${name} has an own ${key}`);
    }
    assert.equal(reports.missingSecret!.name, 'Error');
    assert.equal(reports.hugeHashInput!.name, 'RangeError');
    assert.equal(reports.tooManyTimers!.name, 'RangeError');
    assert.deepEqual(hostWarnings, []);
  });

  test('stack overflow inside a host call (console.log, secrets.get, crypto.sha256) stays a guest RangeError', async () => {
    for (const hostCall of ["console.log('deep', depth)", "secrets.get('api-key')", "crypto.sha256('x')", 'setTimeout(() => {}, 1)']) {
      const result = await run(
        engine,
        moduleOf(`
          let depth = 0;
          const caught = [];
          function recurse() {
            depth++;
            try { recurse(); } catch (overflow) {
              try { ${hostCall}; } catch (e) { caught.push(e); }
            }
          }
          recurse();
          const reports = caught.slice(0, 3).map((e) => {
            let codegen;
            try { e.constructor.constructor('return process')(); codegen = 'ran'; } catch (inner) { codegen = inner.name; }
            return [e instanceof Error, e.name, codegen];
          });
          // The isolate keeps working after the overflow.
          return { depth: depth > 1000, reports, after: crypto.sha256('after').length };
        `),
      );
      const value = succeeded(result) as { depth: boolean; reports: Array<[boolean, string, string]>; after: number };
      assert.equal(value.depth, true, hostCall);
      assert.equal(value.after, 64);
      for (const [isError, , codegen] of value.reports) {
        assert.equal(isError, true, hostCall);
        assert.equal(codegen, 'EvalError', hostCall);
      }
    }
    // Without a catch, the overflow is an ordinary runtime error.
    const uncaught = await run(engine, moduleOf("let d = 0; function f() { if (++d % 1000 === 0) console.log(d); return f() + 1; } return f();"));
    assert.match(failed(uncaught, 'RUNTIME_ERROR').message, /RangeError|Maximum call stack/);
    assert.deepEqual(hostWarnings, []);
  });
});

describe('errors the guest forges', () => {
  test('a guest cannot pass its throw off as a syntax error, an internal failure or a coded error', async () => {
    const syntax = await run(engine, "throw new SyntaxError('Unexpected token [function.mjs:1:1]');\nexport default () => 1;");
    failed(syntax, 'RUNTIME_ERROR');
    assert.equal(syntax.error?.line, undefined);
    const internal = await run(engine, "throw { name: 'Error', message: 'boom [teejs:internal/runtime.js:1:1]' };\nfunction main() {}");
    failed(internal, 'RUNTIME_ERROR');
    const coded = await run(engine, moduleOf("throw Object.assign(new Error('secret not found: api-key'), { code: 'SECRET_NOT_FOUND' });"));
    failed(coded, 'RUNTIME_ERROR');
    const timeout = await run(engine, moduleOf("const e = new Error('execution timeout'); e.code = 'TIMEOUT'; throw e;"));
    failed(timeout, 'RUNTIME_ERROR');
    assert.deepEqual(hostWarnings, []);
  });

  test('a genuine coded error keeps its code when the guest rethrows it, and loses it when copied', async () => {
    const rethrown = await run(engine, moduleOf("try { secrets.get('nope'); } catch (e) { throw e; }"));
    failed(rethrown, 'SECRET_NOT_FOUND');
    const copied = await run(engine, moduleOf("try { secrets.get('nope'); } catch (e) { throw Object.assign(new Error(e.message), { code: e.code }); }"));
    failed(copied, 'RUNTIME_ERROR');
  });
});

describe('result serialization', () => {
  test('getters that throw during serialization give RUNTIME_ERROR', async () => {
    const cases: Record<string, string> = {
      error: "return { get value() { throw new Error('getter failed'); } };",
      string: "return { get value() { throw 'a thrown string'; } };",
      hostileObject: 'return { get value() { throw { get name() { throw 1; }, get message() { throw 2; }, get stack() { throw 3; } }; } };',
      nested: "return { a: [{ b: { get c() { throw new TypeError('deep getter'); } } }] };",
      reentrant: "return { get value() { console.log('in getter'); return secrets.get('nope'); } };",
    };
    for (const [name, body] of Object.entries(cases)) {
      const result = await run(engine, moduleOf(body));
      if (name === 'reentrant') failed(result, 'SECRET_NOT_FOUND');
      else failed(result, 'RUNTIME_ERROR');
    }
    const looping = await run(engine, moduleOf('return { get value() { for (;;) {} } };'), { timeoutMs: 300 });
    failed(looping, 'TIMEOUT');
  });

  test('toJSON tricks', async () => {
    // Not the file's 3 s: under a loaded machine (load 25, two CPU burners) this one took longer.
    failed(await run(engine, moduleOf("return { toJSON() { return 'x'.repeat(2 * 1024 * 1024); } };"), { timeoutMs: 60_000 }), 'RESULT_TOO_LARGE');
    assert.equal(succeeded(await run(engine, moduleOf('return { toJSON() { return () => 1; } };'))), null);
    assert.match(failed(await run(engine, moduleOf("return { toJSON() { throw new Error('toJSON failed'); } };")), 'RUNTIME_ERROR').message, /toJSON failed/);
    assert.deepEqual(succeeded(await run(engine, moduleOf('return { toJSON() { return { leak: globalThis.constructor, fn: Function }; } };'))), {});
    const deep = await run(engine, moduleOf('return { toJSON() { let n = []; for (let i = 0; i < 20000; i++) n = [n]; return n; } };'));
    assert.match(failed(deep, 'RESULT_TOO_LARGE').message, /nested deeper/);
    const intrinsics = await run(
      engine,
      moduleOf(`${attemptAll}
        return attemptAll({
          bigint: () => { BigInt.prototype.toJSON = function () { return String(this); }; },
          object: () => { Object.prototype.toJSON = () => 'forged'; },
          date: () => { Date.prototype.toJSON = () => 'forged'; },
          json: () => { JSON.stringify = () => '"forged"'; },
        });
      `),
    );
    allEqual(succeeded(intrinsics), 'TypeError');
    // Nothing of the attempts changed how the runtime serializes.
    assert.deepEqual(succeeded(await run(engine, moduleOf('return { when: new Date(0), n: 1 };'))), { when: '1970-01-01T00:00:00.000Z', n: 1 });
  });
});

describe('reaching isolated-vm and runtime objects', () => {
  const standardGlobals = [
    'globalThis', 'Infinity', 'NaN', 'undefined', 'eval', 'isFinite', 'isNaN', 'parseFloat', 'parseInt',
    'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape',
    'Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Date', 'RegExp',
    'Promise', 'Proxy', 'Reflect', 'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'ArrayBuffer', 'DataView',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'JSON', 'Math', 'Intl',
    'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
    'URIError', 'SuppressedError', 'Iterator', 'DisposableStack', 'AsyncDisposableStack',
  ];
  // The documented capabilities: the core's, and the web-platform globals that come with fetch.
  const capabilityGlobals = [
    'console', 'secrets', 'crypto', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'params', 'executionContext',
    'fetch', 'Headers', 'Request', 'Response', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'atob', 'btoa',
    'AbortController', 'AbortSignal', 'DOMException', 'structuredClone', 'queueMicrotask', 'Blob', 'FormData', 'Event', 'EventTarget',
    'CryptoKey', 'SubtleCrypto', 'self',
  ];

  test('the global object lists only standard built-ins and documented capabilities', async () => {
    for (const source of [moduleOf('return Object.getOwnPropertyNames(globalThis);'), 'function main() { return Object.getOwnPropertyNames(globalThis); }']) {
      const names = succeeded(await run(engine, source)) as string[];
      const unexpected = names.filter((name) => !standardGlobals.includes(name) && !capabilityGlobals.includes(name) && name !== 'main');
      assert.deepEqual(unexpected, []);
      for (const name of ['console', 'secrets', 'crypto', 'setTimeout', 'clearTimeout', 'params', 'executionContext']) assert.ok(names.includes(name), name);
    }
    const symbols = await run(engine, moduleOf('return Object.getOwnPropertySymbols(globalThis).map(String);'));
    assert.deepEqual(succeeded(symbols), []);
  });

  test('nothing reachable from the global object is an isolated-vm object', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const ivmMembers = new Set(['applySync', 'applySyncPromise', 'applyIgnored', 'derefInto', 'copyInto',
          'getSync', 'setSync', 'evalClosure', 'compileScript', 'createContext', 'Reference', 'ExternalCopy', 'Callback', 'Isolate']);
        const seen = new Set();
        const queue = [[globalThis, 'globalThis']];
        const found = [];
        let visited = 0;
        while (queue.length > 0) {
          const [value, path] = queue.pop();
          if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
          seen.add(value);
          visited++;
          const tag = Object.prototype.toString.call(value);
          if (/Reference|ExternalCopy|Callback|Isolate|Context|NativeModule/.test(tag)) found.push(path + ' ' + tag);
          for (const key of Reflect.ownKeys(value)) {
            if (ivmMembers.has(key)) found.push(path + '.' + String(key));
            const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
            const name = path + '.' + String(key);
            if ('value' in descriptor) queue.push([descriptor.value, name]);
            else queue.push([descriptor.get, name + '<get>'], [descriptor.set, name + '<set>']);
          }
          queue.push([Object.getPrototypeOf(value), path + '.[[Prototype]]']);
        }
        return { found, visited };
      `),
    );
    const value = succeeded(result) as { found: string[]; visited: number };
    assert.deepEqual(value.found, []);
    assert.ok(value.visited > 500, `walked only ${value.visited} objects`);
  });

  test('runtime internals are unreachable: no handoff global, no caller chains, no code of the runtime exposed as data', async () => {
    const moduleResult = await run(
      engine,
      `const atTop = typeof globalThis.__teejsHandoff;
      export default function outer() {
        let caller;
        try { caller = typeof outer.caller; } catch (e) { caller = e.name; }
        let argumentsCallee;
        try { argumentsCallee = typeof arguments.callee.caller; } catch (e) { argumentsCallee = e.name; }
        return { atTop, now: typeof globalThis.__teejsHandoff, caller, argumentsCallee };
      }`,
    );
    assert.deepEqual(succeeded(moduleResult), { atTop: 'undefined', now: 'undefined', caller: 'TypeError', argumentsCallee: 'TypeError' });
    const getterCaller = await run(
      engine,
      moduleOf(`
        return { get probe() {
          const get = Object.getOwnPropertyDescriptor(this, 'probe').get;
          try { return typeof get.caller; } catch (e) { return e.name; }
        } };
      `),
    );
    assert.deepEqual(succeeded(getterCaller), { probe: 'TypeError' });
  });
});

describe('frozen intrinsics and the override mistake', () => {
  test('every attempt to modify a frozen intrinsic throws a TypeError in the guest', async () => {
    const result = await run(
      engine,
      moduleOf(`${attemptAll}
        const ArrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]());
        const TypedArray = Object.getPrototypeOf(Int8Array);
        const GeneratorFunctionPrototype = Object.getPrototypeOf(function* () {});
        return attemptAll({
          arrayPush: () => { Array.prototype.push = () => 0; },
          arrayMapDelete: () => { if (!delete Array.prototype.map) throw new Error('delete returned false'); },
          arrayDefine: () => Object.defineProperty(Array.prototype, 'evil', { value: 1 }),
          arrayProto: () => Object.setPrototypeOf(Array.prototype, null),
          objectToString: () => { Object.prototype.toString = () => ''; },
          objectValueOf: () => { Object.prototype.valueOf = () => 0; },
          objectNewKey: () => { Object.prototype.newKey = 1; },
          objectFreeze: () => { Object.freeze = (o) => o; },
          functionCall: () => { Function.prototype.call = () => 0; },
          functionApply: () => { Function.prototype.apply = () => 0; },
          functionBind: () => { Function.prototype.bind = () => 0; },
          functionToString: () => { Function.prototype.toString = () => ''; },
          jsonParse: () => { JSON.parse = () => 0; },
          mathRandom: () => { Math.random = () => 4; },
          dateNow: () => { Date.now = () => 0; },
          stringReplace: () => { String.prototype.replace = () => ''; },
          regexpExec: () => { RegExp.prototype.exec = () => null; },
          mapSet: () => { Map.prototype.set = () => 0; },
          reflectApply: () => { Reflect.apply = () => 0; },
          symbolIterator: () => { Array.prototype[Symbol.iterator] = function* () {}; },
          arrayIteratorNext: () => { ArrayIteratorPrototype.next = () => ({ done: true }); },
          typedArraySet: () => { TypedArray.prototype.set = () => {}; },
          generatorPrototype: () => { GeneratorFunctionPrototype.prototype.next = () => {}; },
          errorToString: () => { Error.prototype.toString = () => ''; },
          errorStack: () => Object.defineProperty(Error.prototype, 'stack', { get() { return 'x'; } }),
          intlFormat: () => { Intl.DateTimeFormat.prototype.formatToParts = () => []; },
          iteratorMap: () => { Iterator.prototype.map = () => {}; },
          consoleLog: () => { console.log = () => {}; },
          cryptoSha256: () => { crypto.sha256 = () => 'forged'; },
          secretsGet: () => { secrets.get = () => 'forged'; },
          contextUserId: () => { executionContext.userId = 'admin'; },
          contextNew: () => { executionContext.role = 'admin'; },
          getterViaLookup: () => Object.prototype.__lookupSetter__('toString').call(Array.prototype, () => 'x'),
        });
      `),
    );
    allEqual(succeeded(result), 'TypeError');
  });

  test('ordinary code keeps working: the override mistake is tamed', async () => {
    const result = await run(
      engine,
      moduleOf(`
        const checks = {};
        const obj = {};
        obj.toString = () => 'own toString';
        obj.valueOf = () => 42;
        obj.hasOwnProperty = () => 'shadowed';
        obj.constructor = 'not a constructor';
        checks.object = [String(obj), +obj, obj.hasOwnProperty(), obj.constructor];

        class E extends Error { constructor(message) { super(message); this.name = 'E'; this.message = 'custom ' + message; } }
        const e = new E('x');
        class Bare extends Error { constructor() { super(); this.name = 'Bare'; } }
        checks.errorSubclass = [e.name, e.message, e instanceof Error, String(e), String(new Bare())];
        const plain = new Error();
        plain.message = 'assigned later';
        plain.name = 'Renamed';
        plain.toString = () => 'own error toString';
        checks.error = [plain.message, plain.name, String(plain)];

        const thenable = {};
        thenable.then = (resolve) => resolve('own then');
        checks.then = await thenable;
        const promise = Promise.resolve(1);
        promise.then = function (f) { return Promise.prototype.then.call(this, () => f('patched then')); };
        checks.promiseThen = await promise.then((value) => value);
        promise.catch = () => 'own catch';
        promise.constructor = 'shadow';

        const list = [1, 2];
        list.push = function (x) { return Array.prototype.push.call(this, x * 10); };
        list.push(3);
        list.toString = () => 'own list';
        checks.array = [list, String(list)];

        const fn = function () { return 'fn'; };
        fn.call = () => 'own call';
        fn.toString = () => 'own fn toString';
        fn.bind = () => 'own bind';
        checks.function = [fn.call(), String(fn), fn.bind()];

        // (Not an array iterator: its \`next\` stays a data property, see docs/compatibility.md.)
        const iterator = new Map([[1, 1]]).keys();
        iterator.next = () => ({ done: true, value: undefined });
        checks.iterator = [...iterator];

        const copy = Object.assign({}, { toString: () => 'assigned', constructor: 1 });
        checks.assign = [String(copy), copy.constructor];
        const spread = { ...{ valueOf: () => 7 } };
        checks.spread = +spread;
        class WithFields { toString = () => 'field'; constructor() { this.constructor = 'instance'; } }
        checks.classFields = [String(new WithFields()), new WithFields().constructor];
        const inheriting = Object.create({ greet() { return 'proto'; } });
        inheriting.greet = () => 'own';
        checks.userPrototype = inheriting.greet();
        globalThis.toString = () => 'global toString';
        checks.global = String(globalThis);
        return checks;
      `),
    );
    assert.deepEqual(succeeded(result), {
      object: ['own toString', 42, 'shadowed', 'not a constructor'],
      errorSubclass: ['E', 'custom x', true, 'E: custom x', 'Bare'],
      error: ['assigned later', 'Renamed', 'own error toString'],
      then: 'own then',
      promiseThen: 'patched then',
      array: [[1, 2, 30], 'own list'],
      function: ['own call', 'own fn toString', 'own bind'],
      iterator: [],
      assign: ['assigned', 1],
      spread: 7,
      classFields: ['field', 'instance'],
      userPrototype: 'own',
      global: 'global toString',
    });
  });

  test('script-form implicit globals work while built-ins stay frozen', async () => {
    const result = await run(
      engine,
      'implicitCounter = 1;\nfunction main() {\n  implicitCounter += 1;\n  let write;\n  try { Array.prototype.x = 1; write = "changed"; } catch (e) { write = e.name; }\n  return [implicitCounter, write];\n}',
    );
    assert.deepEqual(succeeded(result), [2, 'TypeError']);
  });
});

test('the host process is unaffected by everything above', () => {
  host.assertUnchanged();
  assert.deepEqual(hostWarnings, []);
});
