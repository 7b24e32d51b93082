import { ExecutionFailure } from './failure.ts';

/**
 * Checks that params are JSON-like data (plain objects, arrays, strings, finite numbers,
 * booleans, null) within the depth and size bounds, and returns their JSON text. The guest gets
 * a fresh copy parsed from that text inside its own isolate, so keys such as `__proto__` stay
 * ordinary data and nothing of the caller's objects is shared.
 */
export function encodeParams(params: unknown, maxBytes: number, maxDepth: number): string {
  const value = params === undefined ? {} : params;
  checkShape(value, maxDepth, maxBytes);
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) {
    throw new ExecutionFailure('VALIDATION_ERROR', `params are ${bytes} bytes of JSON, over the limit of ${maxBytes}`);
  }
  return json;
}

/** Parses params given as JSON text (CLI, HTTP) with the same bounds. */
export function decodeParamsJson(text: string, maxBytes: number, maxDepth: number): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new ExecutionFailure('VALIDATION_ERROR', `params are ${bytes} bytes of JSON, over the limit of ${maxBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExecutionFailure('VALIDATION_ERROR', `params are not valid JSON: ${(error as Error).message}`);
  }
  checkShape(value, maxDepth, maxBytes);
  return value;
}

function checkShape(root: unknown, maxDepth: number, maxBytes: number): void {
  // Iterative walk: a hostile, very deep value must not overflow the host's stack. A cycle is
  // reported by the depth bound, a huge shared sub-tree by the size bound.
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value: root, depth: 0, path: 'params' }];
  let budget = maxBytes;
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    budget -= 1;
    if (value === null || typeof value === 'boolean') continue;
    if (typeof value === 'string') {
      budget -= value.length;
      if (budget < 0) throw tooLarge(maxBytes);
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw invalid(path, `${value} is not a JSON number`);
      continue;
    }
    if (typeof value !== 'object') throw invalid(path, `a ${typeof value} is not JSON data`);
    if (depth >= maxDepth) {
      throw new ExecutionFailure('VALIDATION_ERROR', `params are nested deeper than the limit of ${maxDepth} at ${path}`);
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], depth: depth + 1, path: `${path}[${i}]` });
      continue;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(path, 'only plain objects, arrays, strings, numbers, booleans and null are allowed');
    }
    for (const key of Object.keys(value)) {
      budget -= key.length;
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, path: `${path}.${key}` });
    }
    if (budget < 0) throw tooLarge(maxBytes);
  }
}

function invalid(path: string, why: string): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', `params are not JSON data at ${path}: ${why}`);
}

function tooLarge(maxBytes: number): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', `params are over the size limit of ${maxBytes} bytes`);
}
