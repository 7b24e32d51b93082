// Guest side of `console`: formats arguments into one string inside the isolate (so no guest
// object ever crosses) and hands it to the host, which bounds and records it.
(function installConsole(global, kit, expose, limits) {
  'use strict';

  const { apply } = Reflect;
  const { getPrototypeOf, keys, prototype: ObjectPrototype } = Object;
  const { isArray } = Array;
  const StringCtor = String;
  const JSONstringify = JSON.stringify;
  const ErrorCtor = Error;
  const arrayJoin = Array.prototype.join;
  const arrayPush = Array.prototype.push;
  const arraySlice = Array.prototype.slice;
  const setHas = Set.prototype.has;
  const setAdd = Set.prototype.add;
  const setDelete = Set.prototype.delete;
  const SetCtor = Set;
  const functionToStringTag = (value) => apply(ObjectPrototype.toString, value, []);

  const maxDepth = 4;
  const maxItems = 100;
  // Why one message is cut here rather than copied whole: ext/console/index.ts.
  const { maxMessageChars } = limits;
  const stringSlice = String.prototype.slice;

  function formatKey(key) {
    return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSONstringify(key);
  }

  function format(value, depth, seen) {
    switch (typeof value) {
      case 'string':
        return depth === 0 ? value : JSONstringify(value);
      case 'number':
      case 'boolean':
      case 'undefined':
        return StringCtor(value);
      case 'bigint':
        return `${StringCtor(value)}n`;
      case 'symbol':
        return apply(Symbol.prototype.toString, value, []);
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
    if (apply(setHas, seen, [value])) return '[Circular]';
    try {
      if (value instanceof ErrorCtor) return StringCtor(value.stack || `${value.name}: ${value.message}`);
      if (depth >= maxDepth) return isArray(value) ? '[Array]' : '[Object]';
      apply(setAdd, seen, [value]);
      const parts = [];
      if (isArray(value)) {
        const shown = apply(arraySlice, value, [0, maxItems]);
        for (const item of shown) apply(arrayPush, parts, [format(item, depth + 1, seen)]);
        if (value.length > maxItems) apply(arrayPush, parts, [`... ${value.length - maxItems} more items`]);
        apply(setDelete, seen, [value]);
        return `[ ${apply(arrayJoin, parts, [', '])} ]`;
      }
      const tag = functionToStringTag(value);
      if (tag === '[object Date]') return apply(Date.prototype.toISOString, value, []);
      const names = apply(arraySlice, keys(value), [0, maxItems]);
      for (const key of names) apply(arrayPush, parts, [`${formatKey(key)}: ${format(value[key], depth + 1, seen)}`]);
      apply(setDelete, seen, [value]);
      const proto = getPrototypeOf(value);
      const prefix = proto === null ? '[Object: null prototype] ' : '';
      return parts.length === 0 ? `${prefix}{}` : `${prefix}{ ${apply(arrayJoin, parts, [', '])} }`;
    } catch {
      return '[Uninspectable]';
    }
  }

  function formatAll(args) {
    const seen = new SetCtor();
    const parts = [];
    for (const arg of args) apply(arrayPush, parts, [format(arg, 0, seen)]);
    const message = apply(arrayJoin, parts, [' ']);
    if (message.length <= maxMessageChars) return message;
    return `${apply(stringSlice, message, [0, maxMessageChars])}... [truncated: ${message.length - maxMessageChars} more characters]`;
  }

  const consoleObject = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    const method = {
      [level](...args) {
        kit.call('console.write', level, formatAll(args));
      },
    }[level];
    consoleObject[level] = method;
  }
  expose('console', consoleObject);
});
