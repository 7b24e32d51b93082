// API keys: 256 random bits, shown once, stored only as their SHA-256. A fast hash is enough
// here (unlike passwords): the key is random, so there is nothing to guess from its hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const keyPrefix = 'tjs_';
/** What a presented key may look like before it is even hashed (no control bytes, bounded). */
const plausibleKey = /^[\x21-\x7e]{1,256}$/;

export interface GeneratedKey {
  /** Shown to its owner once, never stored. */
  key: string;
  hash: string;
  /** Enough to tell keys apart in a list, not enough to use one. */
  prefix: string;
}

export function generateApiKey(): GeneratedKey {
  const key = `${keyPrefix}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, keyPrefix.length + 6) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isPlausibleKey(key: string): boolean {
  return plausibleKey.test(key);
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
