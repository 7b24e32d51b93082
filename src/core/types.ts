// The public data model of an execution: what a caller asks for and what it gets back.
import type { Receipt } from '../attestation/receipt.ts';

export type ErrorCode =
  | 'SYNTAX_ERROR'
  | 'RUNTIME_ERROR'
  | 'TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'VALIDATION_ERROR'
  | 'SECRET_NOT_FOUND'
  | 'RESULT_TOO_LARGE'
  | 'EXECUTOR_CRASHED'
  | 'INTERRUPTED'
  | 'INTERNAL_ERROR';

export interface ExecutionError {
  code: ErrorCode;
  message: string;
  /** The guest's own stack (its own file and line numbers), when there is one. */
  stack?: string;
  /** For SYNTAX_ERROR: where the source failed to parse, 1-based. */
  line?: number;
  column?: number;
}

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug';

export interface LogEntry {
  level: LogLevel;
  message: string;
  /** Milliseconds since the Unix epoch. */
  time: number;
}

/** Told of an execution's progress while it runs (live logs). */
export interface ExecutionObserver {
  /**
   * A console line as it is kept in the result's logs (the same object, in the same order;
   * lines past the limits are not kept and not told), `index` its place there, from 0.
   */
  onLog?(entry: LogEntry, index: number): void;
}

export interface NetworkRecord {
  method: string;
  url: string;
  status: number | null;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** Why the policy or a limit refused the request (it was not sent, or its answer was cut off). */
  blocked?: string;
  /** Why an allowed request failed: a network error code, "timeout" or "aborted". */
  error?: string;
}

export interface ExecutionResult {
  executionId: string;
  functionId: string;
  userId: string;
  status: 'success' | 'error';
  result: unknown;
  error: ExecutionError | null;
  logs: LogEntry[];
  network: NetworkRecord[];
  /** Names of the secrets the function read (values never appear here). */
  secretsRead: string[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  cpuTimeMs: number;
  memoryUsedBytes: number;
  /**
   * Signed claims about this execution (src/attestation/receipt.ts). Every result the library,
   * the CLI and the service answer carries one; only an executor process's own engine, whose
   * host signs, leaves it out.
   */
  receipt?: Receipt;
}

export type SourceForm = 'module' | 'script';
export type SourceLanguage = 'javascript' | 'typescript';

export interface ExecutionRequest {
  /** Function source: an ES module with a default export, or a script that defines main(). */
  source: string;
  /**
   * The function's other ES modules, by relative path ("lib/util.js"), which `source` (the
   * entry, at path `entry`) and they import by relative specifiers ("./lib/util.js"). Linked
   * inside the isolate; packages are bundled in beforehand (`teejs bundle`).
   */
  modules?: Readonly<Record<string, string>>;
  /** Path of `source` within `modules` (default "main.js"); only with `modules`. */
  entry?: string;
  /**
   * Non-secret configuration the function reads as `context.env` (a frozen copy): plain
   * strings by name (src/core/env.ts bounds them).
   */
  env?: Readonly<Record<string, string>>;
  functionId?: string;
  userId?: string;
  params?: unknown;
  /** Shown in stack traces; a base name such as `price.js`. */
  filename?: string;
  /** Detected from the source when absent. */
  form?: SourceForm;
  language?: SourceLanguage;
  timeoutMs?: number;
  memoryMb?: number;
  /** Names this function may read with secrets.get; absent means every secret of the user. */
  allowedSecrets?: readonly string[] | null;
  /** Chosen by the caller (e.g. a service that records the execution first); random otherwise. */
  executionId?: string;
  /** Narrows the operator's network policy for this function (never widens it). */
  network?: FunctionNetworkPolicy;
  /**
   * Run deterministically (docs/attestation.md): Math.random, crypto's random values and UUIDs
   * seeded from the execution id, a clock that starts at `startedAt` and advances 1 ms per
   * read, fetch refused.
   */
  deterministic?: boolean;
  /** Deterministic executions only: the clock's start (a replay passes the receipt's); now otherwise. */
  startedAt?: string;
}

export interface FunctionNetworkPolicy {
  /** Hosts this function may fetch from; a host must also be allowed by the operator. */
  allowHosts?: readonly string[];
}
