// crypto: sha256 (hex), randomBytes (base64, 1-1024 bytes), randomUUID, getRandomValues. All of
// it computed by Node's crypto on the host; the guest gets strings.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { guestScript, type Capability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';

/** Hashing a larger string would copy it across the boundary for little purpose. */
export const maxHashInputLength = 16 * 1024 * 1024;
const maxRandomValuesBytes = 65536;

function byteCount(n: unknown, max: number, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new GuestError('RangeError', `${what}: byte count must be an integer from 1 to ${max}`);
  }
  return n;
}

export const cryptoCapability: Capability = {
  name: 'crypto',
  ...guestScript(new URL('./guest.js', import.meta.url)),
  start() {
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
          return randomBytes(byteCount(n, 1024, 'crypto.randomBytes')).toString('base64');
        },
        randomBinary(n) {
          return randomBytes(byteCount(n, maxRandomValuesBytes, 'crypto.getRandomValues')).toString('latin1');
        },
        randomUUID() {
          return randomUUID();
        },
      },
    };
  },
};
