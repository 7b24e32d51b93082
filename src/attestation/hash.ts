// Hashes of the data a receipt names: SHA-256 over bytes, and over the RFC 8785 (JCS) canonical
// JSON of a value, by the `canonicalize` package.
//
// Invariants:
// - jcsSha256 of a value and of its JSON round trip (JSON.parse(JSON.stringify(value))) are
//   equal: key order and number formatting never change a hash.
// - It never throws for JSON data. RFC 8785 refuses strings with a lone UTF-16 surrogate, which
//   a guest can produce (console.log('\ud800')); such strings are hashed as their well-formed
//   form (each lone surrogate replaced by U+FFFD), on the signing and the verifying side alike.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The JCS text of a JSON value; throws for what JSON cannot hold (NaN, cycles, BigInt). */
export function jcs(value: unknown): string {
  try {
    return serialize(value);
  } catch (error) {
    if (!/lone surrogate/i.test((error as Error)?.message ?? '')) throw error;
    return serialize(wellFormed(value));
  }
}

/** Hex SHA-256 of the UTF-8 bytes of JCS(value). */
export function jcsSha256(value: unknown): string {
  return sha256Hex(jcs(value));
}

function serialize(value: unknown): string {
  const text = canonicalize(value);
  // undefined (or a function) has no JSON form; it is hashed as null, as JSON.stringify would
  // write it inside an array.
  return text === undefined ? 'null' : text;
}

function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) copy[key.toWellFormed()] = wellFormed(entry);
    return copy;
  }
  return value;
}
