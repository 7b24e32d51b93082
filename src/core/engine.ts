// The isolation core's entry point: Engine.execute runs one function once, in a fresh,
// hardened isolate, and always answers with an ExecutionResult (it never throws for anything
// the function or its caller got wrong).
import { randomUUID } from 'node:crypto';
import { processSigningKey, type SigningKey } from '../attestation/keys.ts';
import { signResult } from '../attestation/receipt.ts';
import { orderCapabilities, type Capability, type ExecutionScope, type LogSink } from './capability.ts';
import { consoleCapability } from './ext/console/index.ts';
import { cryptoCapability } from './ext/crypto/index.ts';
import { determinismCapability } from './ext/determinism/index.ts';
import { encodingCapability } from './ext/encoding/index.ts';
import { fetchCapability } from './ext/fetch/index.ts';
import { parseFunctionNetwork, type HostPattern, type NetworkOptions } from './ext/fetch/policy.ts';
import { secretsCapability } from './ext/secrets/index.ts';
import { InMemorySecretStore, type SecretStore } from './ext/secrets/store.ts';
import { subtleCapability } from './ext/subtle/index.ts';
import { timersCapability } from './ext/timers/index.ts';
import { urlCapability } from './ext/url/index.ts';
import { webCapability } from './ext/web/index.ts';
import { ExecutionFailure } from './failure.ts';
import { checkLimit, LimitError, resolveLimits, type LimitName, type Limits } from './limits.ts';
import { encodeParams } from './params.ts';
import { WarmPool, type SandboxSource, type WarmPoolStats } from './warm-pool.ts';
import { Sandbox, type SandboxJob } from './sandbox.ts';
import { checkedEnv } from './env.ts';
import { moduleSetOf } from './module-set.ts';
import { detectForm, detectLanguage, displayFilename, stripTypes } from './source.ts';
import type { ExecutionError, ExecutionObserver, ExecutionRequest, ExecutionResult, LogEntry } from './types.ts';

export interface EngineOptions {
  /** Secret values for secrets.get; an empty in-memory store by default. */
  secrets?: SecretStore;
  /** Defaults for every execution (a request may choose its own timeout and memory). */
  limits?: Partial<Limits>;
  /** Capabilities beyond the built-in ones (console, secrets, crypto, timers, web, fetch...). */
  capabilities?: readonly Capability[];
  /** The operator's network policy for fetch; by default no host is allowed. */
  network?: NetworkOptions;
  /**
   * Keep sandboxes bootstrapped ahead of demand: `size` ready ones at least, up to `max` under
   * load. Without it, each execution creates its sandbox when it starts.
   */
  pool?: { size: number; max?: number; foregroundWhenIdle?: boolean };
  /**
   * The key that signs each result's receipt: this process's own fresh key by default; null
   * for none (an executor process, whose host signs what it answers).
   */
  signingKey?: SigningKey | null;
}

export class Engine {
  readonly limits: Readonly<Limits>;
  readonly capabilities: readonly Capability[];
  readonly #sandboxes: SandboxSource;
  readonly #pool: WarmPool | null;
  readonly #signingKey: SigningKey | null;
  readonly #unwinding = new Set<Promise<void>>();
  #running = 0;

  constructor(options: EngineOptions = {}) {
    this.limits = Object.freeze(resolveLimits(options.limits));
    this.#signingKey = options.signingKey === undefined ? processSigningKey() : options.signingKey;
    // Installed in this order, except where a capability's `after` asks for a later place.
    // Determinism leads: its Math.random and Date wrappers are what the others capture.
    this.capabilities = Object.freeze(
      orderCapabilities([
        determinismCapability,
        consoleCapability,
        secretsCapability(options.secrets ?? new InMemorySecretStore()),
        cryptoCapability,
        timersCapability,
        webCapability,
        encodingCapability,
        urlCapability,
        fetchCapability(options.network),
        subtleCapability,
        ...(options.capabilities ?? []),
      ]),
    );
    this.#pool = options.pool
      ? new WarmPool(this.capabilities, {
          memoryMb: this.limits.memoryMb,
          min: options.pool.size,
          max: options.pool.max ?? Math.max(options.pool.size * 2, options.pool.size + 2),
          busy: () => this.#running > 0,
          foregroundWhenIdle: options.pool.foregroundWhenIdle === true,
        })
      : null;
    this.#sandboxes = this.#pool ?? { acquire: (memoryMb) => Sandbox.create({ memoryMb, capabilities: this.capabilities }) };
  }

  /** The warm pool's counters, or null without a pool. */
  poolStats(): WarmPoolStats | null {
    return this.#pool?.stats() ?? null;
  }

  /**
   * Resolves once the warm pool is back at its target after executions used it up (at once
   * without a pool, or when it is): an executor process tells its host then.
   */
  poolFull(): Promise<void> {
    return this.#pool?.full() ?? Promise.resolve();
  }

  /** Resolves once the warm pool holds its target size (no-op without a pool). */
  async warm(): Promise<void> {
    await this.#pool?.warm();
  }

  /** `observer` hears each console line as it is kept (live logs); it must not throw. */
  async execute(given: ExecutionRequest, observer?: ExecutionObserver): Promise<ExecutionResult> {
    const started = performance.now();
    let startedAt = new Date();
    // Read once, up front: a getter on the caller's object must not show one value to the checks
    // and another to the run.
    let request: ExecutionRequest;
    let unreadable: ExecutionError | null = null;
    try {
      request = snapshotRequest(given);
    } catch (error) {
      request = { source: '' };
      unreadable = { code: 'VALIDATION_ERROR', message: `the request could not be read: ${(error as Error)?.message ?? String(error)}` };
    }
    // A deterministic execution may be given its clock's start (a replay of a receipt's).
    if (request.deterministic === true && typeof request.startedAt === 'string' && Number.isFinite(Date.parse(request.startedAt))) {
      startedAt = new Date(request.startedAt);
    }
    const executionId = request.executionId ?? randomUUID();
    const functionId = String(request.functionId ?? 'anonymous');
    const userId = String(request.userId ?? 'anonymous');
    const logs = new BoundedLog(this.limits.maxLogEntries, this.limits.maxLogBytes, observer?.onLog);
    const base = { executionId, functionId, userId, startedAt: startedAt.toISOString() };
    const scopeParts = { logs, network: [], secretsRead: new Set<string>() };

    const signingKey = this.#signingKey;
    // The params as checked and copied for the guest: the receipt hashes these, never the
    // caller's object (whose getters or traps must not run here).
    let paramsJson: string | null = null;
    let paramsError: unknown = null;
    if (!unreadable) {
      try {
        paramsJson = encodeParams(request.params, this.limits.maxParamsBytes, this.limits.maxParamsDepth);
      } catch (error) {
        paramsError = error;
      }
    }
    const finish = (
      outcome: { ok: true; result: unknown } | { ok: false; error: ExecutionError },
      cpuTimeMs = 0,
      memoryUsedBytes = 0,
    ): ExecutionResult => {
      const result: ExecutionResult = {
        ...base,
        status: outcome.ok ? 'success' : 'error',
        result: outcome.ok ? outcome.result : null,
        error: outcome.ok ? null : outcome.error,
        logs: logs.entries(),
        network: scopeParts.network,
        secretsRead: [...scopeParts.secretsRead],
        finishedAt: new Date().toISOString(),
        durationMs: round(performance.now() - started),
        cpuTimeMs: round(cpuTimeMs),
        memoryUsedBytes,
      };
      if (!signingKey) return result;
      const limits = { timeoutMs: request.timeoutMs ?? this.limits.timeoutMs, memoryMb: request.memoryMb ?? this.limits.memoryMb };
      return signResult(result, { source: request.source, modules: request.modules, entry: request.entry, paramsJson, limits, deterministic: request.deterministic === true }, signingKey);
    };

    if (unreadable) return finish({ ok: false, error: unreadable });
    let job: SandboxJob;
    let functionHosts: HostPattern[] | null;
    try {
      ({ job, functionHosts } = this.#prepare(request, executionId, functionId, userId, startedAt, { json: paramsJson, error: paramsError }));
    } catch (error) {
      return finish({ ok: false, error: asExecutionError(error) });
    }

    let sandbox: Sandbox;
    try {
      sandbox = await this.#sandboxes.acquire(job.memoryMb);
    } catch (error) {
      process.emitWarning(`teejs: could not create a sandbox: ${(error as Error)?.stack ?? String(error)}`);
      return finish({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'could not create a sandbox' } });
    }

    const abort = new AbortController();
    const scope: ExecutionScope = {
      executionId,
      functionId,
      userId,
      deadline: Date.now() + job.timeoutMs,
      maxTimers: this.limits.maxTimers,
      allowedSecrets: request.allowedSecrets ? new Set(request.allowedSecrets) : null,
      networkAllowHosts: functionHosts,
      signal: abort.signal,
      deterministic: request.deterministic === true ? { startTime: startedAt.getTime() } : null,
      ...scopeParts,
    };
    this.#running++;
    try {
      const outcome = await sandbox.run(job, scope, abort).finally(() => {
        this.#track(sandbox.settled);
        if (--this.#running === 0) this.#pool?.idle();
      });
      if (outcome.ok) return finish({ ok: true, result: JSON.parse(outcome.json) }, outcome.cpuTimeMs, outcome.memoryUsedBytes);
      return finish({ ok: false, error: outcome.error }, outcome.cpuTimeMs, outcome.memoryUsedBytes);
    } catch (error) {
      sandbox.dispose();
      process.emitWarning(`teejs: execution failed inside the engine: ${(error as Error)?.stack ?? String(error)}`);
      return finish({ ok: false, error: { code: 'INTERNAL_ERROR', message: 'the execution failed inside the runtime' } });
    }
  }

  /** Executor interface: the in-process engine holds no processes, only unwinding isolates. */
  async close(): Promise<void> {
    this.#pool?.close();
    await this.drain();
  }

  /**
   * Waits (at most `maxMs`) until every isolate this engine stopped has finished unwinding.
   * Call it before the process exits.
   */
  async drain(maxMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
    });
    await Promise.race([Promise.all(this.#unwinding), cap]);
    clearTimeout(timer);
  }

  #track(settled: Promise<void>): void {
    this.#unwinding.add(settled);
    void settled.then(() => this.#unwinding.delete(settled));
  }

  /** `params`: encodeParams' answer for the request's params, made once (the receipt hashes it too). */
  #prepare(request: ExecutionRequest, executionId: string, functionId: string, userId: string, startedAt: Date, params: { json: string | null; error: unknown }): { job: SandboxJob; functionHosts: HostPattern[] | null } {
    const limits = this.limits;
    if (typeof request.source !== 'string') throw new ExecutionFailure('VALIDATION_ERROR', 'source must be a string');
    const set = moduleSetOf(request.source, request.modules, request.entry, limits.maxSourceBytes);
    const sourceBytes = Buffer.byteLength(request.source, 'utf8');
    if (set === null && sourceBytes > limits.maxSourceBytes) {
      throw new ExecutionFailure('VALIDATION_ERROR', `source is ${sourceBytes} bytes, over the limit of ${limits.maxSourceBytes}`);
    }
    if (request.deterministic !== undefined && typeof request.deterministic !== 'boolean') throw new ExecutionFailure('VALIDATION_ERROR', 'deterministic must be a boolean');
    if (request.startedAt !== undefined) {
      if (request.deterministic !== true) throw new ExecutionFailure('VALIDATION_ERROR', 'startedAt may be given only for a deterministic execution');
      if (typeof request.startedAt !== 'string' || !Number.isFinite(Date.parse(request.startedAt))) throw new ExecutionFailure('VALIDATION_ERROR', 'startedAt must be an ISO 8601 date');
    }
    let functionHosts: HostPattern[] | null;
    try {
      functionHosts = parseFunctionNetwork(request.network);
    } catch (error) {
      throw new ExecutionFailure('VALIDATION_ERROR', (error as Error).message);
    }
    const timeoutMs = checkedLimit('timeoutMs', request.timeoutMs ?? limits.timeoutMs);
    const memoryMb = checkedLimit('memoryMb', request.memoryMb ?? limits.memoryMb);
    const language = detectLanguage(request.filename ?? set?.entry, request.language);
    if (set !== null && request.form === 'script') throw new ExecutionFailure('VALIDATION_ERROR', 'a function with modules is an ES module: form must be "module"');
    const form = set !== null ? 'module' : (request.form ?? detectForm(request.source, request.filename, language));
    const filename = set !== null ? set.entry : displayFilename(request.filename, form, language);
    const source = language === 'typescript' ? stripTypes(request.source, filename) : request.source;
    // Each other module is TypeScript when its path says so (.ts, .mts).
    const modules = set === null ? undefined : {
      entry: set.entry,
      sources: new Map([...set.sources].map(([path, text]) => [path, path === set.entry ? source : /\.m?ts$/.test(path) ? stripTypes(text, path) : text])),
    };
    const env = checkedEnv(request.env);
    const context = { functionId, userId, executionId, startTime: startedAt.getTime(), env };
    if (params.json === null) throw params.error;
    const job: SandboxJob = {
      source,
      modules,
      owner: userId,
      form,
      formGiven: request.form !== undefined,
      filename,
      paramsJson: params.json,
      contextJson: JSON.stringify(context),
      timeoutMs,
      memoryMb,
      maxResultBytes: limits.maxResultBytes,
    };
    return { job, functionHosts };
  }
}

/** A plain copy of the request, each field read exactly once. */
function snapshotRequest(request: ExecutionRequest): ExecutionRequest {
  if (request === null || typeof request !== 'object') throw new TypeError('the request must be an object');
  const { source, modules, entry, env, functionId, userId, params, filename, form, language, timeoutMs, memoryMb, allowedSecrets, executionId, network, deterministic, startedAt } =
    request;
  return {
    source,
    // Copied once: a getter or proxy in the caller's object cannot change what is judged and run.
    modules: modules === undefined || modules === null ? undefined : copyStrings(modules),
    entry,
    // Copied as plain data the same way: what is checked is what the guest gets.
    env: env === undefined || env === null ? undefined : copyStrings(env),
    functionId,
    userId,
    params,
    filename,
    form,
    language,
    timeoutMs,
    memoryMb,
    executionId,
    allowedSecrets: allowedSecrets == null ? null : Array.from(allowedSecrets, (name) => String(name)),
    network: network === undefined ? undefined : structuredClone(network),
    ...(deterministic === undefined ? {} : { deterministic }),
    ...(startedAt === undefined ? {} : { startedAt }),
  };
}

function copyStrings(modules: unknown): Record<string, string> {
  if (typeof modules !== 'object' || modules === null || Array.isArray(modules)) return modules as never;
  const copy: Record<string, string> = {};
  for (const [path, text] of Object.entries(modules)) Object.defineProperty(copy, path, { value: text, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** limits.ts judges (as for the CLI and the service); here a refusal is a VALIDATION_ERROR result. */
function checkedLimit(name: LimitName, value: unknown): number {
  try {
    return checkLimit(name, value);
  } catch (error) {
    if (error instanceof LimitError) throw new ExecutionFailure('VALIDATION_ERROR', error.message);
    throw error;
  }
}

function asExecutionError(error: unknown): ExecutionError {
  if (error instanceof ExecutionFailure) return error.toExecutionError();
  process.emitWarning(`teejs: unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  return { code: 'INTERNAL_ERROR', message: 'unexpected failure while preparing the execution' };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Console output of one execution, bounded in entries and bytes, with a visible marker. */
export class BoundedLog implements LogSink {
  readonly #entries: LogEntry[] = [];
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #onLog: ((entry: LogEntry, index: number) => void) | undefined;
  #bytes = 0;
  #dropped = 0;

  constructor(maxEntries: number, maxBytes: number, onLog?: (entry: LogEntry, index: number) => void) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#onLog = onLog;
  }

  write(level: LogEntry['level'], message: string): void {
    const bytes = Buffer.byteLength(message, 'utf8');
    if (this.#dropped > 0 || this.#entries.length >= this.#maxEntries || this.#bytes + bytes > this.#maxBytes) {
      this.#dropped++;
      return;
    }
    this.#bytes += bytes;
    const entry: LogEntry = { level, message, time: Date.now() };
    this.#entries.push(entry);
    if (this.#onLog) {
      try {
        this.#onLog({ ...entry }, this.#entries.length - 1);
      } catch (error) {
        // A listener's failure is the host's own bug: it never reaches the guest.
        process.emitWarning(`teejs: a log listener failed: ${(error as Error)?.stack ?? String(error)}`);
      }
    }
  }

  entries(): LogEntry[] {
    if (this.#dropped === 0) return [...this.#entries];
    const marker: LogEntry = {
      level: 'warn',
      message: `[teejs: console output truncated: ${this.#dropped} more entries dropped (limits: ${this.#maxEntries} entries, ${this.#maxBytes} bytes)]`,
      time: Date.now(),
    };
    return [...this.#entries, marker];
  }
}
