// Waiting for a condition in tests: poll it until it holds, with a deadline generous enough for a
// busy machine (a fixed sleep is either too short under load or needlessly long when idle).
import { setTimeout as sleep } from 'node:timers/promises';

export interface UntilOptions {
  /** Give up after this long (default 60 s): only a broken mechanism should ever reach it. */
  timeoutMs?: number;
  /** How often the condition is checked (default 20 ms). */
  intervalMs?: number;
}

/** Resolves once `condition()` is true; rejects with `what` in the message at the deadline. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, options: UntilOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting until ${what}`);
    await sleep(options.intervalMs ?? 20);
  }
}
