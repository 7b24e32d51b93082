// Recipes of hostile values for the host-bridge fuzz test, as fast-check arbitraries. A value a
// guest passes to a host operation has to be made inside the isolate, so fast-check generates a
// description of it (plain JSON: it travels in params, shrinks, and prints in a failure report)
// and test/support/hostile-guest.js builds it in the guest. Invariants:
// - every recipe is JSON data of bounded depth (params allow 64 levels);
// - a recipe that may never finish (a getter or trap that loops, 20,000 levels for
//   structuredClone) is generated only when the caller asks for it, so
//   ordinary batches end well within their time limit;
// - sizes stay within what one 256 MB isolate holds comfortably, huge strings included.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';

export type Recipe = { readonly t: string; readonly [field: string]: unknown };

export interface Call {
  readonly op: string;
  readonly args: readonly Recipe[];
}

/** The guest half, a function declaration `fuzzBatch(plan)`, to be inlined in a function's source. */
export const hostileGuestSource = readFileSync(new URL('./hostile-guest.js', import.meta.url), 'utf8');

/** Operation names of hostile-guest.js with how many arguments each takes. */
export const operations: Readonly<Record<string, number>> = {
  'console.log': 3,
  'console.error': 1,
  'console.debug': 2,
  'secrets.get': 1,
  'crypto.sha256': 1,
  'crypto.randomBytes': 1,
  'crypto.randomUUID': 1,
  'crypto.getRandomValues': 1,
  'subtle.digest': 2,
  'subtle.digest.sha256': 1,
  'subtle.importKey': 5,
  'subtle.importKey.raw': 3,
  'subtle.importKey.jwk': 2,
  'subtle.generateKey': 3,
  'subtle.exportKey': 1,
  'subtle.exportKey.any': 2,
  'subtle.sign': 2,
  'subtle.verify': 3,
  'subtle.encrypt': 2,
  'subtle.decrypt': 2,
  'subtle.deriveBits': 2,
  'subtle.deriveKey': 3,
  setTimeout: 3,
  'setTimeout.cleared': 2,
  'setInterval.cleared': 2,
  clearTimeout: 1,
  clearInterval: 1,
  queueMicrotask: 1,
  fetch: 2,
  'fetch.loopback': 1,
  'fetch.loopback.text': 1,
  URL: 2,
  'URL.base': 1,
  'URL.canParse': 2,
  'URL.parse': 2,
  'URL.set': 2,
  'URL.searchParams': 2,
  URLSearchParams: 1,
  'URLSearchParams.methods': 2,
  TextEncoder: 1,
  'TextEncoder.encodeInto': 2,
  TextDecoder: 2,
  'TextDecoder.decode': 2,
  'TextDecoder.label': 3,
  'TextDecoder.stream': 2,
  atob: 1,
  btoa: 1,
  structuredClone: 2,
  'structuredClone.transfer': 2,
  Headers: 1,
  'Headers.methods': 2,
  Request: 2,
  'Request.body': 2,
  'Request.clone': 2,
  Response: 2,
  'Response.body': 2,
  'Response.json': 2,
  'Response.redirect': 2,
  'Response.clone': 2,
  'AbortController.abort': 1,
  'AbortSignal.abort': 1,
  'AbortSignal.timeout': 1,
  'AbortSignal.any': 1,
  Event: 2,
  'EventTarget.listen': 3,
  'EventTarget.dispatch': 1,
  DOMException: 2,
};

const edgeNumbers = ['NaN', '-0', 'Infinity', '-Infinity', '2**53', '2**53+2', '-(2**53)', '2**31', '2**31-1', '2**32', '2**32+1', 'MAX_VALUE', 'MIN_VALUE', 'EPSILON'];

// Strings an operation may treat specially: algorithm and format names, URLs, header names,
// encodings, base64, JSON, and text that is not well-formed UTF-16.
const meaningfulStrings = [
  '', 'a', 'SHA-256', 'sha-1', 'SHA-512', 'HMAC', 'AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW', 'ECDSA', 'ECDH', 'Ed25519', 'X25519',
  'RSA-PSS', 'RSA-OAEP', 'RSASSA-PKCS1-v1_5', 'PBKDF2', 'HKDF', 'P-256', 'P-521', 'raw', 'jwk', 'spki', 'pkcs8',
  'sign', 'verify', 'encrypt', 'decrypt', 'deriveBits', 'deriveKey', 'wrapKey',
  'https://a.example/', 'http://127.0.0.1:1/', 'file:///etc/passwd', 'data:text/plain,hi', 'javascript:alert(1)', 'blob:x',
  'http://[::1]/', 'https://user:pw@a.example:99999/', '//x', '?q', '#h', '/p', 'http://0x7f.1/', 'http://169.254.169.254/latest',
  'content-type', 'Set-Cookie', 'x-a', 'host', 'bad name', 'line\r\nbreak', 'GET', 'POST', 'HEAD', 'CONNECT', 'TRACE', 'patch',
  'follow', 'manual', 'error', 'utf-8', 'utf-16le', 'utf-16be', 'latin1', 'windows-1252', 'iso-2022-jp', 'replacement',
  'SGVsbG8=', 'SGVsbG8', '====', 'a b c', '\u00ff\u0100', '\ud800', '\udc00x', '\ud83d\ude00', '\u0000', '{"a":1}', '[1,2', 'null',
  'constructor', '__proto__', 'prototype', 'then', 'toJSON', 'length', 'name', 'message',
  'DataCloneError', 'AbortError', 'TimeoutError', 'SyntaxError', 'api-key', 'only-user-2', 'missing-secret',
];

const keys = fc.oneof(
  fc.constantFrom('name', 'hash', 'length', 'method', 'headers', 'body', 'signal', 'redirect', 'status', 'statusText', 'transfer', 'fatal',
    'stream', 'ignoreBOM', 'once', 'capture', 'passive', 'bubbles', 'cancelable', 'iv', 'salt', 'info', 'counter', 'tagLength',
    'iterations', 'namedCurve', 'public', 'modulusLength', 'publicExponent', 'kty', 'k', 'alg', 'ext', 'key_ops', 'then', 'toJSON',
    'constructor', '__proto__', 'handleEvent', 'type', 'cause', '0', '1', '4294967295'),
  fc.string({ maxLength: 8 }),
);

const string = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...meaningfulStrings) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 24, unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }) },
);

const primitive: fc.Arbitrary<Recipe> = fc.oneof(
  fc.constant({ t: 'undefined' }),
  fc.constant({ t: 'null' }),
  fc.boolean().map((v) => ({ t: 'bool', v })),
  fc.constantFrom(...edgeNumbers).map((v) => ({ t: 'num', v })),
  fc.oneof(fc.integer({ min: -3, max: 70000 }), fc.double({ noNaN: true, noDefaultInfinity: true })).map((v) => ({ t: 'num', v: Object.is(v, -0) ? 0 : v })),
  string.map((v) => ({ t: 'str', v })),
  fc.oneof(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.constantFrom(0n, -1n, 2n ** 64n - 1n, 2n ** 63n)).map((v) => ({ t: 'big', v: String(v) })),
  fc.oneof(
    string.map((v) => ({ t: 'sym', v })),
    fc.constantFrom('iterator', 'asyncIterator', 'toPrimitive', 'toStringTag', 'hasInstance').map((well) => ({ t: 'sym', well })),
  ),
);

// Just above and below the bounds the capabilities check (1 MiB console and wait arguments,
// 2 MiB URLs, 16 MiB hashing), and one 16 MiB + 1 string: rare, as each costs its copy.
const hugeString: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(70_000, 1024 * 1024 + 1, 2 * 1024 * 1024 + 1) },
  { weight: 1, arbitrary: fc.constant(16 * 1024 * 1024 + 1) },
).chain((n) => fc.constantFrom('a', '\u00e9', '\ud800', '%').map((c) => ({ t: 'huge', n, c })));

const byteViews = ['ArrayBuffer', 'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'DataView'];

const bytes: fc.Arbitrary<Recipe> = fc.record({
  t: fc.constant('bytes'),
  type: fc.constantFrom(...byteViews),
  len: fc.oneof(fc.constantFrom(0, 1, 8, 16, 32, 65536, 65537), fc.integer({ min: 0, max: 300 })),
  buffer: fc.constantFrom('plain', 'plain', 'resizable'),
  shrink: fc.boolean(),
  detach: fc.boolean(),
});

const platform: fc.Arbitrary<Recipe> = fc.record({
  t: fc.constant('platform'),
  kind: fc.constantFrom('url', 'params', 'headers', 'request', 'response', 'controller', 'signal', 'event', 'target', 'exception', 'encoder', 'decoder'),
  value: primitive,
});

export interface RecipeOptions {
  /** Also make getters, traps and conversions that never return (for a TIMEOUT batch). */
  readonly looping?: boolean;
}

/** Any hostile value, nested at most `depth` recipes deep. */
export function recipe({ looping = false }: RecipeOptions = {}, depth = 3): fc.Arbitrary<Recipe> {
  const conversions = looping ? ['throw', 'object', 'symbol', 'flip', 'huge', 'number', 'plain', 'loop'] : ['throw', 'object', 'symbol', 'flip', 'huge', 'number', 'plain'];
  const getterModes = looping ? ['throw', 'flip', 'loop'] : ['throw', 'flip'];
  const traps = looping ? ['throw', 'pass', 'lie', 'loop'] : ['throw', 'pass', 'lie'];
  const leaf = fc.oneof(
    { weight: 6, arbitrary: primitive },
    { weight: 1, arbitrary: hugeString },
    { weight: 2, arbitrary: bytes },
    { weight: 1, arbitrary: platform },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('prim'), mode: fc.constantFrom(...conversions), seed: string, toPrimitive: fc.boolean(), asArray: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('many'), n: fc.constantFrom(1000, 3000, 10000), prefix: fc.constantFrom('k', '', 'x-h') }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('deep'),
        // structuredClone spends about 0.1-0.3 ms an object (its brand checks throw and catch):
        // 20,000 levels take seconds of the guest's own time, so only looping batches have them.
        depth: looping ? fc.constantFrom(10, 1000, 20000) : fc.constantFrom(10, 100, 1000, 3000),
        arr: fc.boolean(),
        key: keys,
        leaf: primitive,
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cyclic'), arr: fc.boolean(), key: keys }) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.record({ t: fc.constant('fn'), mode: fc.constant('noop'), props: fc.boolean() }),
        fc.record({ t: fc.constant('date'), v: fc.oneof(fc.constant(NaN), fc.integer()).map((v) => (Number.isNaN(v) ? 'x' : v)) }),
        fc.record({ t: fc.constant('error'), v: string, range: fc.boolean() }),
        fc.constant({ t: 'regexp' }),
      ),
    },
  );
  if (depth <= 0) return leaf;
  const inner = recipe({ looping }, depth - 1);
  return fc.oneof(
    { weight: 5, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 4 }).map((items) => ({ t: 'arr', items })) },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('obj'), entries: fc.array(fc.tuple(keys, inner), { maxLength: 5 }), nullProto: fc.boolean() }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('sparse'),
        // Not 2**32 - 1: String() of such an array with one element set runs on in V8's join
        // after the isolate was told to terminate (docs/isolation-tests.md, known limits).
        len: fc.constantFrom(1, 5, 1000, 2 ** 16),
        at: fc.array(fc.tuple(fc.nat(), inner), { maxLength: 3 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('proxy'), target: inner, trap: fc.constantFrom(...traps) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('revoked'), target: inner }) },
    {
      weight: 2,
      arbitrary: fc.record({ t: fc.constant('getter'), keys: fc.array(keys, { minLength: 1, maxLength: 4 }), mode: fc.constantFrom(...getterModes), first: inner, then: inner }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('fn'), mode: fc.constant('returns'), value: inner, props: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('map'), key: inner, value: inner }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('promise'), value: inner }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('thenable'), value: inner }) },
  );
}

/** One call: an operation with as many hostile arguments as it takes (sometimes fewer). */
export function call(options: RecipeOptions = {}): fc.Arbitrary<Call> {
  const value = recipe(options);
  return fc
    .constantFrom(...Object.keys(operations))
    .chain((op) => fc.array(value, { minLength: 0, maxLength: operations[op] ?? 1 }).map((args): Call => ({ op, args })));
}

/**
 * How many batches a property runs, and from which seed: `TEEJS_FUZZ_RUNS`, `TEEJS_FUZZ_SEED` and
 * `TEEJS_FUZZ_PATH` (both printed on a failure) override.
 */
export function fuzzParameters(defaultRuns: number): fc.Parameters<unknown> {
  const runs = Number(process.env.TEEJS_FUZZ_RUNS);
  const seed = Number(process.env.TEEJS_FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(process.env.TEEJS_FUZZ_SEED !== undefined && Number.isInteger(seed) ? { seed } : {}),
    ...(process.env.TEEJS_FUZZ_PATH ? { path: process.env.TEEJS_FUZZ_PATH } : {}),
    // Shrinking reruns whole batches, which can take minutes, and the failure report names the
    // call that failed anyway: it is asked for with TEEJS_FUZZ_SHRINK=1.
    endOnFailure: process.env.TEEJS_FUZZ_SHRINK !== '1',
    verbose: 0,
  };
}
