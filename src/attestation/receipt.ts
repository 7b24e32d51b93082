// Execution receipts: claims about one execution (which code, which inputs, what it answered,
// under which limits, on which runtime) and an Ed25519 signature over JCS(claims).
//
// Invariants:
// - The signature covers exactly the UTF-8 bytes of JCS(claims); publicKey and keyId are not
//   signed but are derived (keyId = sha256(raw public key)), and verify.ts checks both.
// - Claims hash what the caller was answered: result, error code, logs and network of the
//   result passed in (the service passes the redacted one), never a value from before.
// - sourceSha256 is over the source text exactly as given (UTF-8), before type stripping;
//   paramsSha256 over JCS(params), with absent params hashed as {} (what the function got).
//   Either is null only when the input was not a string / not JSON data (the execution then
//   ended in VALIDATION_ERROR).
// - A caller's params object is never read here (no getter, toJSON or Proxy trap of it may
//   run on the host): producers pass `paramsJson`, the checked JSON text the function got
//   (core/params.ts), or params that are already plain parsed JSON (the service's stored ones).
// - Signing never throws for anything a guest produced (see hash.ts for lone surrogates).
import type { ExecutionResult } from '../core/types.ts';
import { jcs, jcsSha256, sha256Hex } from './hash.ts';
import type { SigningKey } from './keys.ts';
import { runtimeInfo, type RuntimeInfo } from './measurement.ts';

export interface ReceiptClaims {
  executionId: string;
  functionId: string;
  /** The stored function's version (service); null where there is none (CLI, library). */
  functionVersion: number | null;
  userId: string;
  sourceSha256: string | null;
  paramsSha256: string | null;
  status: 'success' | 'error';
  resultSha256: string;
  errorCode: string | null;
  logsSha256: string;
  networkSha256: string;
  startedAt: string;
  finishedAt: string;
  limits: { timeoutMs: number | null; memoryMb: number | null };
  runtime: RuntimeInfo;
  /** Whether it ran deterministically, so that `teejs verify --replay` can re-run it. */
  deterministic: boolean;
}

export interface Receipt {
  alg: 'Ed25519';
  /** base64url of the 32 raw public-key bytes. */
  publicKey: string;
  /** Hex SHA-256 of the 32 raw public-key bytes. */
  keyId: string;
  claims: ReceiptClaims;
  /** base64url Ed25519 signature over the UTF-8 bytes of JCS(claims). */
  signature: string;
}

/** What the result itself does not say but the receipt names. */
export interface ReceiptInputs {
  source: unknown;
  /** A function of several modules: the others by path, and the entry's path (see sourceSha256Of). */
  modules?: unknown;
  entry?: unknown;
  /** Plain JSON data (parsed, never a caller's own object); ignored when paramsJson is given. */
  params?: unknown;
  /** The params' checked JSON text as the function got it; null when they were refused. */
  paramsJson?: string | null;
  functionVersion?: number | null;
  limits: { timeoutMs: unknown; memoryMb: unknown };
  deterministic?: boolean;
}

/**
 * The hash a receipt names for a function's code: of its source text (UTF-8) for a one-file
 * function; for a function of several modules, of the RFC 8785 canonical JSON of
 * `{ "entry": path, "modules": { path: source, … } }` with the entry's own source among the
 * modules, so that every module that could run is bound by the receipt.
 */
export function sourceSha256Of(source: unknown, modules?: unknown, entry?: unknown): string | null {
  if (typeof source !== 'string') return null;
  if (modules === undefined || modules === null) return sha256Hex(source);
  if (typeof modules !== 'object') return null;
  const entryPath = typeof entry === 'string' ? entry : 'main.js';
  try {
    return jcsSha256({ entry: entryPath, modules: { ...(modules as Record<string, unknown>), [entryPath]: source } });
  } catch {
    return null;
  }
}

/** The result as answered: the fields a receipt's claims are checked against. */
export type AnsweredResult = Pick<ExecutionResult, 'executionId' | 'functionId' | 'userId' | 'status' | 'result' | 'error' | 'logs' | 'network' | 'startedAt' | 'finishedAt'>;

export function claimsOf(result: AnsweredResult, inputs: ReceiptInputs, runtime: RuntimeInfo = runtimeInfo()): ReceiptClaims {
  return {
    executionId: result.executionId,
    functionId: result.functionId,
    functionVersion: inputs.functionVersion ?? null,
    userId: result.userId,
    sourceSha256: sourceSha256Of(inputs.source, inputs.modules, inputs.entry),
    paramsSha256: inputs.paramsJson !== undefined ? (inputs.paramsJson === null ? null : paramsSha256(JSON.parse(inputs.paramsJson))) : paramsSha256(inputs.params),
    status: result.status,
    resultSha256: jcsSha256(result.result ?? null),
    errorCode: result.error?.code ?? null,
    logsSha256: jcsSha256(result.logs),
    networkSha256: jcsSha256(result.network),
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    limits: { timeoutMs: wholeOrNull(inputs.limits.timeoutMs), memoryMb: wholeOrNull(inputs.limits.memoryMb) },
    runtime: { name: runtime.name, version: runtime.version, measurement: runtime.measurement },
    deterministic: inputs.deterministic === true,
  };
}

/** The hash a receipt names for these params, or null when they are not JSON data. */
export function paramsSha256(params: unknown): string | null {
  try {
    return jcsSha256(params === undefined ? {} : params);
  } catch {
    return null;
  }
}

export function signClaims(claims: ReceiptClaims, key: SigningKey): Receipt {
  const signature = key.sign(Buffer.from(jcs(claims), 'utf8')).toString('base64url');
  return { alg: 'Ed25519', publicKey: key.publicKey, keyId: key.keyId, claims, signature };
}

/** The result with its receipt (any receipt it had is replaced). */
export function signResult<T extends AnsweredResult>(result: T, inputs: ReceiptInputs, key: SigningKey, runtime?: RuntimeInfo): T & { receipt: Receipt } {
  const { receipt: _old, ...rest } = result as T & { receipt?: unknown };
  return { ...(rest as T), receipt: signClaims(claimsOf(result, inputs, runtime), key) };
}

function wholeOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
