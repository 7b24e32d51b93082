// crypto.subtle: Web Crypto done by Node's webcrypto on the host. Keys stay here, in a table of
// this execution; the guest holds handle numbers (guest.js). Arguments are rebuilt from plain
// data and checked as if an attacker wrote them, and the work a guest can ask of the host's
// thread pool is bounded (data sizes, PBKDF2 iterations, RSA key sizes, operations at once).
import { webcrypto } from 'node:crypto';
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';

type Key = webcrypto.CryptoKey;
type Plain = Record<string, unknown>;

const subtleLimits = Object.freeze({
  maxDataBytes: 16 * 1024 * 1024,
  maxKeys: 1000,
  maxConcurrent: 2,
  /** Operations accepted (running or waiting) at once, and the bytes they carry. */
  maxPending: 16,
  maxPendingBytes: 64 * 1024 * 1024,
  maxPbkdf2Iterations: 1_000_000,
  maxRsaModulusLength: 4096,
  maxDerivedBits: 4096,
  maxJwkBytes: 64 * 1024,
});

const canonicalNames = new Map(
  [
    'SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'HMAC', 'AES-GCM', 'AES-CBC', 'AES-CTR', 'AES-KW', 'Ed25519', 'X25519',
    'ECDSA', 'ECDH', 'HKDF', 'PBKDF2', 'RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP',
  ].map((name) => [name.toUpperCase(), name]),
);
const hashNames: ReadonlySet<string> = new Set(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']);
const keyFormats: ReadonlySet<string> = new Set(['raw', 'pkcs8', 'spki', 'jwk']);
const numberFields = ['length', 'tagLength', 'iterations', 'saltLength', 'modulusLength'] as const;
const byteFields = ['iv', 'counter', 'additionalData', 'salt', 'info', 'label', 'publicExponent'] as const;
const latin1Pattern = /^[\0-\u00ff]*$/;

function typeError(message: string): GuestError {
  return new GuestError('TypeError', `crypto.subtle: ${message}`);
}

function bytes(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !latin1Pattern.test(value)) throw typeError(`${what} must be bytes`);
  if (value.length > subtleLimits.maxDataBytes) throw new GuestError('RangeError', `crypto.subtle: ${what} is larger than ${subtleLimits.maxDataBytes} bytes`);
  return Buffer.from(value, 'latin1');
}

function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function usages(value: unknown): webcrypto.KeyUsage[] {
  if (!Array.isArray(value) || value.length > 8 || !value.every((usage) => typeof usage === 'string' && usage.length <= 16)) {
    throw typeError('keyUsages must be an array of usage names');
  }
  return value as webcrypto.KeyUsage[];
}

function jwk(value: unknown): webcrypto.JsonWebKey {
  if (!isPlainObject(value) || JSON.stringify(value).length > subtleLimits.maxJwkBytes) throw typeError('a JWK must be a JSON object');
  for (const field of Object.values(value)) {
    const ok =
      typeof field === 'string' || typeof field === 'boolean' || (Array.isArray(field) && field.every((item) => typeof item === 'string'));
    if (!ok) throw typeError('JWK fields must be strings, booleans or arrays of strings');
  }
  return value as webcrypto.JsonWebKey;
}

/** The algorithm parameters of one operation, rebuilt from the guest's plain data. */
function algorithm(value: unknown, keys: KeyTable): Plain {
  if (!isPlainObject(value) || typeof value.name !== 'string') throw typeError('invalid algorithm');
  const name = canonicalNames.get(value.name.toUpperCase());
  if (name === undefined) return { name: value.name.slice(0, 64) }; // Node answers NotSupportedError
  const out: Plain = { name };
  if (value.hash !== undefined) {
    const hash = typeof value.hash === 'string' ? canonicalNames.get(value.hash.toUpperCase()) : undefined;
    if (hash === undefined || !hashNames.has(hash)) throw typeError(`unsupported hash ${String(value.hash).slice(0, 32)}`);
    out.hash = hash;
  }
  if (value.namedCurve !== undefined) {
    if (typeof value.namedCurve !== 'string' || value.namedCurve.length > 16) throw typeError('invalid namedCurve');
    out.namedCurve = value.namedCurve;
  }
  for (const field of numberFields) {
    const n = value[field];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 32) throw typeError(`algorithm.${field} must be a whole number`);
    out[field] = n;
  }
  for (const field of byteFields) if (value[field] !== undefined) out[field] = bytes(value[field], `algorithm.${field}`);
  if (value.public !== undefined) out.public = keys.get(value.public);
  if (name === 'PBKDF2' && typeof out.iterations === 'number' && out.iterations > subtleLimits.maxPbkdf2Iterations) {
    throw new GuestError('RangeError', `crypto.subtle: PBKDF2 iterations above ${subtleLimits.maxPbkdf2Iterations} are not allowed`);
  }
  if (typeof out.modulusLength === 'number' && out.modulusLength > subtleLimits.maxRsaModulusLength) {
    throw new GuestError('RangeError', `crypto.subtle: RSA keys above ${subtleLimits.maxRsaModulusLength} bits are not allowed`);
  }
  return out;
}

/** Keys of one execution, known to the guest by number only. */
class KeyTable {
  readonly #keys = new Map<number, Key>();
  #next = 1;

  add(key: Key): Plain {
    if (this.#keys.size >= subtleLimits.maxKeys) throw new GuestError('RangeError', `crypto.subtle: more than ${subtleLimits.maxKeys} keys in one execution`);
    const handle = this.#next++;
    this.#keys.set(handle, key);
    return describe(handle, key);
  }

  get(handle: unknown): Key {
    const key = typeof handle === 'number' ? this.#keys.get(handle) : undefined;
    if (!key) throw typeError('unknown key');
    return key;
  }
}

/** What the guest's CryptoKey shows: type, extractable, algorithm and usages, as plain data. */
function describe(handle: number, key: Key): Plain {
  const shown: Plain = {};
  for (const [field, value] of Object.entries(key.algorithm as unknown as Plain)) {
    if (value instanceof Uint8Array) shown[field] = Buffer.from(value).toString('latin1');
    else if (value !== null && typeof value === 'object') shown[field] = { name: String((value as Plain).name) };
    else shown[field] = value;
  }
  return { handle, type: key.type, extractable: key.extractable, algorithm: shown, usages: [...key.usages] };
}

function binary(result: ArrayBuffer): string {
  return Buffer.from(result).toString('latin1');
}

/** Node's DOMExceptions (OperationError, DataError...) go back as data for a guest DOMException. */
function failure(error: unknown): { error: { name: string; message: string } } {
  if (error instanceof GuestError) throw error;
  if (error instanceof DOMException) return { error: { name: error.name, message: error.message.slice(0, 500) } };
  if (error instanceof TypeError) throw typeError(error.message.slice(0, 500));
  return { error: { name: 'OperationError', message: 'The operation failed for an operation-specific reason' } };
}

/**
 * At most `maxConcurrent` operations of one execution on the host's thread pool at once, and
 * at most `maxPending` accepted (with their data) at all: a guest that fires operations without
 * awaiting them gets a RangeError, not an ever-growing queue of copies on the host.
 */
class Gate {
  #active = 0;
  #pending = 0;
  #pendingBytes = 0;
  readonly #waiting: Array<() => void> = [];

  async run<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    if (this.#pending >= subtleLimits.maxPending || this.#pendingBytes + bytes > subtleLimits.maxPendingBytes) {
      throw new GuestError('RangeError', `crypto.subtle: too many operations at once (at most ${subtleLimits.maxPending} pending)`);
    }
    this.#pending++;
    this.#pendingBytes += bytes;
    try {
      while (this.#active >= subtleLimits.maxConcurrent) await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.#active++;
      try {
        return await work();
      } finally {
        this.#active--;
        this.#waiting.shift()?.();
      }
    } finally {
      this.#pending--;
      this.#pendingBytes -= bytes;
    }
  }
}

/** The bytes an operation's arguments carry (its strings; JWKs and numbers are small). */
function carriedBytes(args: unknown[]): number {
  let total = 0;
  for (const arg of args) if (typeof arg === 'string') total += arg.length;
  return total;
}

export const subtleCapability = defineCapability({
  name: 'subtle',
  guest: new URL('./guest.js', import.meta.url),
  globals: ['CryptoKey', 'SubtleCrypto'],
  // It adds `subtle` to the crypto object.
  after: ['crypto'],
  operations: {
    requests: ['digest', 'importKey', 'exportKey', 'generateKey', 'sign', 'verify', 'encrypt', 'decrypt', 'deriveBits', 'deriveKey'],
  },
  limits: subtleLimits,
  start() {
    const { subtle } = webcrypto;
    const keys = new KeyTable();
    const gate = new Gate();
    const operation =
      <A extends unknown[]>(work: (...args: A) => Promise<unknown>) =>
      (...args: unknown[]) =>
        gate.run(carriedBytes(args), async () => {
          try {
            return { value: await work(...(args as A)) };
          } catch (error) {
            return failure(error);
          }
        });
    const keyFormat = (format: unknown): 'raw' | 'pkcs8' | 'spki' | 'jwk' => {
      if (typeof format !== 'string' || !keyFormats.has(format)) throw typeError('format must be raw, pkcs8, spki or jwk');
      return format as 'raw' | 'pkcs8' | 'spki' | 'jwk';
    };
    const derivedLength = (length: unknown): number | null => {
      if (length === null) return null;
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > subtleLimits.maxDerivedBits) {
        throw new GuestError('RangeError', `crypto.subtle: length must be a whole number of bits up to ${subtleLimits.maxDerivedBits}`);
      }
      return length;
    };

    return {
      requests: {
        digest: operation(async (alg, data) => binary(await subtle.digest(algorithm(alg, keys) as never, bytes(data, 'data')))),
        importKey: operation(async (format, material, alg, extractable, keyUsages) => {
          const kind = keyFormat(format);
          const data = kind === 'jwk' ? jwk(material) : bytes(material, 'keyData');
          const key = await subtle.importKey(kind as never, data as never, algorithm(alg, keys) as never, extractable === true, usages(keyUsages));
          return keys.add(key);
        }),
        exportKey: operation(async (format, handle) => {
          const kind = keyFormat(format);
          const exported = await subtle.exportKey(kind as never, keys.get(handle));
          return exported instanceof ArrayBuffer ? binary(exported) : JSON.parse(JSON.stringify(exported));
        }),
        generateKey: operation(async (alg, extractable, keyUsages) => {
          const generated = (await subtle.generateKey(algorithm(alg, keys) as never, extractable === true, usages(keyUsages))) as
            | Key
            | webcrypto.CryptoKeyPair;
          if ('privateKey' in generated) return { publicKey: keys.add(generated.publicKey), privateKey: keys.add(generated.privateKey) };
          return keys.add(generated);
        }),
        sign: operation(async (alg, handle, data) => binary(await subtle.sign(algorithm(alg, keys) as never, keys.get(handle), bytes(data, 'data')))),
        verify: operation((alg, handle, signature, data) =>
          subtle.verify(algorithm(alg, keys) as never, keys.get(handle), bytes(signature, 'signature'), bytes(data, 'data')),
        ),
        encrypt: operation(async (alg, handle, data) => binary(await subtle.encrypt(algorithm(alg, keys) as never, keys.get(handle), bytes(data, 'data')))),
        decrypt: operation(async (alg, handle, data) => binary(await subtle.decrypt(algorithm(alg, keys) as never, keys.get(handle), bytes(data, 'data')))),
        deriveBits: operation(async (alg, handle, length) =>
          binary(await subtle.deriveBits(algorithm(alg, keys) as never, keys.get(handle), derivedLength(length) as never)),
        ),
        deriveKey: operation(async (alg, handle, derivedType, extractable, keyUsages) => {
          const target = algorithm(derivedType, keys);
          if (typeof target.length === 'number') derivedLength(target.length);
          const key = await subtle.deriveKey(algorithm(alg, keys) as never, keys.get(handle), target as never, extractable === true, usages(keyUsages));
          return keys.add(key);
        }),
      },
    };
  },
});
