// Evaluates to `envelopes(primordials, makeError, codeOf, internalFilePrefix) => { result, error }`:
// how the runtime hands an execution's outcome to the host, as JSON text it parses
// (src/core/outcome.ts). Invariants:
// - the guest's error text (name, message, stack) is bounded before it is copied anywhere;
// - a stack keeps only the guest's own frames, never the runtime's internal files;
// - a result is JSON within the byte limit (counted in characters here, exactly on the host) and
//   nested no deeper than the host and what serializes after it can recurse.
(function envelopes(primordials, makeError, codeOf, internalFile) {
  'use strict';

  const {
    ArrayPrototypeFilter, ArrayPrototypeJoin, Error, JSONStringify, ObjectFreeze, String,
    StringPrototypeCharCodeAt, StringPrototypeIncludes, StringPrototypeSlice, StringPrototypeSplit,
  } = primordials;

  function describe(value) {
    try {
      if (value instanceof Error) return value;
    } catch {
      // A revoked Proxy throws on instanceof; fall through.
    }
    try {
      return makeError('Error', `Uncaught ${typeof value === 'string' ? value : describeValue(value)}`);
    } catch {
      return makeError('Error', 'Uncaught exception');
    }
  }

  function describeValue(value) {
    try {
      const json = JSONStringify(value);
      if (typeof json === 'string') return json;
    } catch {
      // fall through to String()
    }
    return String(value);
  }

  // Error text is the guest's to choose, so it is bounded like logs and results: a 50 MB message
  // copied into the stack, split, joined and wrapped again could exhaust the isolate's heap inside
  // V8 itself, which isolated-vm reports as a catastrophic error that takes the host down.
  const maxErrorChars = 16 * 1024;

  function bounded(text, max) {
    const string = String(text);
    if (string.length <= max) return string;
    return `${StringPrototypeSlice(string, 0, max)}... [truncated: ${string.length - max} more characters]`;
  }

  // Only the guest's own frames: internal runtime frames say nothing useful to the user.
  function guestStack(stack) {
    const lines = StringPrototypeSplit(bounded(stack, 2 * maxErrorChars), '\n');
    const kept = ArrayPrototypeFilter(lines, (line) => !StringPrototypeIncludes(line, internalFile));
    return ArrayPrototypeJoin(kept, '\n');
  }

  function serializeError(raw) {
    const error = describe(raw);
    const envelope = { ok: false, name: 'Error', message: '', stack: '', code: undefined };
    try {
      envelope.code = codeOf(error);
      envelope.name = bounded(error.name, 256);
      envelope.message = bounded(error.message, maxErrorChars);
      envelope.stack = guestStack(error.stack);
    } catch {
      // An error object with throwing getters: report what we have.
    }
    return JSONStringify(envelope);
  }

  // Deeper results are refused: the host, and whatever serializes the result after it (an HTTP
  // reply, a log line, a database), recurses once per level on a stack far smaller than the
  // isolate's, and a few thousand levels would overflow it there.
  const maxResultDepth = 256;

  function nestedTooDeep(json) {
    // A JSON text needs two characters per level: short ones cannot be too deep.
    if (json.length < 2 * maxResultDepth) return false;
    let depth = 0;
    let inString = false;
    for (let i = 0; i < json.length; i++) {
      const c = StringPrototypeCharCodeAt(json, i);
      if (inString) {
        if (c === 0x5c) i++; // a backslash escapes the next character
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) {
        inString = true;
      } else if (c === 0x5b || c === 0x7b) {
        if (++depth > maxResultDepth) return true;
      } else if (c === 0x5d || c === 0x7d) {
        depth--;
      }
    }
    return false;
  }

  function serializeResult(value, limit) {
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
      throw makeError('TypeError', `the function returned a ${typeof value}, which is not JSON-serialisable`, 'RUNTIME_ERROR');
    }
    const json = value === undefined ? 'null' : JSONStringify(value);
    const text = json === undefined ? 'null' : json;
    // Characters, a lower bound of the UTF-8 bytes the host counts exactly.
    if (text.length > limit) {
      throw makeError('RangeError', `result is ${text.length} bytes of JSON, over the limit of ${limit}`, 'RESULT_TOO_LARGE');
    }
    if (nestedTooDeep(text)) {
      throw makeError('RangeError', `result is nested deeper than the limit of ${maxResultDepth} levels`, 'RESULT_TOO_LARGE');
    }
    return JSONStringify({ ok: true, json: text });
  }

  return ObjectFreeze({ result: serializeResult, error: serializeError });
});
