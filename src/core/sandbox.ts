// A Sandbox is one V8 isolate with one context, made from the startup snapshot (capabilities
// installed, intrinsics frozen: see snapshot.ts), attached to this host, used for exactly one
// execution, then disposed. It can be made ahead of demand (the warm pool) because nothing about
// the execution is known to it until `run`. This file is the sandbox's lifecycle and its host
// channel; outcome.ts translates what an execution ended with into its result or error.
import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import type { Capability, CapabilityInstance, ExecutionScope, GuestChannel } from './capability.ts';
import { cacheOptions, codeCacheKey, remember } from './code-cache.ts';
import { ExecutionFailure, GuestError } from './failure.ts';
import { checkGraph } from './module-set.ts';
import { errorFromHost, memoryError, parseEnvelope, stopOutcome, thrownByGuest, type SandboxOutcome, type Stop } from './outcome.ts';
import { internalFilePrefix, startupSnapshot } from './snapshot.ts';
import type { SourceForm } from './types.ts';

const entrySource = readFileSync(new URL('./guest/entry.js', import.meta.url), 'utf8');
const handoffSource = readFileSync(new URL('./guest/handoff.js', import.meta.url), 'utf8');
const functionSpecifier = 'teejs:function';
const attachSource = '__teejsAttach';
const attachOptions = { filename: `${internalFilePrefix}attach.js` };
const handoffSpecifier = 'teejs:handoff';

// Bootstrapping runs no guest code, so it may take the isolate synchronously ("foreground":
// fastest, used when an execution is waiting for this sandbox) or through isolated-vm's async
// API on the isolate's own thread ("background": more total work, thread hops, but the main
// thread stays free for running executions; used by the warm pool). Creating the isolate
// itself is synchronous either way: isolated-vm has no other API for it.
export type BootMode = 'foreground' | 'background';

export interface SandboxOptions {
  memoryMb: number;
  /** How bootstrapping uses the main thread (default foreground). */
  mode?: BootMode;
  capabilities: readonly Capability[];
  onCatastrophicError?: (message: string) => void;
}

export interface SandboxJob {
  /** The entry module's (or the script's) source. */
  source: string;
  /** A function of several modules: every module's JavaScript by path, the entry's included. */
  modules?: { entry: string; sources: ReadonlyMap<string, string> };
  /** The user it runs for (scopes the code cache). */
  owner: string;
  form: SourceForm;
  filename: string;
  paramsJson: string;
  contextJson: string;
  /** False when the form was detected, so a module-only syntax error may switch it. */
  formGiven: boolean;
  timeoutMs: number;
  memoryMb: number;
  maxResultBytes: number;
}

type Reply = { ok: true; value: unknown } | { ok: false; name: string; message: string; code?: string };

export class Sandbox {
  readonly memoryMb: number;
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  readonly #capabilities: readonly Capability[];
  #control: ivm.Reference<(...args: unknown[]) => unknown> | null = null;
  #instances: Map<string, CapabilityInstance> | null = null;
  #used = false;
  #entry: ivm.Module | null = null;
  #handoff: ivm.Module | null = null;
  #settled: Promise<void> = Promise.resolve();

  private constructor(isolate: ivm.Isolate, context: ivm.Context, options: SandboxOptions) {
    this.#isolate = isolate;
    this.#context = context;
    this.memoryMb = options.memoryMb;
    this.#capabilities = options.capabilities;
  }

  static async create(options: SandboxOptions): Promise<Sandbox> {
    const isolate = new ivm.Isolate({
      memoryLimit: options.memoryMb,
      onCatastrophicError: options.onCatastrophicError ?? defaultCatastrophe,
      // Capabilities installed and built-ins hardened already: see snapshot.ts.
      snapshot: startupSnapshot(options.capabilities),
    });
    try {
      const mode = options.mode ?? 'foreground';
      const context = mode === 'foreground' ? isolate.createContextSync() : await isolate.createContext();
      const sandbox = new Sandbox(isolate, context, options);
      await sandbox.#bootstrap(mode);
      return sandbox;
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  get disposed(): boolean {
    return this.#isolate.isDisposed;
  }

  /**
   * Resolves when the isolate's own thread has let go of the execution. After a timeout or a
   * memory-limit disposal the call running inside can take a while to unwind, and a process
   * that exits before it has can crash on the way out.
   */
  get settled(): Promise<void> {
    return this.#settled;
  }

  dispose(): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
  }

  async #bootstrap(mode: BootMode): Promise<void> {
    const isolate = this.#isolate;
    const context = this.#context;
    const hostCall = new ivm.Callback((op: unknown, ...args: unknown[]) => this.#call(op, args));
    const hostWait = new ivm.Reference(async (op: unknown, ...args: unknown[]) => JSON.stringify(await this.#wait(op, args)));
    const hostPost = new ivm.Callback((op: unknown, id: unknown, ...args: unknown[]) => this.#post(op, id, args), { ignored: true });
    // The snapshot's runtime waits for its host channel; it answers with `control`. (A script,
    // not context.global.get: isolated-vm refuses to read properties of an object that has a
    // Proxy in its prototype chain, as the hardened global does.)
    const attachScript = mode === 'foreground' ? isolate.compileScriptSync(attachSource, attachOptions) : await isolate.compileScript(attachSource, attachOptions);
    const attach = (mode === 'foreground'
      ? attachScript.runSync(context, { reference: true })
      : await attachScript.run(context, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
    if (attach.typeof !== 'function') throw new Error('the startup snapshot has no runtime to attach');
    const args = [hostCall, hostWait, hostPost];
    const resultOptions = { result: { reference: true } } as const;
    const control = mode === 'foreground' ? attach.applySync(undefined, args, resultOptions) : await attach.apply(undefined, args, resultOptions);
    attach.release();
    this.#control = control as ivm.Reference<(...args: unknown[]) => unknown>;
    // The entry modules of module-form functions do not depend on the function: ready them now.
    const entryOptions = { filename: `${internalFilePrefix}entry.js` };
    const handoffOptions = { filename: `${internalFilePrefix}handoff.js` };
    if (mode === 'foreground') {
      this.#entry = isolate.compileModuleSync(entrySource, entryOptions);
      this.#handoff = isolate.compileModuleSync(handoffSource, handoffOptions);
    } else {
      this.#entry = await isolate.compileModule(entrySource, entryOptions);
      this.#handoff = await isolate.compileModule(handoffSource, handoffOptions);
    }
  }

  // ---- host channel ------------------------------------------------------------------------

  #handler(kind: keyof Omit<CapabilityInstance, 'close'>, op: unknown): ((...args: unknown[]) => unknown) | undefined {
    if (typeof op !== 'string' || this.#instances === null) return undefined;
    const dot = op.indexOf('.');
    const instance = this.#instances.get(op.slice(0, dot));
    const table = instance?.[kind] as Record<string, (...args: unknown[]) => unknown> | undefined;
    const name = op.slice(dot + 1);
    return table && Object.hasOwn(table, name) ? table[name] : undefined;
  }

  #call(op: unknown, args: unknown[]): Reply {
    try {
      const handler = this.#handler('calls', op);
      if (!handler) return unknownOperation(op);
      return { ok: true, value: handler(...args) };
    } catch (error) {
      return failureReply(error);
    }
  }

  async #wait(op: unknown, args: unknown[]): Promise<Reply> {
    try {
      const handler = this.#handler('waits', op);
      if (!handler) return unknownOperation(op);
      return { ok: true, value: await handler(...args) };
    } catch (error) {
      return failureReply(error);
    }
  }

  #post(op: unknown, id: unknown, args: unknown[]): void {
    if (id === 0) {
      try {
        this.#handler('notices', op)?.(...args);
      } catch (error) {
        failureReply(error);
      }
      return;
    }
    if (typeof id !== 'number') return;
    const handler = this.#handler('requests', op);
    const reply: Promise<Reply> = handler
      ? Promise.resolve()
          .then(() => handler(...args))
          .then((value): Reply => ({ ok: true, value }), failureReply)
      : Promise.resolve(unknownOperation(op));
    void reply.then((answer) => this.#send('settle', id, answer));
  }

  #send(...args: unknown[]): void {
    if (this.#control === null || this.#isolate.isDisposed || this.#instances === null) return;
    this.#control.apply(undefined, args, { arguments: { copy: true } }).catch(() => {
      // The isolate was disposed meanwhile: the execution is over, nobody waits for this.
    });
  }

  // ---- one execution -----------------------------------------------------------------------

  async run(job: SandboxJob, scope: ExecutionScope, abort: AbortController): Promise<SandboxOutcome> {
    if (this.#used) throw new Error('a sandbox runs exactly one execution');
    this.#used = true;
    const isolate = this.#isolate;
    const channel: GuestChannel = { emit: (event, ...args) => this.#send('event', event, ...args) };
    this.#instances = new Map(this.#capabilities.map((capability) => [capability.name, capability.start(scope, channel)]));

    let stop: Stop | null = null;
    // The isolate's CPU clock also counted its bootstrap: report the execution's share only.
    const cpuAtStart = cpuMs(isolate);
    let cpuAtStop = 0;
    let watchdog: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const stopped = new Promise<Stop>((resolve) => {
      const halt = (why: Stop) => {
        if (stop !== null) return;
        stop = why;
        cpuAtStop = Math.max(0, cpuMs(isolate) - cpuAtStart);
        resolve(why);
      };
      watchdog = setTimeout(() => {
        halt('timeout');
        // Terminates whatever runs: a loop, a pending timer, an awaited host call.
        if (!isolate.isDisposed) isolate.dispose();
      }, job.timeoutMs);
      // isolated-vm disposes an isolate that hits its memory limit, but the call running in it
      // can take seconds to return: notice the disposal itself.
      poll = setInterval(() => {
        if (isolate.isDisposed) halt('memory');
      }, 10);
    });

    try {
      const execution = this.#execute(job).then(
        (json) => ({ json }),
        (error: unknown) => ({ error }),
      );
      // After an isolate was stopped from outside, isolated-vm tears its environment down on a
      // thread of its own; a process exiting meanwhile crashes in that destructor (seen on these
      // machines in about 1 exit of 10 without this grace, never with it).
      this.#settled = execution.then(() => (isolate.isDisposed ? delay(teardownGraceMs) : undefined));
      const settled = await Promise.race([execution, stopped]);
      if (typeof settled === 'string' || stop !== null || isolate.isDisposed) {
        return stopOutcome(stop ?? 'memory', job, cpuAtStop);
      }
      const cpuTimeMs = Math.max(0, cpuMs(isolate) - cpuAtStart);
      const memoryUsedBytes = await heapUsed(isolate, (request) => {
        const before = this.#settled;
        this.#settled = Promise.all([before, request]).then(() => undefined);
      });
      // isolated-vm ended the isolate for its memory limit after the function returned (a GC
      // that found the heap over it): no heap figures come then, and the answer is still
      // MEMORY_LIMIT, never the result the function returned. (A time limit that passed while
      // the figures came is no reason to drop a result that came in time.)
      const ended: Stop | null = stop;
      if (ended === 'memory' || (ended === null && isolate.isDisposed)) return stopOutcome('memory', job, cpuTimeMs);
      // V8 can finish a call that went past the heap limit before it notices (a string flattened
      // in one native call, a large object): what the isolate holds at the end still tells.
      if (memoryUsedBytes > (job.memoryMb + heapOvershootMb) * 1024 * 1024) {
        return { ok: false, error: memoryError(job), cpuTimeMs, memoryUsedBytes };
      }
      if ('json' in settled) return { ...parseEnvelope(settled.json, job), cpuTimeMs, memoryUsedBytes };
      return { ok: false, error: errorFromHost(settled.error, job), cpuTimeMs, memoryUsedBytes };
    } finally {
      clearTimeout(watchdog);
      clearInterval(poll);
      abort.abort();
      for (const instance of this.#instances.values()) instance.close?.();
      this.#instances = null;
      // Disposal (~0.1 ms) waits for the promise jobs now queued (the result is on its way), but
      // not for a later turn of the event loop: isolated-vm kept about 2 MB of every isolate
      // disposed from a later turn (setImmediate, setTimeout) while other isolates ran, 1.8 GB
      // over 2,000 executions at concurrency 8 (test/core/memory-release.test.ts).
      process.nextTick(() => this.dispose());
    }
  }

  // Until the function's own code starts (script.run / entry.evaluate), no guest code has run in
  // this isolate, so compiling, linking and `prepare` take it synchronously (no thread hop).
  async #execute(job: SandboxJob): Promise<string> {
    const isolate = this.#isolate;
    const context = this.#context;
    const control = this.#control!;
    const runOptions = { result: { promise: true, copy: true } } as const;

    if (job.form === 'script') {
      // Strict, so writes to frozen built-ins throw; line 1 of the user's file stays line 1.
      let script: ivm.Script;
      try {
        // A hashbang is valid only at the very start of a script: keep its line, as a comment.
        const body = job.source.startsWith('#!') ? `//${job.source.slice(2)}` : job.source;
        const source = `"use strict";\n${body}`;
        const key = codeCacheKey('script', job.owner, job.filename, source);
        script = isolate.compileScriptSync(source, { filename: job.filename, lineOffset: -1, ...cacheOptions(key) });
        remember(key, script);
      } catch (error) {
        // Detection guessed "script" but the source only parses as a module (e.g. top-level await).
        if (!job.formGiven && isModuleOnlySyntax(error)) return this.#execute({ ...job, form: 'module', formGiven: true });
        throw error;
      }
      control.applySync(undefined, ['prepare', job.paramsJson, job.contextJson]);
      await script.run(context).catch(thrownByGuest);
      return (await control.apply(undefined, ['run', 'script', job.maxResultBytes], runOptions)) as string;
    }

    const { functionModule, resolve } = job.modules ? this.#linkSet(job, job.modules) : this.#single(job);
    const entry = this.#entry!;
    const handoff = this.#handoff!;
    entry.instantiateSync(context, (specifier, referrer) => {
      if (referrer === entry && specifier === functionSpecifier) return functionModule;
      if (referrer === entry && specifier === handoffSpecifier) return handoff;
      const found = resolve(specifier, referrer);
      if (found) return found;
      throw new Error(`cannot resolve ${specifier}`);
    });
    control.applySync(undefined, ['prepare', job.paramsJson, job.contextJson, 'module']);
    const result = control.apply(undefined, ['run', 'module', job.maxResultBytes], runOptions) as Promise<string>;
    // A throw at the module's top level rejects evaluate(); the run never gets the namespace.
    const evaluation = entry.evaluate().then(() => new Promise<never>(() => {}), thrownByGuest);
    return Promise.race([result, evaluation]);
  }

  #compileModule(job: SandboxJob, filename: string, source: string): ivm.Module {
    const key = codeCacheKey('module', job.owner, filename, source);
    const compiled = this.#isolate.compileModuleSync(source, { filename, ...cacheOptions(key) });
    remember(key, compiled);
    return compiled;
  }

  /** A one-file function: it imports nothing. */
  #single(job: SandboxJob): Linked {
    const functionModule = this.#compileModule(job, job.filename, job.source);
    const imports = functionModule.dependencySpecifiers;
    if (imports.length > 0) {
      throw new ExecutionFailure(
        'VALIDATION_ERROR',
        `imports are not supported in a one-file function: ${imports.map((s) => JSON.stringify(s)).join(', ')}; bundle it with its packages (teejs bundle), or give its other modules as \`modules\``,
      );
    }
    return { functionModule, resolve: () => undefined };
  }

  /** A function of several modules: compiled here, its graph checked (module-set.ts), linked by path. */
  #linkSet(job: SandboxJob, set: NonNullable<SandboxJob['modules']>): Linked {
    const compiled = new Map<string, ivm.Module>();
    for (const [path, source] of set.sources) compiled.set(path, this.#compileModule(job, path, source));
    const graph = checkGraph(set, (path) => compiled.get(path)!.dependencySpecifiers);
    const pathOf = new Map<ivm.Module, string>([...compiled].map(([path, module]) => [module, path]));
    return {
      functionModule: compiled.get(set.entry)!,
      resolve: (specifier, referrer) => {
        const from = pathOf.get(referrer);
        const target = from === undefined ? undefined : graph.get(from)?.get(specifier);
        return target === undefined ? undefined : compiled.get(target);
      },
    };
  }
}

interface Linked {
  functionModule: ivm.Module;
  /** The module a function module's import names; undefined for anything else. */
  resolve: (specifier: string, referrer: ivm.Module) => ivm.Module | undefined;
}

// ---- helpers --------------------------------------------------------------------------------

const teardownGraceMs = 500;

/**
 * What a heap within its limit may still show at the end: the young generation (up to three
 * semi-spaces of 8 MB in executors, see guest-heap.ts) holds garbage V8 has not collected yet.
 */
const heapOvershootMb = 32;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

const moduleOnlySyntax = /Cannot use import statement|Unexpected token 'export'|await is only valid|import\.meta/;

function isModuleOnlySyntax(error: unknown): boolean {
  return error instanceof Error && error.name === 'SyntaxError' && moduleOnlySyntax.test(error.message);
}

function defaultCatastrophe(message: string): void {
  // isolated-vm's advice: V8 lost control of an isolate; nothing in this process can be trusted.
  process.stderr.write(`teejs: catastrophic isolate error: ${message}\n`);
  process.abort();
}

function unknownOperation(op: unknown): Reply {
  return { ok: false, name: 'TypeError', message: `unknown host operation ${String(op).slice(0, 64)}` };
}

function failureReply(error: unknown): Reply {
  if (error instanceof GuestError) {
    return { ok: false, name: error.guestName, message: error.message, ...(error.code ? { code: error.code } : {}) };
  }
  // An unexpected host failure: the guest learns only that something failed, never host details.
  process.emitWarning(`teejs: host capability failed: ${(error as Error)?.stack ?? String(error)}`);
  return { ok: false, name: 'Error', message: 'internal error in a host capability' };
}

function cpuMs(isolate: ivm.Isolate): number {
  try {
    return Number(isolate.cpuTime) / 1e6;
  } catch {
    return 0;
  }
}

/**
 * How long to wait for the isolate's heap figures. Long enough for a busy machine (50 ms gave 0
 * there, and 500 ms once, in the full suite beside other work, so that a string flattened past
 * the limit ended as a success), short enough that a guest holding the isolate (a spinning
 * FinalizationRegistry callback) delays its own result only a little. Usually they come in
 * well under a millisecond: the wait costs nothing then.
 */
const heapStatsWaitMs = 2000;

async function heapUsed(isolate: ivm.Isolate, pending: (request: Promise<unknown>) => void): Promise<number> {
  // Never take the isolate lock synchronously after the guest returned: a guest callback still
  // spinning could hold it. Ask asynchronously and give up after a short while. The request
  // itself is handed to `pending`: a process must not exit while isolated-vm still answers it.
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), heapStatsWaitMs);
  });
  try {
    const request = isolate.getHeapStatistics();
    pending(request.catch(() => {}));
    const stats = await Promise.race([request, gaveUp]);
    return stats ? stats.used_heap_size + stats.externally_allocated_size : 0;
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
  }
}

