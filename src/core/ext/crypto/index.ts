// crypto: sha256 (hex), randomBytes (base64, 1-1024 bytes), randomUUID, getRandomValues. All of
// it computed by Node's crypto on the host; the guest gets strings.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { deterministicBytes } from '../determinism/index.ts';
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';

const cryptoLimits = Object.freeze({
  /** Hashing a larger string would copy it across the boundary for little purpose. */
  maxHashInputLength: 16 * 1024 * 1024,
  maxRandomBytes: 1024,
  /** getRandomValues, as the Web Crypto standard bounds it. */
  maxRandomValuesBytes: 65536,
});

function byteCount(n: unknown, max: number, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new GuestError('RangeError', `${what}: byte count must be an integer from 1 to ${max}`);
  }
  return n;
}

export const cryptoCapability = defineCapability({
  name: 'crypto',
  guest: new URL('./guest.js', import.meta.url),
  globals: ['crypto'],
  operations: { calls: ['sha256', 'randomBytes', 'randomBinary', 'randomUUID'] },
  limits: cryptoLimits,
  start(scope) {
    const { maxHashInputLength, maxRandomBytes, maxRandomValuesBytes } = cryptoLimits;
    // A deterministic execution reads seeded bytes instead (ext/determinism).
    const seeded = deterministicBytes(scope);
    const bytes = seeded ?? ((n: number) => randomBytes(n));
    return {
      calls: {
        sha256(data) {
          if (typeof data !== 'string') throw new GuestError('TypeError', 'crypto.sha256(data): data must be a string');
          if (data.length > maxHashInputLength) {
            throw new GuestError('RangeError', `crypto.sha256(data): data longer than ${maxHashInputLength} characters`);
          }
          return createHash('sha256').update(data, 'utf8').digest('hex');
        },
        randomBytes(n) {
          return bytes(byteCount(n, maxRandomBytes, 'crypto.randomBytes')).toString('base64');
        },
        randomBinary(n) {
          return bytes(byteCount(n, maxRandomValuesBytes, 'crypto.getRandomValues')).toString('latin1');
        },
        randomUUID() {
          if (!seeded) return randomUUID();
          const b = seeded(16);
          b[6] = (b[6]! & 0x0f) | 0x40;
          b[8] = (b[8]! & 0x3f) | 0x80;
          const hex = b.toString('hex');
          return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        },
      },
    };
  },
});
