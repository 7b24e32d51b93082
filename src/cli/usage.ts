import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

// How a command ends badly. A usage error: the command line itself is wrong, exit status 2
// with a one-line message. A CommandError: the command could not be done, status 1, one line.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const exitStatus = { success: 0, executionError: 1, usage: 2 } as const;

/**
 * A command's arguments, strictly parsed; a mistake is a UsageError with the parser's first
 * line, followed by `hint` (e.g. where to find the command's --help). `positionals: false` for
 * a command that takes none (an argument is then a mistake too).
 */
export function parseCommandLine<const T extends ParseArgsOptionsConfig>(args: string[], options: T, { hint = '', positionals = true } = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0] ?? 'bad arguments'}${hint}`);
  }
}

/**
 * A command that could not do what it was asked (the service refused, a file is unsafe, the
 * server is unreachable): exit status 1 with a one-line message, no stack.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
