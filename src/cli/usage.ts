// A usage error: the command line itself is wrong. Exit status 2 with a one-line message.
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const exitStatus = { success: 0, executionError: 1, usage: 2 } as const;
