// Guest side of `crypto`: hashing and randomness are computed on the host (Node's crypto), and
// only strings and numbers cross. getRandomValues fills the guest's own typed array in place.
(function installCrypto(global, runtime, expose, limits) {
  'use strict';

  const {
    NumberIsInteger, SetPrototypeHas, Uint8ArrayPrototypeSet,
  } = runtime.primordials;
  const integerArrayTags = new Set([
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
    'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
  ]);
  // The host's bounds (ext/crypto/index.ts), checked here first so that a longer string is never
  // copied out of the isolate only to be refused.
  const { maxHashInputLength, maxRandomBytes, maxRandomValuesBytes } = limits;

  const crypto = {
    sha256(data) {
      if (typeof data !== 'string') throw new TypeError('crypto.sha256(data): data must be a string');
      if (data.length > maxHashInputLength) {
        throw new RangeError(`crypto.sha256(data): data longer than ${maxHashInputLength} characters`);
      }
      return runtime.call('crypto.sha256', data);
    },
    randomBytes(n) {
      if (typeof n !== 'number' || !NumberIsInteger(n) || n < 1 || n > maxRandomBytes) {
        throw new RangeError(`crypto.randomBytes(n): n must be an integer from 1 to ${maxRandomBytes}`);
      }
      return runtime.call('crypto.randomBytes', n);
    },
    randomUUID() {
      return runtime.call('crypto.randomUUID');
    },
    getRandomValues(array) {
      const tag = array === null || typeof array !== 'object' ? undefined : runtime.bytes.typedArrayTag(array);
      if (!SetPrototypeHas(integerArrayTags, tag)) {
        throw new TypeError('crypto.getRandomValues: argument must be an integer-typed array');
      }
      // Through the intrinsic getters: an own `byteLength` on the array cannot change the size.
      const view = runtime.bytes.of(array);
      if (view.length > maxRandomValuesBytes) {
        throw new RangeError(`crypto.getRandomValues: ${view.length} bytes requested, the limit is ${maxRandomValuesBytes}`);
      }
      if (view.length === 0) return array;
      // One byte per character (latin1): the cheapest primitive that carries raw bytes.
      Uint8ArrayPrototypeSet(view, runtime.bytes.fromLatin1(runtime.call('crypto.randomBinary', view.length)));
      return array;
    },
  };
  expose('crypto', crypto);
});
