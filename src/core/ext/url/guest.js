// Guest side of URL and URLSearchParams. A URL is parsed by the host (Node's WHATWG parser) and
// arrives as plain strings; a setter asks the host for the new components. URLSearchParams is
// the standard's application/x-www-form-urlencoded list, kept here, and written back into its
// URL's query whenever it changes.
(function installUrl(global, runtime, expose) {
  'use strict';

  const {
    ArrayPrototypeJoin, ArrayPrototypeMap, ArrayPrototypePush, ArrayPrototypeSort,
    ArrayPrototypeSplice, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, ReflectApply,
    ReflectOwnKeys, String, StringPrototypeIndexOf, StringPrototypeReplace, StringPrototypeSlice,
    StringPrototypeSplit, StringPrototypeToWellFormed, SymbolIterator, SymbolToStringTag, TypeError,
    decodeURIComponent, encodeURIComponent,
  } = runtime.primordials;
  // The encoding capability is installed before this one.
  const TextEncoderCtor = global.TextEncoder;
  const TextDecoderCtor = global.TextDecoder;
  const encode = TextEncoderCtor.prototype.encode;
  const decode = TextDecoderCtor.prototype.decode;
  let encoder = null;
  let decoder = null;

  const usv = (value) => StringPrototypeToWellFormed(String(value));
  const shorten = (text) => (text.length > 200 ? `${StringPrototypeSlice(text, 0, 200)}...` : text);

  // ---- application/x-www-form-urlencoded -----------------------------------------------------

  const plus = /\+/g;
  const notFormSafe = /[!'()~]/g;
  const encodedSpace = /%20/g;
  const formSafeEscapes = { '!': '%21', "'": '%27', '(': '%28', ')': '%29', '~': '%7E' };

  /** Percent-decodes bytes of the UTF-8 form of `text`; bad escapes stay as they are. */
  function percentDecode(text) {
    try {
      return decodeURIComponent(text);
    } catch {
      // "100%" or escapes that are not UTF-8: the standard's byte-wise decoding.
    }
    encoder ??= new TextEncoderCtor();
    decoder ??= new TextDecoderCtor();
    const bytes = ReflectApply(encode, encoder, [text]);
    const out = new Uint8Array(bytes.length);
    let n = 0;
    const hex = (b) => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1);
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0x25 && i + 2 < bytes.length && hex(bytes[i + 1]) >= 0 && hex(bytes[i + 2]) >= 0) {
        out[n++] = hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]);
        i += 2;
      } else out[n++] = bytes[i];
    }
    return ReflectApply(decode, decoder, [out.subarray(0, n)]);
  }

  function parseForm(text) {
    const list = [];
    if (text.length === 0) return list;
    for (const sequence of StringPrototypeSplit(text, '&')) {
      if (sequence.length === 0) continue;
      const eq = StringPrototypeIndexOf(sequence, '=');
      const name = eq === -1 ? sequence : StringPrototypeSlice(sequence, 0, eq);
      const value = eq === -1 ? '' : StringPrototypeSlice(sequence, eq + 1);
      ArrayPrototypePush(list, [
        percentDecode(usv(StringPrototypeReplace(name, plus, ' '))),
        percentDecode(usv(StringPrototypeReplace(value, plus, ' '))),
      ]);
    }
    return list;
  }

  function formEscape(text) {
    const encoded = encodeURIComponent(text);
    return StringPrototypeReplace(StringPrototypeReplace(encoded, notFormSafe, (c) => formSafeEscapes[c]), encodedSpace, '+');
  }

  function serializeForm(list) {
    return ArrayPrototypeJoin(ArrayPrototypeMap(list, (pair) => `${formEscape(pair[0])}=${formEscape(pair[1])}`), '&');
  }

  // ---- URLSearchParams -----------------------------------------------------------------------

  let attachQuery;
  let replaceQueryList;

  class URLSearchParams {
    #list = [];
    #url = null;

    constructor(init = undefined) {
      if (init === undefined || init === null) return;
      if (typeof init === 'object' || typeof init === 'function') {
        if (typeof init[SymbolIterator] === 'function') {
          for (const pair of init) {
            const items = [];
            for (const item of pair) ArrayPrototypePush(items, item);
            if (items.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
            ArrayPrototypePush(this.#list, [usv(items[0]), usv(items[1])]);
          }
          return;
        }
        for (const key of ReflectOwnKeys(init)) {
          if (typeof key !== 'string') continue;
          const descriptor = ObjectGetOwnPropertyDescriptor(init, key);
          if (descriptor === undefined || !descriptor.enumerable) continue;
          ArrayPrototypePush(this.#list, [usv(key), usv(init[key])]);
        }
        return;
      }
      let text = usv(init);
      if (text[0] === '?') text = StringPrototypeSlice(text, 1);
      this.#list = parseForm(text);
    }

    #update() {
      if (this.#url !== null) writeQuery(this.#url, serializeForm(this.#list));
    }

    get size() {
      return this.#list.length;
    }
    append(name, value) {
      ArrayPrototypePush(this.#list, [usv(name), usv(value)]);
      this.#update();
    }
    delete(name, value = undefined) {
      const key = usv(name);
      const match = value === undefined ? null : usv(value);
      for (let i = this.#list.length - 1; i >= 0; i--) {
        if (this.#list[i][0] === key && (match === null || this.#list[i][1] === match)) ArrayPrototypeSplice(this.#list, i, 1);
      }
      this.#update();
    }
    get(name) {
      const key = usv(name);
      for (const pair of this.#list) if (pair[0] === key) return pair[1];
      return null;
    }
    getAll(name) {
      const key = usv(name);
      const values = [];
      for (const pair of this.#list) if (pair[0] === key) ArrayPrototypePush(values, pair[1]);
      return values;
    }
    has(name, value = undefined) {
      const key = usv(name);
      const match = value === undefined ? null : usv(value);
      for (const pair of this.#list) if (pair[0] === key && (match === null || pair[1] === match)) return true;
      return false;
    }
    set(name, value) {
      const key = usv(name);
      const text = usv(value);
      let found = false;
      for (let i = 0; i < this.#list.length; i++) {
        if (this.#list[i][0] !== key) continue;
        if (found) {
          ArrayPrototypeSplice(this.#list, i, 1);
          i--;
        } else {
          this.#list[i][1] = text;
          found = true;
        }
      }
      if (!found) ArrayPrototypePush(this.#list, [key, text]);
      this.#update();
    }
    sort() {
      // Stable, by UTF-16 code units of the names, as the standard says.
      ArrayPrototypeSort(this.#list, (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') throw new TypeError('URLSearchParams.forEach: the callback must be a function');
      for (let i = 0; i < this.#list.length; i++) ReflectApply(callback, thisArg, [this.#list[i][1], this.#list[i][0], this]);
    }
    *entries() {
      for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
    }
    *keys() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
    }
    *values() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
    }
    toString() {
      return serializeForm(this.#list);
    }

    static {
      attachQuery = (params, url) => {
        params.#url = url;
      };
      replaceQueryList = (params, search) => {
        params.#list = parseForm(search[0] === '?' ? StringPrototypeSlice(search, 1) : search);
      };
    }
  }
  ObjectDefineProperty(URLSearchParams.prototype, SymbolIterator, {
    value: URLSearchParams.prototype.entries,
    writable: true,
    configurable: true,
  });
  ObjectDefineProperty(URLSearchParams.prototype, SymbolToStringTag, { value: 'URLSearchParams', configurable: true });

  // ---- URL -----------------------------------------------------------------------------------

  let writeQuery;

  function parse(url, base) {
    return runtime.call('url.parse', usv(url), base === undefined ? null : usv(base));
  }

  // URL.parse makes its instance from components it already has, without a second host call.
  const fromParts = {};

  class URL {
    #parts;
    #query = null;

    constructor(url, base = undefined) {
      if (url === fromParts) {
        this.#parts = base;
        return;
      }
      if (arguments.length === 0) throw new TypeError("URL: 1 argument required, but only 0 present");
      const parts = parse(url, base);
      if (parts === null) throw new TypeError(`Invalid URL: ${shorten(usv(url))}`);
      this.#parts = parts;
    }

    static canParse(url, base = undefined) {
      return parse(url, base) !== null;
    }
    static parse(url, base = undefined) {
      const parts = parse(url, base);
      return parts === null ? null : new URL(fromParts, parts);
    }

    #set(key, value) {
      const parts = runtime.call('url.set', this.#parts.href, key, usv(value));
      if (parts === null) throw new TypeError(`Invalid URL: ${shorten(usv(value))}`);
      this.#parts = parts;
      if (this.#query !== null && (key === 'href' || key === 'search')) replaceQueryList(this.#query, parts.search);
    }

    get href() { return this.#parts.href; }
    set href(value) { this.#set('href', value); }
    get origin() { return this.#parts.origin; }
    get protocol() { return this.#parts.protocol; }
    set protocol(value) { this.#set('protocol', value); }
    get username() { return this.#parts.username; }
    set username(value) { this.#set('username', value); }
    get password() { return this.#parts.password; }
    set password(value) { this.#set('password', value); }
    get host() { return this.#parts.host; }
    set host(value) { this.#set('host', value); }
    get hostname() { return this.#parts.hostname; }
    set hostname(value) { this.#set('hostname', value); }
    get port() { return this.#parts.port; }
    set port(value) { this.#set('port', value); }
    get pathname() { return this.#parts.pathname; }
    set pathname(value) { this.#set('pathname', value); }
    get search() { return this.#parts.search; }
    set search(value) { this.#set('search', value); }
    get hash() { return this.#parts.hash; }
    set hash(value) { this.#set('hash', value); }
    get searchParams() {
      if (this.#query === null) {
        this.#query = new URLSearchParams(this.#parts.search);
        attachQuery(this.#query, this);
      }
      return this.#query;
    }
    toString() {
      return this.#parts.href;
    }
    toJSON() {
      return this.#parts.href;
    }

    static {
      // URLSearchParams writes back through here; an empty list leaves no "?" behind.
      writeQuery = (url, serialized) => {
        url.#parts = runtime.call('url.set', url.#parts.href, 'search', serialized);
      };
    }
  }
  ObjectDefineProperty(URL.prototype, SymbolToStringTag, { value: 'URL', configurable: true });

  for (const Class of [URL, URLSearchParams]) runtime.platform.register(Class.prototype);
  expose('URL', URL);
  expose('URLSearchParams', URLSearchParams);
});
