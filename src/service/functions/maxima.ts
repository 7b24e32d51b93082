// The operator's maxima for a function's limits (--max-timeout, --max-memory): one judge for
// saving a function, activating a recorded version, and running a version named by a run, so
// that a version saved under looser maxima never gets them back. Returns the limit over them.
import type { ServiceConfig } from '../config.ts';

export function overOperatorMaxima(
  code: { timeoutMs: number; memoryMb: number },
  limits: ServiceConfig['limits'],
): { field: 'timeoutMs' | 'memoryMb'; max: number } | null {
  if (code.timeoutMs > limits.maxTimeoutMs) return { field: 'timeoutMs', max: limits.maxTimeoutMs };
  if (code.memoryMb > limits.maxMemoryMb) return { field: 'memoryMb', max: limits.maxMemoryMb };
  return null;
}
