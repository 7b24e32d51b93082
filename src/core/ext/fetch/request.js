// Guest side of fetch: Request, with the standard's method, mode and redirect rules, its URL
// parsed by the url capability, and its signal an AbortSignal of the web capability.
(function installRequest(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    ObjectDefineProperty, ObjectFreeze, ObjectGetOwnPropertyDescriptor, ReflectApply,
    RegExpPrototypeTest, String, StringPrototypeSlice, StringPrototypeToUpperCase,
    SymbolToStringTag, TypeError, WeakMapPrototypeSet,
  } = runtime.primordials;
  const { Headers, headersList, tokenPattern, bodies, bodyState, extractBody, installBodyMethods } = shared;
  // Installed before this capability: url (URL), web (AbortSignal, AbortController).
  const URLCtor = global.URL;
  const urlHref = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'href').get;
  const urlUsername = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'username').get;
  const urlPassword = ObjectGetOwnPropertyDescriptor(URLCtor.prototype, 'password').get;
  const AbortSignalCtor = global.AbortSignal;
  const AbortControllerCtor = global.AbortController;
  const signalAborted = ObjectGetOwnPropertyDescriptor(AbortSignalCtor.prototype, 'aborted').get;
  const isSignal = (value) => value !== null && typeof value === 'object' && runtime.accepts(signalAborted, value);

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

  ObjectFreeze(normalizedMethods);
  ObjectFreeze(forbiddenMethods);
  ObjectFreeze(redirectModes);
  runtime.platform.register(Request.prototype);
  Object.assign(shared, { Request, requestParts, URLCtor, urlHref, signalAborted });
  expose('Request', Request);
});
