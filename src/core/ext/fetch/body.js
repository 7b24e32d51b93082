// Guest side of fetch: the body of a Request or a Response, and the methods that read it
// (text, json, arrayBuffer...). Bodies are buffered (the host has already bounded them), so there
// is no ReadableStream `body`; they cross to and from the host as latin1 strings, one character
// per byte.
(function installBody(global, runtime, expose, limits, shared) {
  'use strict';

  const {
    JSONParse, ObjectDefineProperty, ObjectGetOwnPropertyDescriptor, PromisePrototypeThen,
    PromiseReject, PromiseResolve, ReflectApply, ReflectOwnKeys, RegExpPrototypeTest, String,
    StringPrototypeCharCodeAt, StringPrototypeSlice, StringPrototypeToWellFormed, TypeError,
    WeakMap, WeakMapPrototypeGet, decodeURIComponent, encodeURIComponent, escape, unescape,
  } = runtime.primordials;
  // Installed before this capability: url (URLSearchParams), encoding (TextDecoder).
  const searchParamsToString = global.URLSearchParams.prototype.toString;
  const TextDecoderCtor = global.TextDecoder;
  const textDecode = TextDecoderCtor.prototype.decode;
  let lenientDecoder = null;

  const isSearchParams = (value) => value !== null && typeof value === 'object' && runtime.accepts(searchParamsToString, value);

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

  Object.assign(shared, { bodies, bodyState, extractBody, installBodyMethods });
});
