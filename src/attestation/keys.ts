// Ed25519 signing keys of receipts and attestation documents (node:crypto, no key material
// ever leaves a KeyObject except through toPem, for the service's encrypted store).
//
// Invariants:
// - publicKey is the base64url (no padding) of the 32 raw public-key bytes; keyId is the hex
//   SHA-256 of those 32 bytes. Both are derived from the key, never given separately.
// - A key file or TEEJS_SIGNING_KEY holds a PKCS#8 PEM Ed25519 private key; anything else is
//   refused with a KeyError that says what was expected (it never echoes key material).
// - processSigningKey() is made once per process, on first use, and never written anywhere.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sha256Hex } from './hash.ts';

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export class SigningKey {
  readonly #privateKey: KeyObject;
  readonly publicKey: string;
  readonly keyId: string;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const raw = rawPublicKey(createPublicKey(privateKey));
    this.publicKey = raw.toString('base64url');
    this.keyId = sha256Hex(raw);
  }

  static generate(): SigningKey {
    return new SigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /** From a PKCS#8 PEM text; `origin` names where it came from in the error. */
  static fromPem(pem: string, origin = 'the signing key'): SigningKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw new KeyError(`${origin} is not a PEM private key (make one with: openssl genpkey -algorithm ed25519)`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${origin} is a ${key.asymmetricKeyType ?? 'unknown'} key, not an Ed25519 key`);
    return new SigningKey(key);
  }

  static fromFile(file: string): SigningKey {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new KeyError(`cannot read the signing key ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return SigningKey.fromPem(text, `the signing key ${file}`);
  }

  sign(data: Uint8Array): Buffer {
    return sign(null, data, this.#privateKey);
  }

  /** PKCS#8 PEM: only for sealing under the master key. */
  toPem(): string {
    return this.#privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
}

let processKey: SigningKey | undefined;

/** A fresh key for this process (teejs run, the library without a key of its own). */
export function processSigningKey(): SigningKey {
  processKey ??= SigningKey.generate();
  return processKey;
}

/** The raw 32 bytes of an Ed25519 public key given as base64url; null when it is not one. */
export function decodePublicKey(text: unknown): Buffer | null {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const raw = Buffer.from(text, 'base64url');
  return raw.length === 32 ? raw : null;
}

/** Whether `signature` (base64url) is the Ed25519 signature of `data` by `publicKey` (base64url). */
export function verifySignature(publicKey: string, data: Uint8Array, signature: unknown): boolean {
  const raw = decodePublicKey(publicKey);
  if (raw === null || typeof signature !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return verify(null, data, key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

export function keyIdOf(publicKey: string): string | null {
  const raw = decodePublicKey(publicKey);
  return raw === null ? null : sha256Hex(raw);
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(String(jwk.x), 'base64url');
}
