// Where secret values come from. The engine asks only for the executing user's secrets; the
// service implements this over its encrypted store, the CLI and tests use the in-memory one.

export interface SecretStore {
  /** The value of `name` for `userId`, or undefined when there is none. */
  get(userId: string, name: string): Promise<string | undefined> | string | undefined;
}

export class InMemorySecretStore implements SecretStore {
  readonly #values = new Map<string, Map<string, string>>();

  constructor(initial: Record<string, Record<string, string>> = {}) {
    for (const [userId, secrets] of Object.entries(initial)) {
      for (const [name, value] of Object.entries(secrets)) this.set(userId, name, value);
    }
  }

  set(userId: string, name: string, value: string): void {
    let secrets = this.#values.get(userId);
    if (!secrets) {
      secrets = new Map();
      this.#values.set(userId, secrets);
    }
    secrets.set(name, value);
  }

  delete(userId: string, name: string): boolean {
    return this.#values.get(userId)?.delete(name) ?? false;
  }

  get(userId: string, name: string): string | undefined {
    return this.#values.get(userId)?.get(name);
  }
}
