// console: log, info, warn, error, debug, captured into the result's logs. The guest formats
// its arguments; the host only bounds what it keeps (entries and bytes per execution).
import { defineCapability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';
import type { LogLevel } from '../../types.ts';

const levels: ReadonlySet<string> = new Set(['log', 'info', 'warn', 'error', 'debug']);

export const consoleCapability = defineCapability({
  name: 'console',
  guest: new URL('./guest.js', import.meta.url),
  globals: ['console'],
  operations: { calls: ['write'] },
  limits: {
    // One message is cut here rather than copied whole to the host, which keeps at most 1 MB
    // of output per execution by default anyway: copying a 50 MB string took the host's thread
    // for over 100 ms per call.
    maxMessageChars: 1024 * 1024,
  },
  start(scope) {
    return {
      calls: {
        write(level, message) {
          if (typeof level !== 'string' || !levels.has(level) || typeof message !== 'string') {
            throw new GuestError('TypeError', 'console: invalid arguments');
          }
          scope.logs.write(level as LogLevel, message);
        },
      },
    };
  },
});
