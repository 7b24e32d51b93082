// Secret values at rest: AES-256-GCM under the master key, a fresh 96-bit nonce per value, and
// the owner and name as associated data, so a ciphertext moved to another user's or another
// name's row no longer decrypts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const formatVersion = 1;
const nonceBytes = 12;
const tagBytes = 16;

export const masterKeyBytes = 32;

export class SecretCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== masterKeyBytes) throw new Error(`the master key must be ${masterKeyBytes} bytes`);
    this.#key = Buffer.from(key);
  }

  /** Layout: version byte, nonce, ciphertext, tag. */
  encrypt(userId: string, name: string, value: string): Uint8Array {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: tagBytes });
    cipher.setAAD(associatedData(userId, name));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return new Uint8Array(Buffer.concat([Buffer.of(formatVersion), nonce, body, cipher.getAuthTag()]));
  }

  /** Throws when the bytes were altered, belong elsewhere, or were made under another key. */
  decrypt(userId: string, name: string, sealed: Uint8Array): string {
    const bytes = Buffer.from(sealed);
    if (bytes.length < 1 + nonceBytes + tagBytes || bytes[0] !== formatVersion) throw new Error('not a sealed secret');
    const nonce = bytes.subarray(1, 1 + nonceBytes);
    const tag = bytes.subarray(bytes.length - tagBytes);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: tagBytes });
    decipher.setAAD(associatedData(userId, name));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(1 + nonceBytes, bytes.length - tagBytes)), decipher.final()]).toString('utf8');
  }
}

function associatedData(userId: string, name: string): Buffer {
  return Buffer.from(`teejs-secret\0${userId}\0${name}`, 'utf8');
}
