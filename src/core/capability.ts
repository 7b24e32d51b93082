// How a host capability (console, secrets, crypto, timers, fetch, ...) plugs into a sandbox.
// Each lives in ext/<name>/: a guest.js installer that runs inside the isolate, and a host
// module exporting a Capability. Guest and host talk only through named operations whose
// arguments and answers are primitives or plain JSON-like data.
import { readFileSync } from 'node:fs';
import type { HostPattern } from './ext/fetch/policy.ts';
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
  /** The function's own narrowing of the operator's host allow-list (parsed by the engine), or null. */
  readonly networkAllowHosts: readonly HostPattern[] | null;
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

/** The kinds of host operation, by how the guest waits for them (see the `runtime` object guest/runtime.js hands to installers). */
export interface OperationKinds<T> {
  /** Synchronous operations (the guest waits; keep them cheap): `runtime.call`. */
  calls?: T;
  /** Operations whose host side is asynchronous but whose guest API is synchronous: `runtime.wait`. */
  waits?: T;
  /** Asynchronous operations, the guest gets a promise: `runtime.request`. */
  requests?: T;
  /** One-way notices from the guest: `runtime.notify`. */
  notices?: T;
}
export type OperationKind = keyof OperationKinds<unknown>;
export const operationKinds: readonly OperationKind[] = ['calls', 'waits', 'requests', 'notices'];

/** The host half of a capability for one execution. */
export interface CapabilityInstance {
  calls?: Record<string, Handler<unknown>>;
  waits?: Record<string, Handler<Promise<unknown>>>;
  requests?: Record<string, Handler<Promise<unknown>>>;
  notices?: Record<string, Handler<void>>;
  /** The execution ended: release timers, sockets, anything still pending. */
  close?(): void;
}

/** Bounds both halves know: the host enforces them, the guest checks them first (see `limits`). */
export type CapabilityLimits = Readonly<Record<string, number>>;

/**
 * One capability, declared in one place (as Deno's `extension!` and workerd's
 * `JSG_RESOURCE_TYPE` declare theirs). Every field but `start` is checked against what the code
 * does: the snapshot build refuses an installer that exposes other globals than `globals` and
 * `lazyGlobals`, the engine orders capabilities by `after`, and a test holds every operation a
 * guest file names to the declared names and kinds, as the type of `start` holds the host's.
 */
export interface Capability {
  /** Prefix of its operation names: `console` serves `console.write`. */
  readonly name: string;
  /**
   * The guest installer, in one or more files run in order: each is one function expression
   * `(global, runtime, expose, limits, shared) => void`, strict from inside (`'use strict'` opens
   * its body: the file is loaded into the startup snapshot as `part = <file>`, where a
   * file-level directive would not be one; see snapshot.ts). `shared` is an object of this
   * installation only, through which one file hands the next what it made (a class, a helper).
   */
  readonly guest: readonly GuestScript[];
  /** The globals its installer exposes at bootstrap. */
  readonly globals: readonly string[];
  /**
   * The globals it exposes when it may be installed lazily: on the first read of one of them
   * rather than at bootstrap. Executions that never use it then pay nothing for it. A capability
   * has `globals` or `lazyGlobals`, never both.
   */
  readonly lazyGlobals?: readonly string[];
  /** Capabilities whose globals its installer reads while installing: installed before it. */
  readonly after: readonly string[];
  /** The names of its host operations (without the `name.` prefix), by kind. */
  readonly operations: Readonly<OperationKinds<readonly string[]>>;
  /** Events the host delivers into the guest (`channel.emit`, `runtime.listen`), full names. */
  readonly events: readonly string[];
  /** Written once, here: the host checks them, and the installer gets them as `limits`. */
  readonly limits: CapabilityLimits;
  start(scope: ExecutionScope, channel: GuestChannel): CapabilityInstance;
}

type Names<T> = T extends readonly (infer N extends string)[] ? N : never;

/** What `start` must return for the declared operations: a handler for each, of its kind. */
export type InstanceFor<O extends OperationKinds<readonly string[]>> = {
  [K in keyof O & OperationKind]-?: Record<Names<O[K]>, NonNullable<CapabilityInstance[K]>[string]>;
} & { close?(): void };

/** A capability's declaration, as written in its ext/<name>/index.ts. */
export interface CapabilityDeclaration<O extends OperationKinds<readonly string[]>, L extends CapabilityLimits> {
  name: string;
  /** Its guest installer, beside the host module: `new URL('./guest.js', import.meta.url)`, or its files in order. */
  guest: URL | readonly URL[];
  globals?: readonly string[];
  lazyGlobals?: readonly string[];
  after?: readonly string[];
  operations?: O;
  events?: readonly string[];
  limits?: L;
  start(scope: ExecutionScope, channel: GuestChannel): InstanceFor<O>;
}

const namePattern = /^[A-Za-z_$][\w$]*$/;

/** Makes a Capability from its declaration; throws on a declaration that contradicts itself. */
export function defineCapability<const O extends OperationKinds<readonly string[]> = {}, const L extends CapabilityLimits = {}>(
  declaration: CapabilityDeclaration<O, L>,
): Capability & { readonly limits: Readonly<L> } {
  const { name, guest, globals = [], lazyGlobals, after = [], operations = {} as O, events = [], limits = {} as L, start } = declaration;
  const fail = (what: string) => {
    throw new TypeError(`capability ${name}: ${what}`);
  };
  if (!namePattern.test(name)) fail('its name must be an identifier');
  if (lazyGlobals !== undefined && globals.length > 0) fail('it has globals or lazyGlobals, not both');
  for (const list of [globals, lazyGlobals ?? [], after, ...operationKinds.map((kind) => operations[kind] ?? [])]) {
    if (new Set(list).size !== list.length || !list.every((item) => namePattern.test(item))) fail(`${JSON.stringify(list)} must be distinct identifiers`);
  }
  if (after.includes(name)) fail('it cannot come after itself');
  for (const event of events) if (!event.startsWith(`${name}.`)) fail(`its event ${event} must be named ${name}.<event>`);
  for (const [key, value] of Object.entries(limits)) if (!Number.isSafeInteger(value) || value < 0) fail(`limit ${key} must be a whole number`);
  const declared: Record<string, readonly string[]> = {};
  for (const kind of operationKinds) if (operations[kind]) declared[kind] = Object.freeze([...operations[kind]]);
  return Object.freeze({
    name,
    guest: Object.freeze((guest instanceof URL ? [guest] : guest).map(guestScript)),
    globals: Object.freeze([...globals]),
    ...(lazyGlobals ? { lazyGlobals: Object.freeze([...lazyGlobals]) } : {}),
    after: Object.freeze([...after]),
    operations: Object.freeze(declared),
    events: Object.freeze([...events]),
    limits: Object.freeze({ ...limits }),
    start,
  });
}

/**
 * The capabilities in installation order: each after those it names in `after`, otherwise in
 * the order given. Throws on a name given twice, an unknown `after` or a cycle.
 */
export function orderCapabilities(capabilities: readonly Capability[]): Capability[] {
  const byName = new Map<string, Capability>();
  for (const capability of capabilities) {
    if (byName.has(capability.name)) throw new TypeError(`capability ${capability.name} is given twice`);
    byName.set(capability.name, capability);
  }
  for (const capability of capabilities) {
    for (const before of capability.after) {
      if (!byName.has(before)) throw new TypeError(`capability ${capability.name} comes after ${before}, which is not installed`);
    }
  }
  const ordered: Capability[] = [];
  const placed = new Set<string>();
  while (ordered.length < capabilities.length) {
    const next = capabilities.find((capability) => !placed.has(capability.name) && capability.after.every((before) => placed.has(before)));
    if (next === undefined) {
      const rest = capabilities.filter((capability) => !placed.has(capability.name)).map((capability) => capability.name);
      throw new TypeError(`capabilities ${rest.join(', ')} wait for each other (a cycle in their "after")`);
    }
    ordered.push(next);
    placed.add(next.name);
  }
  return ordered;
}

/** The text of one of the runtime's scripts, and the name its stack frames show. */
export interface GuestScript {
  readonly guestSource: string;
  readonly guestFilename: string;
}

/** Reads a guest script that sits beside the host module (e.g. `new URL('./guest.js', import.meta.url)`). */
export function guestScript(url: URL): GuestScript {
  const parts = url.pathname.split('/');
  return {
    guestSource: readFileSync(url, 'utf8'),
    guestFilename: `teejs:internal/${parts.slice(-2).join('/')}`,
  };
}
