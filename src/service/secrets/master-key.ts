// The master key that encrypts secrets: from TEEJS_MASTER_KEY (base64 of 32 bytes), or a key
// file made at first start in the data directory, readable by its owner only (0600). A check
// value stored beside the data refuses a start under a different key, which would otherwise
// make every secret unreadable one execution at a time.
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../../store/index.ts';
import { masterKeyBytes, SecretCipher } from './cipher.ts';

export const masterKeyFileName = 'master.key';
const checkSetting = 'master_key_check';
const checkPlaintext = 'teejs master key check';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface MasterKey {
  key: Buffer;
  origin: 'environment' | 'file';
  /** The key file, when the key came from one. */
  file?: string;
  created: boolean;
}

export function loadMasterKey(options: { fromEnvironment: string | undefined; dataDir: string }): MasterKey {
  if (options.fromEnvironment !== undefined) {
    return { key: decodeKey(options.fromEnvironment.trim(), 'TEEJS_MASTER_KEY'), origin: 'environment', created: false };
  }
  const file = path.join(options.dataDir, masterKeyFileName);
  let descriptor: number | undefined;
  try {
    // 'wx': create only if absent, so two servers starting together never overwrite a key.
    descriptor = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (descriptor !== undefined) {
    const key = randomBytes(masterKeyBytes);
    try {
      writeSync(descriptor, `${key.toString('base64')}\n`);
    } finally {
      closeSync(descriptor);
    }
    return { key, origin: 'file', file, created: true };
  }
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(`the master key file ${file} can be read by others (mode ${mode.toString(8)}): run chmod 600 on it`);
  }
  return { key: decodeKey(readFileSync(file, 'utf8').trim(), file), origin: 'file', file, created: false };
}

function decodeKey(text: string, origin: string): Buffer {
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== masterKeyBytes) throw new MasterKeyError(`${origin} must be the base64 encoding of ${masterKeyBytes} random bytes (e.g. openssl rand -base64 32)`);
  return key;
}

/** Binds the store to the key at first start; refuses a different key afterwards. */
export async function verifyMasterKey(store: Store, cipher: SecretCipher): Promise<void> {
  const sealed = Buffer.from(cipher.encrypt('', checkSetting, checkPlaintext)).toString('base64');
  const stored = await store.initSetting(checkSetting, sealed);
  try {
    if (cipher.decrypt('', checkSetting, Buffer.from(stored, 'base64')) === checkPlaintext) return;
  } catch {
    // fall through
  }
  throw new MasterKeyError('the master key is not the one this store\'s secrets were encrypted with (check TEEJS_MASTER_KEY or the key file)');
}
