import type { ErrorCode, ExecutionError } from './types.ts';

/** A failure with a code, raised on the host while preparing or running an execution. */
export class ExecutionFailure extends Error {
  readonly code: ErrorCode;
  readonly details: Partial<ExecutionError>;

  constructor(code: ErrorCode, message: string, details: Partial<ExecutionError> = {}) {
    super(message);
    this.name = 'ExecutionFailure';
    this.code = code;
    this.details = details;
  }

  toExecutionError(): ExecutionError {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/**
 * An error a host capability raises into the guest: it becomes a plain guest error of the
 * named type (never a host object), optionally carrying a code the result will report.
 */
export class GuestError extends Error {
  readonly guestName: 'Error' | 'TypeError' | 'RangeError';
  readonly code: ErrorCode | undefined;

  constructor(guestName: 'Error' | 'TypeError' | 'RangeError', message: string, code?: ErrorCode) {
    super(message);
    this.guestName = guestName;
    this.code = code;
  }
}
