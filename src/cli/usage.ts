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
 * A command that could not do what it was asked (the service refused, a file is unsafe, the
 * server is unreachable): exit status 1 with a one-line message, no stack.
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
