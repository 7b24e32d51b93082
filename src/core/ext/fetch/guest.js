// Guest side of fetch: Headers, Request, Response and fetch() with the web-standard shapes. The
// request leaves the isolate as plain data (URL, method, header pairs, body bytes as a latin1
// string) and the host answers with plain data; no host object ever arrives here. Bodies are
// buffered (the host has already bounded them), so there is no ReadableStream `body`.
(function installFetch(global, runtime, expose) {
  'use strict';

  const {
    ArrayPrototypeFilter, ArrayPrototypeJoin, ArrayPrototypePush, ArrayPrototypeSort, JSONParse,
    JSONStringify, Number, NumberIsInteger, ObjectDefineProperty, ObjectFreeze,
    ObjectGetOwnPropertyDescriptor, Promise, PromisePrototypeThen, PromiseReject, PromiseResolve,
    RangeError, ReflectApply, ReflectOwnKeys, RegExpPrototypeTest, String,
    StringPrototypeCharCodeAt, StringPrototypeReplace, StringPrototypeSlice,
    StringPrototypeToLowerCase, StringPrototypeToUpperCase, StringPrototypeToWellFormed,
    SymbolIterator, SymbolToStringTag, TypeError, WeakMap, WeakMapPrototypeGet, WeakMapPrototypeSet,
    decodeURIComponent, encodeURIComponent, escape, unescape,
  } = runtime.primordials;

  // Installed before this capability: web (AbortSignal), encoding (TextDecoder), url (URL).
  const URLCtor = global.URL;
  const urlHref = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'href').get;
  const urlUsername = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'username').get;
  const urlPassword = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'password').get;
  const searchParamsToString = global.URLSearchParams.prototype.toString;
  const AbortSignalCtor = global.AbortSignal;
  const AbortControllerCtor = global.AbortController;
  const signalAborted = ObjectGetOwnPropertyDescriptor(AbortSignalCtor.prototype, 'aborted').get;
  const signalReason = ObjectGetOwnPropertyDescriptor(AbortSignalCtor.prototype, 'reason').get;
  const addEventListener = global.EventTarget.prototype.addEventListener;
  const removeEventListener = global.EventTarget.prototype.removeEventListener;
  const TextDecoderCtor = global.TextDecoder;
  const textDecode = TextDecoderCtor.prototype.decode;
  let lenientDecoder = null;

  const isBrand = (slotGetter, value) => {
    try {
      ReflectApply(slotGetter, value, []);
      return true;
    } catch {
      return false;
    }
  };
  const isSignal = (value) => value !== null && typeof value === 'object' && isBrand(signalAborted, value);
  const isSearchParams = (value) => value !== null && typeof value === 'object' && isBrand(searchParamsToString, value);

  // ---- bytes: latin1 strings (one character per byte) are how bodies cross -----------------

  const { of: bufferSourceBytes, toLatin1: bytesToLatin1, fromLatin1: latin1ToBytes } = runtime.bytes;



  /** UTF-8 bytes of a string, as latin1 (native escaping does the encoding). */
  function utf8Latin1(text) {
    return unescape(encodeURIComponent(StringPrototypeToWellFormed(text)));
  }

  const asciiOnly = /^[\x00-\x7f]*$/;
  /** The standard's "UTF-8 decode" (BOM dropped, bad bytes become U+FFFD) of latin1 bytes. */
  function latin1ToText(raw) {
    let text;
    if (RegExpPrototypeTest(asciiOnly, raw)) text = raw;
    else {
      try {
        text = decodeURIComponent(escape(raw));
      } catch {
        lenientDecoder ??= new TextDecoderCtor();
        text = ReflectApply(textDecode, lenientDecoder, [latin1ToBytes(raw)]);
      }
    }
    return StringPrototypeCharCodeAt(text, 0) === 0xfeff ? StringPrototypeSlice(text, 1) : text;
  }

  // ---- Headers -------------------------------------------------------------------------------

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

  // ---- bodies (shared by Request and Response) -----------------------------------------------

  /** Body state per Request/Response: bytes as latin1 (or null) and whether it was read. */
  const bodies = new WeakMap();

  /** The bytes and default Content-Type of a BodyInit. */
  function extractBody(init) {
    if (typeof init === 'string') return { bytes: utf8Latin1(init), type: 'text/plain;charset=UTF-8' };
    if (isSearchParams(init)) {
      return { bytes: utf8Latin1(ReflectApply(searchParamsToString, init, [])), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    }
    const view = bufferSourceBytes(init);
    if (view !== null) return { bytes: bytesToLatin1(view), type: null };
    // Blob, FormData and ReadableStream do not exist here; other objects become text, as in browsers.
    return { bytes: utf8Latin1(String(init)), type: 'text/plain;charset=UTF-8' };
  }

  function bodyState(self) {
    const state = WeakMapPrototypeGet(bodies, self);
    if (state === undefined) throw new TypeError('Illegal invocation');
    return state;
  }

  function consume(self) {
    let state;
    try {
      state = bodyState(self);
    } catch (error) {
      return PromiseReject(error);
    }
    if (state.used) return PromiseReject(new TypeError('Body is unusable: Body has already been read'));
    if (state.bytes !== null) state.used = true;
    return PromiseResolve(state.bytes ?? '');
  }

  const bodyMethods = {
    text() {
      return PromisePrototypeThen(consume(this), latin1ToText);
    },
    json() {
      return PromisePrototypeThen(consume(this), (raw) => JSONParse(latin1ToText(raw)));
    },
    arrayBuffer() {
      return PromisePrototypeThen(consume(this), (raw) => latin1ToBytes(raw).buffer);
    },
    bytes() {
      return PromisePrototypeThen(consume(this), latin1ToBytes);
    },
    get bodyUsed() {
      return bodyState(this).used;
    },
  };

  function installBodyMethods(prototype) {
    for (const key of ReflectOwnKeys(bodyMethods)) ObjectDefineProperty(prototype, key, ObjectGetOwnPropertyDescriptor(bodyMethods, key));
  }

  // ---- Request -------------------------------------------------------------------------------

  const normalizedMethods = { DELETE: 'DELETE', GET: 'GET', HEAD: 'HEAD', OPTIONS: 'OPTIONS', POST: 'POST', PUT: 'PUT' };
  const forbiddenMethods = { CONNECT: true, TRACE: true, TRACK: true };
  const redirectModes = { follow: true, error: true, manual: true };

  function requestMethod(value) {
    const text = String(value);
    if (!RegExpPrototypeTest(tokenPattern, text)) throw new TypeError(`'${StringPrototypeSlice(text, 0, 50)}' is not a valid HTTP method`);
    const upper = StringPrototypeToUpperCase(text);
    if (forbiddenMethods[upper] === true) throw new TypeError(`'${text}' HTTP method is unsupported`);
    return normalizedMethods[upper] ?? text;
  }

  let requestParts;
  let defaultSignal = null;

  class Request {
    #url;
    #method;
    #headers;
    #redirect;
    #signal;

    constructor(input, init = undefined) {
      if (arguments.length === 0) throw new TypeError("Request: 1 argument required, but only 0 present");
      const options = init === undefined || init === null ? {} : init;
      const source = input !== null && typeof input === 'object' && #url in input ? input : null;
      if (source !== null) this.#url = source.#url;
      else {
        const url = new URLCtor(input);
        if (ReflectApply(urlUsername, url, []) !== '' || ReflectApply(urlPassword, url, []) !== '') {
          throw new TypeError('Request cannot be constructed from a URL that includes credentials');
        }
        this.#url = ReflectApply(urlHref, url, []);
      }
      this.#method = options.method !== undefined ? requestMethod(options.method) : source !== null ? source.#method : 'GET';
      this.#headers = new Headers(options.headers !== undefined ? options.headers : source !== null ? source.#headers : undefined);
      const redirect = options.redirect !== undefined ? String(options.redirect) : source !== null ? source.#redirect : 'follow';
      if (redirectModes[redirect] !== true) throw new TypeError(`'${redirect}' is not a valid redirect mode`);
      this.#redirect = redirect;
      const signal = 'signal' in options ? options.signal : source !== null ? source.#signal : null;
      if (signal !== null && signal !== undefined && !isSignal(signal)) throw new TypeError("Request: 'signal' must be an AbortSignal");
      this.#signal = signal ?? null;

      let body = { bytes: null, used: false };
      if (options.body !== undefined && options.body !== null) {
        const extracted = extractBody(options.body);
        body = { bytes: extracted.bytes, used: false };
        if (extracted.type !== null && !this.#headers.has('content-type')) this.#headers.append('content-type', extracted.type);
      } else if (source !== null && options.body === undefined) {
        const sourceBody = bodyState(source);
        if (sourceBody.used) throw new TypeError('Cannot construct a Request with a Request object that has already been used');
        body = { bytes: sourceBody.bytes, used: false };
        // The body moves to the new request, as the standard says.
        if (sourceBody.bytes !== null) sourceBody.used = true;
      }
      if (body.bytes !== null && (this.#method === 'GET' || this.#method === 'HEAD')) {
        throw new TypeError('Request with GET/HEAD method cannot have body');
      }
      WeakMapPrototypeSet(bodies, this, body);
    }

    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() {
      if (this.#signal === null) {
        defaultSignal ??= new AbortControllerCtor().signal;
        return defaultSignal;
      }
      return this.#signal;
    }
    clone() {
      const state = bodyState(this);
      if (state.used) throw new TypeError('Request.clone: the body has already been read');
      const copy = new Request(this, { body: null });
      WeakMapPrototypeSet(bodies, copy, { bytes: state.bytes, used: false });
      return copy;
    }

    static {
      requestParts = (request) => ({
        url: request.#url,
        method: request.#method,
        headers: headersList(request.#headers),
        redirect: request.#redirect,
        signal: request.#signal,
      });
    }
  }
  installBodyMethods(Request.prototype);
  ObjectDefineProperty(Request.prototype, SymbolToStringTag, { value: 'Request', configurable: true });

  // ---- Response ------------------------------------------------------------------------------

  const nullBodyStatuses = { 101: true, 103: true, 204: true, 205: true, 304: true };
  const redirectStatuses = { 301: true, 302: true, 303: true, 307: true, 308: true };
  const reasonPhrase = /^[\t\x20-\x7e\x80-\xff]*$/;

  let makeResponse;

  class Response {
    #status = 200;
    #statusText = '';
    #headers;
    #type = 'default';
    #url = '';
    #redirected = false;

    constructor(body = null, init = undefined) {
      const options = init === undefined || init === null ? {} : init;
      const status = options.status === undefined ? 200 : Number(options.status);
      if (!NumberIsInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response: status ${String(options.status)} is outside the range [200, 599]`);
      }
      const statusText = options.statusText === undefined ? '' : String(options.statusText);
      if (!RegExpPrototypeTest(reasonPhrase, statusText)) throw new TypeError('Response: invalid statusText');
      this.#status = status;
      this.#statusText = statusText;
      this.#headers = new Headers(options.headers);
      let bytes = null;
      if (body !== null && body !== undefined) {
        if (nullBodyStatuses[status] === true) throw new TypeError(`Response with status ${status} cannot have a body`);
        const extracted = extractBody(body);
        bytes = extracted.bytes;
        if (extracted.type !== null && !this.#headers.has('content-type')) this.#headers.append('content-type', extracted.type);
      }
      WeakMapPrototypeSet(bodies, this, { bytes, used: false });
    }

    static error() {
      const response = new Response(null);
      response.#status = 0;
      response.#type = 'error';
      response.#headers = makeHeaders([], true);
      return response;
    }
    static redirect(url, status = 302) {
      const href = ReflectApply(urlHref, new URLCtor(url), []);
      const code = Number(status);
      if (redirectStatuses[code] !== true) throw new RangeError(`Response.redirect: invalid status ${String(status)}`);
      const response = new Response(null, { status: code });
      response.#headers = makeHeaders([['location', href]], true);
      return response;
    }
    static json(data, init = undefined) {
      const text = JSONStringify(data);
      if (text === undefined) throw new TypeError('Response.json: the data is not JSON-serializable');
      const response = new Response(text, init);
      if (response.#headers.get('content-type') === 'text/plain;charset=UTF-8') response.#headers.set('content-type', 'application/json');
      return response;
    }

    get type() { return this.#type; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    clone() {
      const state = bodyState(this);
      if (state.used) throw new TypeError('Response.clone: the body has already been read');
      const copy = new Response(null);
      copy.#status = this.#status;
      copy.#statusText = this.#statusText;
      copy.#headers = new Headers(this.#headers);
      copy.#type = this.#type;
      copy.#url = this.#url;
      copy.#redirected = this.#redirected;
      WeakMapPrototypeSet(bodies, copy, { bytes: state.bytes, used: false });
      return copy;
    }

    static {
      // A response the host fetched: plain data in, a read-only Response out.
      makeResponse = (answer) => {
        const response = new Response(null);
        response.#status = answer.status;
        response.#statusText = String(answer.statusText);
        response.#headers = makeHeaders(answer.headers, true);
        response.#type = 'basic';
        response.#url = String(answer.url);
        response.#redirected = answer.redirected === true;
        WeakMapPrototypeSet(bodies, response, { bytes: String(answer.body), used: false });
        return response;
      };
    }
  }
  installBodyMethods(Response.prototype);
  ObjectDefineProperty(Response.prototype, SymbolToStringTag, { value: 'Response', configurable: true });

  // ---- fetch ---------------------------------------------------------------------------------

  let nextFetchId = 1;

  function fetch(input, init = undefined) {
    let request;
    try {
      request = new Request(input, init);
    } catch (error) {
      return PromiseReject(error);
    }
    const parts = requestParts(request);
    const body = bodyState(request);
    const signal = parts.signal;
    if (signal !== null && ReflectApply(signalAborted, signal, [])) return PromiseReject(ReflectApply(signalReason, signal, []));
    const id = nextFetchId++;
    const wire = {
      id,
      url: parts.url,
      method: parts.method,
      headers: parts.headers,
      body: body.bytes,
      redirect: parts.redirect,
    };
    if (body.bytes !== null) body.used = true;

    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        runtime.notify('fetch.abort', id);
        reject(ReflectApply(signalReason, signal, []));
      };
      if (signal !== null) ReflectApply(addEventListener, signal, ['abort', onAbort, { once: true }]);
      const done = () => {
        settled = true;
        if (signal !== null) ReflectApply(removeEventListener, signal, ['abort', onAbort, { once: true }]);
      };
      PromisePrototypeThen(runtime.request('fetch.send', wire), (answer) => {
          if (settled) return;
          done();
          resolve(makeResponse(answer));
        }, (error) => {
          if (settled) return;
          done();
          reject(error);
        });
    });
  }

  ObjectFreeze(normalizedMethods);
  ObjectFreeze(forbiddenMethods);
  ObjectFreeze(redirectModes);
  for (const Class of [Headers, Request, Response]) runtime.platform.register(Class.prototype);
  expose('Headers', Headers);
  expose('Request', Request);
  expose('Response', Response);
  expose('fetch', fetch);
});
