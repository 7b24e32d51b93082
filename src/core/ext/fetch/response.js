// Guest side of fetch: Response, as the guest constructs it (new Response, Response.json,
// Response.redirect, Response.error) and as fetch makes it from the host's plain-data answer.
(function installResponse(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    JSONStringify, Number, NumberIsInteger, ObjectDefineProperty, RangeError, ReflectApply,
    RegExpPrototypeTest, String, SymbolToStringTag, TypeError, WeakMapPrototypeSet,
  } = runtime.primordials;
  const { Headers, makeHeaders, bodies, bodyState, extractBody, installBodyMethods, URLCtor, urlHref } = shared;

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

  runtime.platform.register(Response.prototype);
  shared.makeResponse = makeResponse;
  expose('Response', Response);
});
