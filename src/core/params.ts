import { types } from 'node:util';
import { ExecutionFailure } from './failure.ts';

/**
 * Checks that params are JSON-like data (plain objects, arrays, strings, finite numbers,
 * booleans, null) within the depth and size bounds, and returns their JSON text. The guest gets
 * a fresh copy parsed from that text inside its own isolate, so keys such as `__proto__` stay
 * ordinary data and nothing of the caller's objects is shared.
 *
 * The check and the JSON text are one pass that reads every property exactly once, through its
 * descriptor: a caller's value cannot look small while checked and turn big or deep when copied
 * (getters, `toJSON`, Proxy traps), and no code of the caller's value ever runs here.
 */
export function encodeParams(params: unknown, maxBytes: number, maxDepth: number): string {
  return writeJson(params === undefined ? {} : params, maxBytes, maxDepth);
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
  writeJson(value, maxBytes, maxDepth);
  return value;
}

/** A container being written: its entries are read one at a time, as they are written. */
interface Frame {
  readonly container: object;
  readonly keys: readonly string[] | null;
  readonly length: number;
  readonly depth: number;
  readonly path: string;
  index: number;
  written: number;
}

function writeJson(root: unknown, maxBytes: number, maxDepth: number): string {
  const out: string[] = [];
  let bytes = 0;
  const emit = (text: string): void => {
    bytes += Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) throw tooLarge(maxBytes);
    out.push(text);
  };
  // Iterative: a hostile, very deep value must not overflow the host's stack. A cycle ends at the
  // depth bound; a huge shared sub-tree at the size bound (every step writes at least a byte).
  const stack: Frame[] = [];

  const writeValue = (value: unknown, depth: number, path: string): void => {
    switch (typeof value) {
      case 'string':
        // Each character is at least one byte: refuse a huge string before copying it.
        if (value.length > maxBytes - bytes) throw tooLarge(maxBytes);
        emit(JSON.stringify(value));
        return;
      case 'number':
        if (!Number.isFinite(value)) throw invalid(path, `${value} is not a JSON number`);
        emit(JSON.stringify(value));
        return;
      case 'boolean':
        emit(value ? 'true' : 'false');
        return;
      case 'object':
        if (value === null) {
          emit('null');
          return;
        }
        break;
      default:
        throw invalid(path, `a ${typeof value} is not JSON data`);
    }
    if (types.isProxy(value)) throw invalid(path, 'a Proxy is not JSON data');
    if (depth >= maxDepth) {
      throw new ExecutionFailure('VALIDATION_ERROR', `params are nested deeper than the limit of ${maxDepth} at ${path}`);
    }
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      if (proto !== Array.prototype) throw invalid(path, 'only plain arrays are allowed');
      // Every element takes at least two bytes ("0,"): refuse a huge or sparse array up front.
      if (value.length * 2 > maxBytes - bytes) throw tooLarge(maxBytes);
      emit('[');
      stack.push({ container: value, keys: null, length: value.length, depth, path, index: 0, written: 0 });
      return;
    }
    if (proto !== Object.prototype && proto !== null) {
      throw invalid(path, 'only plain objects, arrays, strings, numbers, booleans and null are allowed');
    }
    const keys = Object.keys(value);
    // Every entry takes at least four bytes ('"":0').
    if (keys.length * 4 > maxBytes - bytes) throw tooLarge(maxBytes);
    emit('{');
    stack.push({ container: value, keys, length: keys.length, depth, path, index: 0, written: 0 });
  };

  writeValue(root, 0, 'params');
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index === frame.length) {
      emit(frame.keys ? '}' : ']');
      stack.pop();
      continue;
    }
    const index = frame.index++;
    const key = frame.keys ? frame.keys[index]! : String(index);
    const childPath = frame.keys ? `${frame.path}.${key.slice(0, 64)}` : `${frame.path}[${index}]`;
    const descriptor = Object.getOwnPropertyDescriptor(frame.container, key);
    if (descriptor && !('value' in descriptor)) throw invalid(childPath, 'a getter or setter is not JSON data');
    const value: unknown = descriptor?.value;
    // As in JSON: an object member whose value is undefined is left out; a hole in an array or an
    // undefined element becomes null.
    if (frame.keys && value === undefined) continue;
    if (frame.written++ > 0) emit(',');
    if (frame.keys) emit(`${JSON.stringify(key)}:`);
    if (value === undefined) emit('null');
    else writeValue(value, frame.depth + 1, childPath);
  }
  return out.join('');
}

function invalid(path: string, why: string): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', `params are not JSON data at ${path}: ${why}`);
}

function tooLarge(maxBytes: number): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', `params are over the size limit of ${maxBytes} bytes`);
}
