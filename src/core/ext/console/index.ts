// console: log, info, warn, error, debug, captured into the result's logs. The guest formats
// its arguments; the host only bounds what it keeps (entries and bytes per execution).
import { guestScript, type Capability } from '../../capability.ts';
import { GuestError } from '../../failure.ts';
import type { LogLevel } from '../../types.ts';

const levels: ReadonlySet<string> = new Set(['log', 'info', 'warn', 'error', 'debug']);

export const consoleCapability: Capability = {
  name: 'console',
  ...guestScript(new URL('./guest.js', import.meta.url)),
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
};
