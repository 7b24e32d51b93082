// How a host capability (console, secrets, crypto, timers, fetch, ...) plugs into a sandbox.
// Each lives in ext/<name>/: a guest.js installer that runs inside the isolate, and a host
// module exporting a Capability. Guest and host talk only through named operations whose
// arguments and answers are primitives or plain JSON-like data.
import { readFileSync } from 'node:fs';
import type { LogEntry, NetworkRecord } from './types.ts';

/** What a capability knows about the execution it serves. */
export interface ExecutionScope {
  readonly executionId: string;
  readonly functionId: string;
  readonly userId: string;
  /** Milliseconds since the epoch at which the execution is stopped. */
  readonly deadline: number;
  readonly maxTimers: number;
  readonly allowedSecrets: ReadonlySet<string> | null;
  /** Names of secrets the guest read (for audit); filled by the secrets capability. */
  readonly secretsRead: Set<string>;
  readonly logs: LogSink;
  readonly network: NetworkRecord[];
  /** The function's own narrowing of the operator's host allow-list (validated), or null. */
  readonly networkAllowHosts: readonly string[] | null;
  /** Aborted when the execution ends for any reason. */
  readonly signal: AbortSignal;
  /** Set for a deterministic execution (ext/determinism): the clock's start, ms since the epoch. */
  readonly deterministic?: { readonly startTime: number } | null;
}

export interface LogSink {
  write(level: LogEntry['level'], message: string): void;
}

/** Lets a capability deliver an event into the guest (e.g. a timer firing). */
export interface GuestChannel {
  emit(event: string, ...args: Array<string | number | boolean | null>): void;
}

type Handler<R> = (...args: unknown[]) => R;

/** The host half of a capability for one execution. */
export interface CapabilityInstance {
  /** Synchronous operations (the guest waits; keep them cheap). */
  calls?: Record<string, Handler<unknown>>;
  /** Operations whose host side is asynchronous but whose guest API is synchronous. */
  waits?: Record<string, Handler<Promise<unknown>>>;
  /** Asynchronous operations: the guest gets a promise. */
  requests?: Record<string, Handler<Promise<unknown>>>;
  /** One-way notices from the guest. */
  notices?: Record<string, Handler<void>>;
  /** The execution ended: release timers, sockets, anything still pending. */
  close?(): void;
}

export interface Capability {
  /** Prefix of its operation names: `console` serves `console.write`. */
  readonly name: string;
  /**
   * The guest installer: a file that is one function expression `(global, kit, expose) => void`,
   * strict from inside (`'use strict'` opens its body: the file is loaded into the startup
   * snapshot as `part = <file>`, where a file-level directive would not be one; see snapshot.ts).
   */
  readonly guestSource: string;
  readonly guestFilename: string;
  /**
   * The globals this capability exposes, when it may be installed lazily: on the first read of
   * one of them rather than at bootstrap. Executions that never use it then pay nothing for it.
   */
  readonly lazyGlobals?: readonly string[];
  start(scope: ExecutionScope, channel: GuestChannel): CapabilityInstance;
}

/** Reads a guest script that sits beside the host module (e.g. `new URL('./guest.js', import.meta.url)`). */
export function guestScript(url: URL): { guestSource: string; guestFilename: string } {
  const parts = url.pathname.split('/');
  return {
    guestSource: readFileSync(url, 'utf8'),
    guestFilename: `teejs:internal/${parts.slice(-2).join('/')}`,
  };
}
