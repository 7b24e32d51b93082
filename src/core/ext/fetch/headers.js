// Guest side of fetch, first file: Headers, a list of (lower-case name, value) pairs checked as
// the Fetch standard says; Request and Response (later files) reach its list through `shared`.
(function installHeaders(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    ArrayPrototypeFilter, ArrayPrototypeJoin, ArrayPrototypePush, ArrayPrototypeSort,
    ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ReflectApply, ReflectOwnKeys,
    RegExpPrototypeTest, String, StringPrototypeReplace, StringPrototypeSlice,
    StringPrototypeToLowerCase, SymbolIterator, SymbolToStringTag, TypeError,
  } = runtime.primordials;

  const tokenPattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const edgeWhitespace = /^[\t\n\r ]+|[\t\n\r ]+$/g;
  const badValue = /[\0\r\n]|[^\0-\u00ff]/;

  function headerName(name) {
    const text = String(name);
    if (!RegExpPrototypeTest(tokenPattern, text)) throw new TypeError(`Invalid header name: "${StringPrototypeSlice(text, 0, 100)}"`);
    return StringPrototypeToLowerCase(text);
  }

  function headerValue(name, value) {
    const text = StringPrototypeReplace(String(value), edgeWhitespace, '');
    if (RegExpPrototypeTest(badValue, text)) throw new TypeError(`Invalid header value for "${name}"`);
    return text;
  }

  let headersList;
  let makeHeaders;

  class Headers {
    #list = [];
    #immutable = false;

    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('Headers: init must be an object, an array of pairs or Headers');
      if (#list in init) {
        for (const [name, value] of init.#list) ArrayPrototypePush(this.#list, [name, value]);
        return;
      }
      if (typeof init[SymbolIterator] === 'function') {
        for (const pair of init) {
          const items = [];
          for (const item of pair) ArrayPrototypePush(items, item);
          if (items.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
          this.append(items[0], items[1]);
        }
        return;
      }
      for (const key of ReflectOwnKeys(init)) {
        if (typeof key !== 'string') continue;
        const descriptor = ObjectGetOwnPropertyDescriptor(init, key);
        if (descriptor !== undefined && descriptor.enumerable) this.append(key, init[key]);
      }
    }

    #mutable() {
      if (this.#immutable) throw new TypeError('Headers are immutable');
    }

    append(name, value) {
      const key = headerName(name);
      const text = headerValue(key, value);
      this.#mutable();
      ArrayPrototypePush(this.#list, [key, text]);
    }
    delete(name) {
      const key = headerName(name);
      this.#mutable();
      this.#list = ArrayPrototypeFilter(this.#list, (pair) => pair[0] !== key);
    }
    get(name) {
      const key = headerName(name);
      const values = [];
      for (const pair of this.#list) if (pair[0] === key) ArrayPrototypePush(values, pair[1]);
      return values.length === 0 ? null : ArrayPrototypeJoin(values, ', ');
    }
    getSetCookie() {
      const values = [];
      for (const pair of this.#list) if (pair[0] === 'set-cookie') ArrayPrototypePush(values, pair[1]);
      return values;
    }
    has(name) {
      const key = headerName(name);
      for (const pair of this.#list) if (pair[0] === key) return true;
      return false;
    }
    set(name, value) {
      const key = headerName(name);
      const text = headerValue(key, value);
      this.#mutable();
      const kept = [];
      let placed = false;
      for (const pair of this.#list) {
        if (pair[0] !== key) ArrayPrototypePush(kept, pair);
        else if (!placed) {
          ArrayPrototypePush(kept, [key, text]);
          placed = true;
        }
      }
      if (!placed) ArrayPrototypePush(kept, [key, text]);
      this.#list = kept;
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError('Headers.forEach: the callback must be a function');
      for (const [name, value] of this.#sorted()) ReflectApply(callback, thisArg, [value, name, this]);
    }
    /** Sorted by name, values of one name combined (set-cookie lines stay separate). */
    #sorted() {
      const names = [];
      for (const pair of this.#list) if (names.length === 0 || !namesInclude(names, pair[0])) ArrayPrototypePush(names, pair[0]);
      ArrayPrototypeSort(names);
      const out = [];
      for (const name of names) {
        if (name === 'set-cookie') {
          for (const pair of this.#list) if (pair[0] === name) ArrayPrototypePush(out, [name, pair[1]]);
        } else ArrayPrototypePush(out, [name, this.get(name)]);
      }
      return out;
    }
    *entries() {
      for (const pair of this.#sorted()) yield pair;
    }
    *keys() {
      for (const pair of this.#sorted()) yield pair[0];
    }
    *values() {
      for (const pair of this.#sorted()) yield pair[1];
    }

    static {
      headersList = (headers) => {
        const out = [];
        for (const [name, value] of headers.#list) ArrayPrototypePush(out, [name, value]);
        return out;
      };
      // Headers of a fetched response: as the server sent them, read-only.
      makeHeaders = (pairs, immutable) => {
        const headers = new Headers();
        for (const [name, value] of pairs) ArrayPrototypePush(headers.#list, [StringPrototypeToLowerCase(String(name)), String(value)]);
        headers.#immutable = immutable;
        return headers;
      };
    }
  }
  function namesInclude(names, name) {
    for (const each of names) if (each === name) return true;
    return false;
  }
  ObjectDefineProperty(Headers.prototype, SymbolIterator, { value: Headers.prototype.entries, writable: true, configurable: true });
  ObjectDefineProperty(Headers.prototype, SymbolToStringTag, { value: 'Headers', configurable: true });

  runtime.platform.register(Headers.prototype);
  Object.assign(shared, { Headers, headersList, makeHeaders, tokenPattern });
  expose('Headers', Headers);
});
