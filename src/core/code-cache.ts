// V8 code cache for function sources (the runtime's own code is compiled into the startup
// snapshot, see snapshot.ts), keyed by a hash of what was compiled. The cached data is produced
// by V8 from our own compilation and kept in host memory only: no caller or guest can supply it
// (V8 code cache contains machine code and must never come from outside). V8 also checks that
// cached data matches the source it is given, and rejects it otherwise.
import { createHash } from 'node:crypto';
import type ivm from 'isolated-vm';

const maxEntries = 512;
const maxBytes = 64 * 1024 * 1024;

const entries = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
let totalBytes = 0;

/**
 * `owner` is the user the code runs for: entries are never shared between users, so that how
 * fast a function compiles tells no user whether another one ran the same source.
 */
export function codeCacheKey(kind: string, owner: string, filename: string, source: string): string {
  return createHash('sha256').update(kind).update('\0').update(owner).update('\0').update(filename).update('\0').update(source).digest('base64');
}

/** Compile options that use the cache, or ask V8 to produce an entry for it. */
export function cacheOptions(key: string): { cachedData: ivm.ExternalCopy<ArrayBuffer> } | { produceCachedData: true } {
  const cachedData = entries.get(key);
  if (!cachedData) return { produceCachedData: true };
  // Least recently used goes first: re-insert on use.
  entries.delete(key);
  entries.set(key, cachedData);
  return { cachedData };
}

/** Keeps what V8 produced (or drops an entry V8 rejected). */
export function remember(key: string, compiled: object): void {
  const { cachedData, cachedDataRejected } = compiled as ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (cachedDataRejected) forget(key);
  if (entries.has(key) || !cachedData) return;
  entries.set(key, cachedData);
  totalBytes += cachedData.copy().byteLength;
  while (entries.size > maxEntries || totalBytes > maxBytes) {
    const oldest = entries.keys().next().value;
    if (oldest === undefined) break;
    forget(oldest);
  }
}

function forget(key: string): void {
  const cachedData = entries.get(key);
  if (!cachedData) return;
  entries.delete(key);
  totalBytes -= cachedData.copy().byteLength;
  cachedData.release();
}
