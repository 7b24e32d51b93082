// Limits of one execution: defaults (as in the original system) and the bounds a caller's own
// choice must stay within.

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
  maxSourceBytes: 100_000,
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
});

export function resolveLimits(base: Partial<Limits> | undefined): Limits {
  return { ...defaultLimits, ...base };
}
