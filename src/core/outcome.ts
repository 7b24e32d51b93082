// What an execution ended with, as the host reports it: the guest's result or error envelope
// (guest/runtime.js), a failure of compiling or linking, a throw of the function's top level,
// or a stop from outside (time, memory), translated into an ExecutionError.
//
// Invariants:
// - Text that comes from the guest (names, messages, stacks) is bounded before it is kept.
// - A stack keeps only frames of the function's own file: never the runtime's or the host's.
// - An error code the guest claims is kept only if the runtime may raise it (guestCodes).
// - A failure inside the runtime's own scripts is an INTERNAL_ERROR, its details a warning.
import { ExecutionFailure } from './failure.ts';
import { internalFilePrefix } from './snapshot.ts';
import type { ExecutionError } from './types.ts';

/** What of an execution's job the translation reads. */
export interface OutcomeJob {
  filename: string;
  timeoutMs: number;
  memoryMb: number;
  maxResultBytes: number;
}

export type Stop = 'timeout' | 'memory';

export type SandboxOutcome = (
  | { ok: true; json: string }
  | { ok: false; error: ExecutionError }
) & { cpuTimeMs: number; memoryUsedBytes: number };

export function stopOutcome(why: Stop, job: OutcomeJob, cpuTimeMs: number): SandboxOutcome {
  if (why === 'timeout') {
    return {
      ok: false,
      error: { code: 'TIMEOUT', message: `execution timeout: the time limit of ${job.timeoutMs} ms was reached` },
      cpuTimeMs,
      memoryUsedBytes: 0,
    };
  }
  return { ok: false, error: memoryError(job), cpuTimeMs, memoryUsedBytes: job.memoryMb * 1024 * 1024 };
}

interface Envelope {
  ok: boolean;
  json?: string;
  name?: string;
  message?: string;
  stack?: string;
  code?: string;
}

const guestCodes = new Set(['SECRET_NOT_FOUND', 'VALIDATION_ERROR', 'RESULT_TOO_LARGE', 'RUNTIME_ERROR']);

export function parseEnvelope(text: string, job: OutcomeJob): { ok: true; json: string } | { ok: false; error: ExecutionError } {
  const envelope = JSON.parse(text) as Envelope;
  if (envelope.ok) {
    // The guest counted characters; the limit is in UTF-8 bytes.
    const json = envelope.json ?? 'null';
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > job.maxResultBytes) {
      return {
        ok: false,
        error: { code: 'RESULT_TOO_LARGE', message: `RangeError: result is ${bytes} bytes of JSON, over the limit of ${job.maxResultBytes}` },
      };
    }
    return { ok: true, json };
  }
  const message = `${envelope.name ?? 'Error'}: ${envelope.message ?? ''}`;
  // V8 reports a failed ArrayBuffer allocation this way when the heap limit is near.
  if (envelope.name === 'RangeError' && /Array buffer allocation failed/.test(envelope.message ?? '')) {
    return { ok: false, error: { ...memoryError(job), message: `${memoryError(job).message} (${message})` } };
  }
  const code = envelope.code && guestCodes.has(envelope.code) ? envelope.code : 'RUNTIME_ERROR';
  const error: ExecutionError = { code: code as ExecutionError['code'], message };
  if (envelope.stack) error.stack = envelope.stack;
  return { ok: false, error };
}

const positionPattern = /\s*\[([^\]]*):(\d+):(\d+)\]$/;

/**
 * What the function's own top-level code threw (running the script, evaluating the module). Kept
 * apart from compile and runtime failures because its name, message and stack are the guest's
 * choice: it must never be read as a syntax error or an internal failure.
 */
class TopLevelThrow {
  readonly thrown: unknown;
  constructor(thrown: unknown) {
    this.thrown = thrown;
  }
}

export function thrownByGuest(error: unknown): never {
  throw new TopLevelThrow(error);
}

/** Error text copied out of a guest's throw is bounded, like its logs and its result. */
const maxErrorChars = 16 * 1024;

function bounded(text: string, max = maxErrorChars): string {
  return text.length <= max ? text : `${text.slice(0, max)}... [truncated: ${text.length - max} more characters]`;
}

/** The lines of a stack that are frames of the function's own file (bounded, like the text). */
function guestFrames(stack: string, filename: string): string {
  return bounded(stack, 2 * maxErrorChars)
    .split('\n')
    .filter((line) => line.includes(`(${filename}:`) || line.includes(` ${filename}:`))
    .join('\n');
}

function topLevelError(thrown: unknown, job: OutcomeJob): ExecutionError {
  const raw = thrown instanceof Error ? thrown : new Error(String(thrown));
  const message = String(raw.message ?? '');
  if (/disposed during execution due to memory limit/.test(message)) return memoryError(job);
  const name = bounded(String(raw.name ?? 'Error'), 256);
  // isolated-vm's words for a thrown value that is not an Error say nothing to the user.
  const bare = /was not an instance of `Error`/.test(message) ? 'Uncaught exception (a value that is not an Error)' : bounded(message);
  const frames = guestFrames(String(raw.stack ?? ''), job.filename);
  return {
    code: 'RUNTIME_ERROR',
    message: `${name}: ${bare}`,
    ...(frames ? { stack: `${name}: ${bare}\n${frames}` } : {}),
  };
}

/** Errors that reach the host from compile, instantiate or a top-level throw. */
export function errorFromHost(error: unknown, job: OutcomeJob): ExecutionError {
  if (error instanceof ExecutionFailure) return error.toExecutionError();
  if (error instanceof TopLevelThrow) return topLevelError(error.thrown, job);
  const raw = error instanceof Error ? error : new Error(String(error));
  const message = raw.message ?? '';
  if (/disposed during execution due to memory limit/.test(message)) {
    return memoryError(job);
  }
  const position = positionPattern.exec(message);
  const bare = position ? message.slice(0, position.index) : message;
  if (raw.name === 'SyntaxError' && position && position[1] === job.filename) {
    const line = Number(position[2]);
    const column = Number(position[3]);
    return { code: 'SYNTAX_ERROR', message: `SyntaxError: ${bare} (${job.filename}:${line}:${column})`, line, column };
  }
  if (position && position[1]?.startsWith(internalFilePrefix)) {
    process.emitWarning(`teejs: internal script failed: ${raw.stack ?? message}`);
    return { code: 'INTERNAL_ERROR', message: 'internal error while running the function' };
  }
  // A throw at the top level of the function's file, copied out of the isolate.
  const stack = guestFrames(raw.stack ?? '', job.filename);
  return {
    code: 'RUNTIME_ERROR',
    message: `${raw.name}: ${bare}`,
    ...(stack ? { stack: `${raw.name}: ${bare}\n${stack}` } : {}),
  };
}

export function memoryError(job: OutcomeJob): ExecutionError {
  return { code: 'MEMORY_LIMIT', message: `memory limit exceeded: the execution needed more than its ${job.memoryMb} MB` };
}
