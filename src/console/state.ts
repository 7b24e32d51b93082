// The console's shared state: who is signed in, whether the service answers, the last notice.
// A tiny observable (no state library): screens subscribe with useShared() and re-render on change.
import { useEffect, useState } from 'preact/hooks';

export class Shared<T> {
  #value: T;
  readonly #listeners = new Set<(value: T) => void>();

  constructor(value: T) {
    this.#value = value;
  }

  get value(): T {
    return this.#value;
  }

  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const listener of [...this.#listeners]) listener(value);
  }

  subscribe(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export function useShared<T>(shared: Shared<T>): T {
  const [value, setValue] = useState(shared.value);
  useEffect(() => {
    setValue(shared.value);
    return shared.subscribe(setValue);
  }, [shared]);
  return value;
}

export interface Identity {
  role: 'user' | 'operator';
  /** The user's id; 'operator' for the operator key. */
  id: string;
  name: string;
}

/** Signed in as whom; null on the sign-in screen. */
export const identity = new Shared<Identity | null>(null);
/** Why the sign-in screen shows (a key refused mid-session), or null. */
export const signInReason = new Shared<string | null>(null);
/** false while the service does not answer (the console probes it until it does). */
export const online = new Shared<boolean>(true);
