// Secret values a function logs, returns or puts in an error are replaced by [REDACTED] before
// the execution is stored or answered. This protects against accidents (a token logged while
// debugging), not against a function set on leaking: that one can always encode the value.
import type { ExecutionResult } from '../../core/index.ts';

export const redactedMarker = '[REDACTED]';

export type Redact = (text: string) => string;

/** A text filter for the given values, in their raw form and as they appear inside JSON text. */
export function redactor(values: readonly string[]): Redact {
  const needles = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    needles.add(value);
    needles.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first, so a value containing another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(redactedMarker);
    return out;
  };
}

/** A copy of a JSON value with every string (keys too) filtered; numbers that show a value become the marker. */
export function redactJson(value: unknown, redact: Redact): unknown {
  const root: { value: unknown } = { value };
  // Iterative: a result can be nested deeper than the host's stack.
  const work: Array<[Record<string, unknown> | unknown[], string | number]> = [[root, 'value']];
  while (work.length > 0) {
    const [holder, key] = work.pop()!;
    const current = (holder as Record<string | number, unknown>)[key];
    let next: unknown = current;
    if (typeof current === 'string') {
      next = redact(current);
    } else if (typeof current === 'number') {
      const text = String(current);
      if (redact(text) !== text) next = redactedMarker;
    } else if (Array.isArray(current)) {
      const copy = current.slice();
      for (let i = 0; i < copy.length; i++) work.push([copy, i]);
      next = copy;
    } else if (current !== null && typeof current === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [name, item] of Object.entries(current)) {
        const safeName = redact(name);
        // defineProperty: a key named __proto__ stays an ordinary key.
        Object.defineProperty(copy, safeName, { value: item, enumerable: true, writable: true, configurable: true });
        work.push([copy, safeName]);
      }
      next = copy;
    }
    (holder as Record<string | number, unknown>)[key] = next;
  }
  return root.value;
}

/** The result with secret values removed from its result, error, logs and network records. */
export function redactExecution(result: ExecutionResult, values: readonly string[]): ExecutionResult {
  const redact = redactor(values);
  if (values.length === 0) return result;
  return {
    ...result,
    result: redactJson(result.result, redact),
    error: result.error
      ? { ...result.error, message: redact(result.error.message), ...(result.error.stack !== undefined ? { stack: redact(result.error.stack) } : {}) }
      : null,
    logs: result.logs.map((entry) => ({ ...entry, message: redact(entry.message) })),
    network: result.network.map((record) => ({
      ...record,
      url: redact(record.url),
      ...(record.blocked !== undefined ? { blocked: redact(record.blocked) } : {}),
    })),
  };
}
