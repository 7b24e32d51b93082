// Limits of one execution: defaults (as in the original system) and the bounds a caller's own
// choice must stay within. checkLimit is the one judge of a timeout or memory size: the engine,
// the CLI and the service all call it, so a value is refused everywhere or nowhere, with the
// same words. A limit that passes it is safe to hand to setTimeout and to isolated-vm (no
// TimeoutOverflowWarning, no isolate refused for being too small).

export interface Limits {
  timeoutMs: number;
  memoryMb: number;
  maxSourceBytes: number;
  maxParamsBytes: number;
  maxParamsDepth: number;
  maxResultBytes: number;
  maxLogEntries: number;
  maxLogBytes: number;
  maxTimers: number;
}

export const defaultLimits: Readonly<Limits> = Object.freeze({
  timeoutMs: 30_000,
  memoryMb: 128,
  // Real bundles: zod 455 KB, cheerio 383 KB, ethers 211 KB (esbuild, minified or not).
  maxSourceBytes: 1024 * 1024,
  maxParamsBytes: 1024 * 1024,
  maxParamsDepth: 64,
  maxResultBytes: 1024 * 1024,
  maxLogEntries: 1000,
  maxLogBytes: 1024 * 1024,
  maxTimers: 1000,
});

/** The range a per-execution timeout or memory limit may take. */
export const limitBounds = Object.freeze({
  timeoutMs: { min: 1, max: 15 * 60_000 },
  // isolated-vm refuses less than 8 MB.
  memoryMb: { min: 8, max: 4096 },
  maxSourceBytes: { min: 1024, max: 16 * 1024 * 1024 },
});

export type LimitName = keyof typeof limitBounds;

const limitWords: Record<LimitName, { what: string; unit: string }> = {
  timeoutMs: { what: 'the time limit', unit: 'milliseconds' },
  memoryMb: { what: 'the memory limit', unit: 'megabytes' },
  maxSourceBytes: { what: 'the source size limit', unit: 'bytes' },
};

/** A timeout, memory size or source size limit out of limitBounds (or not a whole number). */
export class LimitError extends Error {
  readonly limit: LimitName;
  constructor(limit: LimitName, message: string) {
    super(message);
    this.name = 'LimitError';
    this.limit = limit;
  }
}

/**
 * Returns `value` when it is a whole number within limitBounds[name]; throws a LimitError
 * otherwise. `field` is how the caller's input names it (`timeoutMs`, `--timeout`,
 * `body/timeoutMs`); the message names it in plain words too, e.g. "the time limit (--timeout)
 * must be a whole number of milliseconds from 1 to 900000, got 0".
 */
export function checkLimit(name: LimitName, value: unknown, field: string = name): number {
  const { min, max } = limitBounds[name];
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const { what, unit } = limitWords[name];
  throw new LimitError(name, `${what} (${field}) must be a whole number of ${unit} from ${min} to ${max}, got ${shown(value)}`);
}

/** The refused value as the caller wrote it, short and on one line. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null || ['number', 'boolean', 'bigint', 'undefined'].includes(typeof value)) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function resolveLimits(base: Partial<Limits> | undefined): Limits {
  return { ...defaultLimits, ...base };
}
