// Guest side of crypto.subtle (Web Crypto), CryptoKey and SubtleCrypto. Every operation is
// done on the host by Node's webcrypto; what crosses is plain data: algorithm parameters with
// bytes as latin1 strings, and for keys an opaque handle number that only means something to
// this execution's host side. A guest CryptoKey never holds key material or a host object.
(function installSubtle(global, runtime, expose) {
  'use strict';

  const {
    ArrayIsArray, ArrayPrototypePush, JSONParse, JSONStringify, Number, ObjectDefineProperty,
    ObjectFreeze, String, SymbolToStringTag, TypeError,
  } = runtime.primordials;
  // Installed before this capability: crypto (the object `subtle` joins) and web (DOMException).
  const cryptoObject = global.crypto;
  // Read when first needed: DOMException belongs to a lazily installed capability (ext/web).
  const domException = (message, name) => new global.DOMException(message, name);
  if (cryptoObject === null || typeof cryptoObject !== 'object') throw new TypeError('subtle: the crypto capability must be installed first');

  // ---- bytes: latin1 strings (one character per byte) are how they cross ---------------------

  const { of: bufferSourceBytes, toLatin1: bytesToLatin1, fromLatin1: latin1ToBytes } = runtime.bytes;



  function dataOf(value, what) {
    const bytes = bufferSourceBytes(value);
    if (bytes === null) throw new TypeError(`${what} must be an ArrayBuffer, a TypedArray or a DataView`);
    return bytesToLatin1(bytes);
  }

  // ---- CryptoKey -----------------------------------------------------------------------------

  let constructingKey = false;
  let makeKey;
  let handleOf;

  class CryptoKey {
    #handle;
    #type;
    #extractable;
    #algorithm;
    #usages;
    constructor() {
      if (!constructingKey) throw new TypeError('Illegal constructor');
    }
    get type() { return this.#type; }
    get extractable() { return this.#extractable; }
    get algorithm() { return this.#algorithm; }
    get usages() { return this.#usages; }
    static {
      makeKey = (described) => {
        constructingKey = true;
        let key;
        try {
          key = new CryptoKey();
        } finally {
          constructingKey = false;
        }
        key.#handle = described.handle;
        key.#type = String(described.type);
        key.#extractable = described.extractable === true;
        const algorithm = described.algorithm;
        if (typeof algorithm.publicExponent === 'string') algorithm.publicExponent = latin1ToBytes(algorithm.publicExponent);
        if (algorithm.hash !== null && typeof algorithm.hash === 'object') ObjectFreeze(algorithm.hash);
        key.#algorithm = ObjectFreeze(algorithm);
        key.#usages = ObjectFreeze(described.usages);
        return key;
      };
      handleOf = (key, what) => {
        if (key === null || typeof key !== 'object' || !(#handle in key)) throw new TypeError(`${what} must be a CryptoKey`);
        return key.#handle;
      };
    }
  }
  ObjectDefineProperty(CryptoKey.prototype, SymbolToStringTag, { value: 'CryptoKey', configurable: true });

  // ---- algorithms as plain data --------------------------------------------------------------

  const numberFields = ['length', 'tagLength', 'iterations', 'saltLength', 'modulusLength'];
  const byteFields = ['iv', 'counter', 'additionalData', 'salt', 'info', 'label', 'publicExponent'];

  /** An AlgorithmIdentifier as plain data: names as strings, bytes as latin1, keys as handles. */
  function wireAlgorithm(algorithm) {
    if (typeof algorithm === 'string') return { name: algorithm };
    if (algorithm === null || typeof algorithm !== 'object') throw new TypeError('the algorithm must be a name or an object with a name');
    if (algorithm.name === undefined) throw new TypeError('the algorithm must have a name');
    const wire = { name: String(algorithm.name) };
    const hash = algorithm.hash;
    if (hash !== undefined) wire.hash = typeof hash === 'string' ? hash : String(hash !== null && typeof hash === 'object' ? hash.name : hash);
    if (algorithm.namedCurve !== undefined) wire.namedCurve = String(algorithm.namedCurve);
    for (const field of numberFields) if (algorithm[field] !== undefined) wire[field] = Number(algorithm[field]);
    for (const field of byteFields) if (algorithm[field] !== undefined) wire[field] = dataOf(algorithm[field], `algorithm.${field}`);
    if (algorithm.public !== undefined) wire.public = handleOf(algorithm.public, 'algorithm.public');
    return wire;
  }

  function usagesOf(usages) {
    if (usages === null || typeof usages !== 'object') throw new TypeError('keyUsages must be an array of strings');
    const list = [];
    for (const usage of usages) ArrayPrototypePush(list, String(usage));
    return list;
  }

  /** The host answers DOMException-type failures as data; they become guest DOMExceptions. */
  function answer(reply) {
    if (reply !== null && typeof reply === 'object' && reply.error !== undefined) {
      throw domException(String(reply.error.message), String(reply.error.name));
    }
    return reply.value;
  }

  const keyOrPair = (value) =>
    value.publicKey !== undefined ? { publicKey: makeKey(value.publicKey), privateKey: makeKey(value.privateKey) } : makeKey(value);

  // ---- SubtleCrypto --------------------------------------------------------------------------

  let constructingSubtle = true;

  class SubtleCrypto {
    constructor() {
      if (!constructingSubtle) throw new TypeError('Illegal constructor');
    }
    async digest(algorithm, data) {
      return latin1ToBytes(answer(await runtime.request('subtle.digest', wireAlgorithm(algorithm), dataOf(data, 'data')))).buffer;
    }
    async importKey(format, keyData, algorithm, extractable, keyUsages) {
      const kind = String(format);
      let material;
      if (kind === 'jwk') {
        if (keyData === null || typeof keyData !== 'object' || ArrayIsArray(keyData)) throw new TypeError('a JWK must be an object');
        // Plain data only: getters run here, in the guest, and nothing but JSON values crosses.
        material = JSONParse(JSONStringify(keyData));
      } else material = dataOf(keyData, 'keyData');
      return makeKey(answer(await runtime.request('subtle.importKey', kind, material, wireAlgorithm(algorithm), extractable === true, usagesOf(keyUsages))));
    }
    async exportKey(format, key) {
      const kind = String(format);
      const exported = answer(await runtime.request('subtle.exportKey', kind, handleOf(key, 'key')));
      return kind === 'jwk' ? exported : latin1ToBytes(exported).buffer;
    }
    async generateKey(algorithm, extractable, keyUsages) {
      return keyOrPair(answer(await runtime.request('subtle.generateKey', wireAlgorithm(algorithm), extractable === true, usagesOf(keyUsages))));
    }
    async sign(algorithm, key, data) {
      return latin1ToBytes(answer(await runtime.request('subtle.sign', wireAlgorithm(algorithm), handleOf(key, 'key'), dataOf(data, 'data')))).buffer;
    }
    async verify(algorithm, key, signature, data) {
      return (answer(await runtime.request('subtle.verify', wireAlgorithm(algorithm), handleOf(key, 'key'), dataOf(signature, 'signature'), dataOf(data, 'data')))) === true;
    }
    async encrypt(algorithm, key, data) {
      return latin1ToBytes(answer(await runtime.request('subtle.encrypt', wireAlgorithm(algorithm), handleOf(key, 'key'), dataOf(data, 'data')))).buffer;
    }
    async decrypt(algorithm, key, data) {
      return latin1ToBytes(answer(await runtime.request('subtle.decrypt', wireAlgorithm(algorithm), handleOf(key, 'key'), dataOf(data, 'data')))).buffer;
    }
    async deriveBits(algorithm, baseKey, length = null) {
      const bits = length === null || length === undefined ? null : Number(length);
      return latin1ToBytes(answer(await runtime.request('subtle.deriveBits', wireAlgorithm(algorithm), handleOf(baseKey, 'baseKey'), bits))).buffer;
    }
    async deriveKey(algorithm, baseKey, derivedKeyType, extractable, keyUsages) {
      return makeKey(
        answer(await runtime.request('subtle.deriveKey', wireAlgorithm(algorithm), handleOf(baseKey, 'baseKey'), wireAlgorithm(derivedKeyType), extractable === true, usagesOf(keyUsages))),
      );
    }
  }
  ObjectDefineProperty(SubtleCrypto.prototype, SymbolToStringTag, { value: 'SubtleCrypto', configurable: true });
  const subtle = new SubtleCrypto();
  constructingSubtle = false;

  ObjectDefineProperty(cryptoObject, 'subtle', { value: subtle, enumerable: true, writable: false, configurable: false });
  for (const Class of [CryptoKey, SubtleCrypto]) runtime.platform.register(Class.prototype);
  expose('CryptoKey', CryptoKey);
  expose('SubtleCrypto', SubtleCrypto);
});
