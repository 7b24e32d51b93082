// Guest side of deterministic executions. Installed before every other capability, it puts
// wrappers in place of Math.random and Date (frozen with the other built-ins afterwards).
// Outside a deterministic execution they behave as the built-ins do; in one (the host says so
// at the first use, once per sandbox, which serves one execution):
//  - Math.random is a PRNG (sfc32) seeded from the execution's seed;
//  - the clock starts at the execution's start time and advances by exactly 1 ms at each read
//    (Date.now(), new Date(), Date()), whatever the real time.
// The wrapper Date constructs real Date objects: Date.prototype and everything on it are the
// built-in ones, `new Date() instanceof Date` holds and Date.prototype.constructor is the
// wrapper.
(function installDeterminism(global, runtime) {
  'use strict';

  const {
    Number, NumberParseInt, ReflectApply, ReflectConstruct, ReflectDefineProperty,
    StringPrototypeIndexOf, StringPrototypeSlice,
  } = runtime.primordials;
  // From `global`: inside this function the name Date is the wrapper's own.
  const RealDate = global.Date;
  const realNow = RealDate.now;
  const realRandom = Math.random;
  const realToString = RealDate.prototype.toString;

  // undefined: not asked yet; null: not deterministic; else the PRNG state and the clock.
  let state;

  function mode() {
    if (state === undefined) {
      const config = runtime.call('determinism.config');
      if (config === '') state = null;
      else {
        // "<32 hex digits of seed>:<start time in ms>"
        const colon = StringPrototypeIndexOf(config, ':');
        const seed = StringPrototypeSlice(config, 0, colon);
        const word = (i) => NumberParseInt(StringPrototypeSlice(seed, i * 8, i * 8 + 8), 16) >>> 0;
        state = { a: word(0), b: word(1), c: word(2), d: word(3), clock: Number(StringPrototypeSlice(config, colon + 1)) };
        // Mixes the seed in, as sfc32's authors advise.
        for (let i = 0; i < 12; i++) next(state);
      }
    }
    return state;
  }

  function next(s) {
    const t = (((s.a + s.b) | 0) + s.d) | 0;
    s.d = (s.d + 1) | 0;
    s.a = s.b ^ (s.b >>> 9);
    s.b = (s.c + (s.c << 3)) | 0;
    s.c = (s.c << 21) | (s.c >>> 11);
    s.c = (s.c + t) | 0;
    return t >>> 0;
  }

  function now() {
    const s = mode();
    if (s === null) return ReflectApply(realNow, RealDate, []);
    const at = s.clock;
    s.clock += 1;
    return at;
  }

  const random = {
    random() {
      const s = mode();
      return s === null ? ReflectApply(realRandom, Math, []) : next(s) / 4294967296;
    },
  }.random;

  const Date = function Date(...args) {
    if (new.target === undefined) return ReflectApply(realToString, new RealDate(now()), []);
    return args.length === 0 ? ReflectConstruct(RealDate, [now()], new.target) : ReflectConstruct(RealDate, args, new.target);
  };
  ReflectDefineProperty(Date, 'length', { value: 7, configurable: true });
  ReflectDefineProperty(Date, 'prototype', { value: RealDate.prototype, writable: false, enumerable: false, configurable: false });
  ReflectDefineProperty(Date, 'now', { value: { now() { return now(); } }.now, writable: true, enumerable: false, configurable: true });
  ReflectDefineProperty(Date, 'parse', { value: RealDate.parse, writable: true, enumerable: false, configurable: true });
  ReflectDefineProperty(Date, 'UTC', { value: RealDate.UTC, writable: true, enumerable: false, configurable: true });
  ReflectDefineProperty(RealDate.prototype, 'constructor', { value: Date, writable: true, enumerable: false, configurable: true });
  ReflectDefineProperty(global, 'Date', { value: Date, writable: true, enumerable: false, configurable: true });
  ReflectDefineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });
});
