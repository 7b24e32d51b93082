// A real capability for tests: its operations answer after a delay, and it records whether the
// execution's end released what was still pending.
import { defineCapability, type Capability } from '../../../src/core/capability.ts';
import { GuestError } from '../../../src/core/failure.ts';

export interface SlowRecord {
  started: number;
  released: number;
}

function delayOf(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 60_000) {
    throw new GuestError('RangeError', 'slow: ms must be a number from 0 to 60000');
  }
  return ms;
}

export function slowCapability(record: SlowRecord): Capability {
  return defineCapability({
    name: 'slow',
    guest: new URL('./guest.js', import.meta.url),
    globals: ['slow'],
    operations: { requests: ['wait'], waits: ['block'] },
    start(scope) {
      const answerAfter = (ms: unknown) =>
        new Promise<string>((resolve) => {
          const delay = delayOf(ms);
          record.started++;
          const release = () => {
            clearTimeout(timer);
            record.released++;
          };
          const timer = setTimeout(() => {
            scope.signal.removeEventListener('abort', release);
            resolve('answered');
          }, delay);
          scope.signal.addEventListener('abort', release, { once: true });
        });
      return { requests: { wait: answerAfter }, waits: { block: answerAfter } };
    },
  });
}
