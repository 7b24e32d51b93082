// The executor's view of the encrypted store: secrets.get(name) in a guest asks for the
// executing user's secret, decrypted on demand and never cached.
import type { SecretStore } from '../../core/index.ts';
import type { Store } from '../../store/index.ts';
import type { SecretCipher } from './cipher.ts';

export class SecretVault implements SecretStore {
  readonly #store: Store;
  readonly #cipher: SecretCipher;

  constructor(store: Store, cipher: SecretCipher) {
    this.#store = store;
    this.#cipher = cipher;
  }

  seal(userId: string, name: string, value: string): Uint8Array {
    return this.#cipher.encrypt(userId, name, value);
  }

  /** Opens what seal() sealed for the same user and name (a webhook's secret). */
  unseal(userId: string, name: string, sealed: Uint8Array): string {
    return this.#cipher.decrypt(userId, name, sealed);
  }

  async get(userId: string, name: string): Promise<string | undefined> {
    const sealed = await this.#store.getSecretCiphertext(userId, name);
    return sealed === undefined ? undefined : this.#cipher.decrypt(userId, name, sealed);
  }

  /** The current values of the named secrets that still exist (for redaction). */
  async values(userId: string, names: readonly string[]): Promise<string[]> {
    const values: string[] = [];
    for (const name of new Set(names)) {
      try {
        const value = await this.get(userId, name);
        if (value !== undefined) values.push(value);
      } catch {
        // An unreadable secret was not read by the function either.
      }
    }
    return values;
  }
}
