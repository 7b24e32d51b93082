// Guest side of `console`: formats arguments into one string inside the isolate (so no guest
// object ever crosses) and hands it to the host, which bounds and records it.
(function installConsole(global, runtime, expose, limits) {
  'use strict';

  const {
    ArrayIsArray, ArrayPrototypeJoin, ArrayPrototypePush, ArrayPrototypeSlice, Error, JSONStringify,
    ObjectGetPrototypeOf, ObjectKeys, ObjectPrototype, ReflectApply, Set, SetPrototypeAdd,
    SetPrototypeDelete, SetPrototypeHas, String, StringPrototypeSlice,
  } = runtime.primordials;
  const functionToStringTag = (value) => ReflectApply(ObjectPrototype.toString, value, []);

  const maxDepth = 4;
  const maxItems = 100;
  // Why one message is cut here rather than copied whole: ext/console/index.ts.
  const { maxMessageChars } = limits;

  function formatKey(key) {
    return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSONStringify(key);
  }

  function format(value, depth, seen) {
    switch (typeof value) {
      case 'string':
        return depth === 0 ? value : JSONStringify(value);
      case 'number':
      case 'boolean':
      case 'undefined':
        return String(value);
      case 'bigint':
        return `${String(value)}n`;
      case 'symbol':
        return ReflectApply(Symbol.prototype.toString, value, []);
      case 'function':
        try {
          const name = value.name;
          return `[Function ${typeof name === 'string' && name ? name : '(anonymous)'}]`;
        } catch {
          // A Proxy around a function, whose get trap throws: logging it must not throw.
          return '[Function]';
        }
      default:
        break;
    }
    if (value === null) return 'null';
    if (SetPrototypeHas(seen, value)) return '[Circular]';
    try {
      if (value instanceof Error) return String(value.stack || `${value.name}: ${value.message}`);
      if (depth >= maxDepth) return ArrayIsArray(value) ? '[Array]' : '[Object]';
      SetPrototypeAdd(seen, value);
      const parts = [];
      if (ArrayIsArray(value)) {
        const shown = ArrayPrototypeSlice(value, 0, maxItems);
        for (const item of shown) ArrayPrototypePush(parts, format(item, depth + 1, seen));
        if (value.length > maxItems) ArrayPrototypePush(parts, `... ${value.length - maxItems} more items`);
        SetPrototypeDelete(seen, value);
        return `[ ${ArrayPrototypeJoin(parts, ', ')} ]`;
      }
      const tag = functionToStringTag(value);
      if (tag === '[object Date]') return ReflectApply(Date.prototype.toISOString, value, []);
      const names = ArrayPrototypeSlice(ObjectKeys(value), 0, maxItems);
      for (const key of names) ArrayPrototypePush(parts, `${formatKey(key)}: ${format(value[key], depth + 1, seen)}`);
      SetPrototypeDelete(seen, value);
      const proto = ObjectGetPrototypeOf(value);
      const prefix = proto === null ? '[Object: null prototype] ' : '';
      return parts.length === 0 ? `${prefix}{}` : `${prefix}{ ${ArrayPrototypeJoin(parts, ', ')} }`;
    } catch {
      return '[Uninspectable]';
    }
  }

  function formatAll(args) {
    const seen = new Set();
    const parts = [];
    for (const arg of args) ArrayPrototypePush(parts, format(arg, 0, seen));
    const message = ArrayPrototypeJoin(parts, ' ');
    if (message.length <= maxMessageChars) return message;
    return `${StringPrototypeSlice(message, 0, maxMessageChars)}... [truncated: ${message.length - maxMessageChars} more characters]`;
  }

  const consoleObject = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const method = {
      [level](...args) {
        runtime.call('console.write', level, formatAll(args));
      },
    }[level];
    consoleObject[level] = method;
  }
  expose('console', consoleObject);
});
