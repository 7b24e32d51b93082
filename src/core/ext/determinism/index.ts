// Deterministic executions (request.deterministic): the host half of ext/determinism. It tells
// the guest's Math.random and Date wrappers the seed and the clock's start, and gives the
// crypto capability a seeded byte stream in place of the system's randomness.
//
// Invariants:
// - Everything derives from the execution id and the start time only: the same function, params,
//   execution id and start time give the same random numbers, bytes, UUIDs and clock readings.
// - Outside a deterministic execution the guest gets '' and uses the built-ins unchanged.
import { createCipheriv, createHash, type Cipheriv } from 'node:crypto';
import { defineCapability, type ExecutionScope } from '../../capability.ts';

export const determinismCapability = defineCapability({
  name: 'determinism',
  guest: new URL('./guest.js', import.meta.url),
  // No globals of its own: it replaces Math.random and Date, which every capability that reads
  // the clock or randomness while installing must come after.
  operations: { calls: ['config'] },
  start(scope) {
    return {
      calls: {
        config() {
          if (!scope.deterministic) return '';
          const seed = createHash('sha256').update(`teejs-deterministic-v1\0random\0${scope.executionId}`).digest('hex').slice(0, 32);
          return `${seed}:${scope.deterministic.startTime}`;
        },
      },
    };
  },
});

/**
 * The seeded bytes of a deterministic execution: AES-256-CTR keystream under a key derived from
 * the execution id, read in order by every randomBytes / getRandomValues / randomUUID call.
 */
export function deterministicBytes(scope: ExecutionScope): ((n: number) => Buffer) | null {
  if (!scope.deterministic) return null;
  const key = createHash('sha256').update(`teejs-deterministic-v1\0crypto\0${scope.executionId}`).digest();
  const stream: Cipheriv = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (n) => stream.update(Buffer.alloc(n));
}
