// Guest side of text and base64 encoding: TextEncoder, TextDecoder (UTF-8, UTF-16LE/BE and
// windows-1252, as the Encoding Standard decodes them), atob and btoa (forgiving base64).
// Plain JavaScript inside the isolate: no host call, nothing crosses.
(function installEncoding(global, runtime, expose) {
  'use strict';

  const {
    ArrayPrototypeJoin, ArrayPrototypePush, ObjectDefineProperty, RangeError, ReflectApply, String,
    StringFromCharCode, StringPrototypeCharCodeAt, StringPrototypeReplace, StringPrototypeSlice,
    StringPrototypeToLowerCase, SymbolToStringTag, TypeError, Uint16Array,
    Uint16ArrayPrototypeSubarray, Uint8Array, Uint8ArrayPrototypeSet, Uint8ArrayPrototypeSlice,
  } = runtime.primordials;
  // DOMException comes from the web capability, installed before this one.
  const DOMExceptionCtor = global.DOMException;

  // ---- bytes of a BufferSource, read through the intrinsics (own properties cannot lie) ----

  const { of: bufferSourceBytes, typedArrayTag: typedArrayTagOf } = runtime.bytes;

  /** A string of `count` UTF-16 code units from `units`, without one huge argument list. */
  function codeUnitsToString(units, start, count) {
    const parts = [];
    for (let i = start; i < count; i += 8192) {
      const end = i + 8192 < count ? i + 8192 : count;
      ArrayPrototypePush(parts, ReflectApply(StringFromCharCode, undefined, Uint16ArrayPrototypeSubarray(units, i, end)));
    }
    return ArrayPrototypeJoin(parts, '');
  }

  // ---- UTF-8 ---------------------------------------------------------------------------------

  /** UTF-8 bytes of a string; lone surrogates become U+FFFD, as USVString conversion does. */
  function utf8Encode(text) {
    const length = text.length;
    const out = new Uint8Array(length * 3);
    let n = 0;
    for (let i = 0; i < length; i++) {
      let c = StringPrototypeCharCodeAt(text, i);
      if (c < 0x80) {
        out[n++] = c;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < length ? StringPrototypeCharCodeAt(text, i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 0x3f);
      } else if (c < 0x10000) {
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      } else {
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
      }
    }
    return Uint8ArrayPrototypeSlice(out, 0, n);
  }

  /**
   * The Encoding Standard's UTF-8 decoder, one byte at a time. `state` carries an unfinished
   * sequence between calls (streaming). Each maximal invalid subpart becomes one U+FFFD.
   */
  function utf8Decode(bytes, state, flush, fatal) {
    // At most one unit per byte, plus a U+FFFD for a sequence left over from an earlier chunk.
    const out = { units: new Uint16Array(bytes.length + 2), count: 0 };
    let { needed, seen, codePoint, lower, upper } = state;
    const fail = () => {
      if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
      out.units[out.count++] = 0xfffd;
    };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (needed === 0) {
        if (byte < 0x80) out.units[out.count++] = byte;
        else if (byte >= 0xc2 && byte <= 0xdf) {
          needed = 1;
          codePoint = byte & 0x1f;
        } else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0;
          if (byte === 0xed) upper = 0x9f;
          needed = 2;
          codePoint = byte & 0xf;
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90;
          if (byte === 0xf4) upper = 0x8f;
          needed = 3;
          codePoint = byte & 0x7;
        } else fail();
        continue;
      }
      if (byte < lower || byte > upper) {
        codePoint = needed = seen = 0;
        lower = 0x80;
        upper = 0xbf;
        fail();
        i--; // the byte starts over as the first of a new sequence
        continue;
      }
      lower = 0x80;
      upper = 0xbf;
      codePoint = (codePoint << 6) | (byte & 0x3f);
      if (++seen !== needed) continue;
      if (codePoint > 0xffff) {
        const offset = codePoint - 0x10000;
        out.units[out.count++] = 0xd800 + (offset >> 10);
        out.units[out.count++] = 0xdc00 + (offset & 0x3ff);
      } else out.units[out.count++] = codePoint;
      codePoint = needed = seen = 0;
    }
    if (flush && needed !== 0) {
      codePoint = needed = seen = 0;
      lower = 0x80;
      upper = 0xbf;
      fail();
    }
    state.needed = needed;
    state.seen = seen;
    state.codePoint = codePoint;
    state.lower = lower;
    state.upper = upper;
    return out;
  }

  function utf16Decode(bytes, state, flush, fatal, bigEndian) {
    const out = { units: new Uint16Array(bytes.length + 3), count: 0 };
    let input = bytes;
    if (state.leftover !== null) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = state.leftover;
      Uint8ArrayPrototypeSet(joined, bytes, 1);
      input = joined;
      state.leftover = null;
    }
    const even = input.length - (input.length % 2);
    for (let i = 0; i < even; i += 2) {
      const unit = bigEndian ? (input[i] << 8) | input[i + 1] : input[i] | (input[i + 1] << 8);
      const pending = state.lead;
      if (pending !== null) {
        state.lead = null;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          out.units[out.count++] = pending;
          out.units[out.count++] = unit;
          continue;
        }
        if (fatal) throw new TypeError(`The encoded data was not valid for encoding utf-16${bigEndian ? 'be' : 'le'}`);
        out.units[out.count++] = 0xfffd;
      }
      if (unit >= 0xd800 && unit <= 0xdbff) state.lead = unit;
      else if (unit >= 0xdc00 && unit <= 0xdfff) {
        if (fatal) throw new TypeError(`The encoded data was not valid for encoding utf-16${bigEndian ? 'be' : 'le'}`);
        out.units[out.count++] = 0xfffd;
      } else out.units[out.count++] = unit;
    }
    if (even !== input.length) state.leftover = input[even];
    if (flush && (state.lead !== null || state.leftover !== null)) {
      state.lead = null;
      state.leftover = null;
      if (fatal) throw new TypeError(`The encoded data was not valid for encoding utf-16${bigEndian ? 'be' : 'le'}`);
      out.units[out.count++] = 0xfffd;
    }
    return out;
  }

  // windows-1252 (what the standard decodes "latin1", "ascii" and "iso-8859-1" as): bytes
  // 0x80-0x9F map to these code points, every other byte to itself.
  const windows1252High = [
    0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
    0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
  ];
  function windows1252Decode(bytes) {
    const out = { units: new Uint16Array(bytes.length), count: bytes.length };
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      out.units[i] = byte >= 0x80 && byte <= 0x9f ? windows1252High[byte - 0x80] : byte;
    }
    return out;
  }

  // Tables are built on first use: an execution that never decodes text does not pay for them.
  let encodingLabels = null;
  function encodingOf(label) {
    if (encodingLabels === null) {
      encodingLabels = { __proto__: null };
      for (const [encoding, labels] of [
        ['utf-8', ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']],
        ['utf-16le', ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff', 'utf-16', 'utf-16le']],
        ['utf-16be', ['unicodefffe', 'utf-16be']],
        ['windows-1252', [
          'ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100', 'iso8859-1',
          'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252', 'x-cp1252',
        ]],
      ]) {
        for (const label of labels) encodingLabels[label] = encoding;
      }
    }
    return encodingLabels[label];
  }

  const asciiWhitespaceEdges = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    #state = null;
    #bomSeen = false;
    constructor(label = 'utf-8', options = undefined) {
      const key = StringPrototypeToLowerCase(StringPrototypeReplace(String(label), asciiWhitespaceEdges, ''));
      const encoding = encodingOf(key);
      if (encoding === undefined) throw new RangeError(`The encoding label provided ('${String(label)}') is not supported.`);
      this.#encoding = encoding;
      this.#fatal = options !== undefined && options !== null && !!options.fatal;
      this.#ignoreBOM = options !== undefined && options !== null && !!options.ignoreBOM;
    }
    get encoding() {
      return this.#encoding;
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input = undefined, options = undefined) {
      let bytes;
      if (input === undefined) bytes = new Uint8Array(0);
      else {
        bytes = bufferSourceBytes(input);
        if (bytes === null) throw new TypeError('TextDecoder.decode: the input must be an ArrayBuffer or an ArrayBufferView');
      }
      const stream = options !== undefined && options !== null && !!options.stream;
      if (this.#state === null) {
        this.#state = { needed: 0, seen: 0, codePoint: 0, lower: 0x80, upper: 0xbf, lead: null, leftover: null };
        this.#bomSeen = false;
      }
      let out;
      try {
        if (this.#encoding === 'utf-8') out = utf8Decode(bytes, this.#state, !stream, this.#fatal);
        else if (this.#encoding === 'windows-1252') out = windows1252Decode(bytes);
        else out = utf16Decode(bytes, this.#state, !stream, this.#fatal, this.#encoding === 'utf-16be');
      } catch (error) {
        this.#state = null;
        throw error;
      }
      let start = 0;
      if (!this.#bomSeen && out.count > 0) {
        this.#bomSeen = true;
        if (!this.#ignoreBOM && out.units[0] === 0xfeff && this.#encoding !== 'windows-1252') start = 1;
      }
      if (!stream) this.#state = null;
      return codeUnitsToString(out.units, start, out.count);
    }
  }
  ObjectDefineProperty(TextDecoder.prototype, SymbolToStringTag, { value: 'TextDecoder', configurable: true });

  class TextEncoder {
    get encoding() {
      return 'utf-8';
    }
    encode(input = '') {
      return utf8Encode(String(input));
    }
    encodeInto(source, destination) {
      const text = String(source);
      if (typedArrayTagOf(destination) !== 'Uint8Array') {
        throw new TypeError('TextEncoder.encodeInto: the destination must be a Uint8Array');
      }
      const capacity = bufferSourceBytes(destination).length;
      let read = 0;
      let written = 0;
      while (read < text.length) {
        // One code point at a time, so a character never ends up half-written.
        const c = StringPrototypeCharCodeAt(text, read);
        const pair = c >= 0xd800 && c <= 0xdbff && read + 1 < text.length && (StringPrototypeCharCodeAt(text, read + 1) & 0xfc00) === 0xdc00;
        const encoded = utf8Encode(pair ? StringFromCharCode(c, StringPrototypeCharCodeAt(text, read + 1)) : StringFromCharCode(c));
        if (written + encoded.length > capacity) break;
        Uint8ArrayPrototypeSet(destination, encoded, written);
        written += encoded.length;
        read += pair ? 2 : 1;
      }
      return { read, written };
    }
  }
  ObjectDefineProperty(TextEncoder.prototype, SymbolToStringTag, { value: 'TextEncoder', configurable: true });

  // ---- base64 --------------------------------------------------------------------------------

  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let sextets = null;
  function sextetTable() {
    if (sextets === null) {
      sextets = new Uint8Array(128).fill(255);
      for (let i = 0; i < 64; i++) sextets[StringPrototypeCharCodeAt(alphabet, i)] = i;
    }
    return sextets;
  }
  const asciiWhitespace = /[\t\n\f\r ]/g;

  function invalidCharacter(message) {
    return new DOMExceptionCtor(message, 'InvalidCharacterError');
  }

  function btoa(data) {
    if (arguments.length === 0) throw new TypeError('btoa: 1 argument required, but only 0 present');
    const text = String(data);
    const out = [];
    const length = text.length;
    for (let i = 0; i < length; i += 3) {
      const a = StringPrototypeCharCodeAt(text, i);
      const b = i + 1 < length ? StringPrototypeCharCodeAt(text, i + 1) : 0;
      const c = i + 2 < length ? StringPrototypeCharCodeAt(text, i + 2) : 0;
      if (a > 0xff || b > 0xff || c > 0xff) throw invalidCharacter('btoa: the string contains characters outside of the Latin1 range');
      const bits = (a << 16) | (b << 8) | c;
      out[out.length] = alphabet[bits >> 18];
      out[out.length] = alphabet[(bits >> 12) & 63];
      out[out.length] = i + 1 < length ? alphabet[(bits >> 6) & 63] : '=';
      out[out.length] = i + 2 < length ? alphabet[bits & 63] : '=';
    }
    return ArrayPrototypeJoin(out, '');
  }

  /** The forgiving-base64 decode of the HTML standard. */
  function atob(data) {
    if (arguments.length === 0) throw new TypeError('atob: 1 argument required, but only 0 present');
    let text = StringPrototypeReplace(String(data), asciiWhitespace, '');
    if (text.length % 4 === 0) {
      if (text[text.length - 1] === '=') text = text[text.length - 2] === '=' ? StringPrototypeSlice(text, 0, -2) : StringPrototypeSlice(text, 0, -1);
    }
    if (text.length % 4 === 1) throw invalidCharacter('atob: the string to be decoded is not correctly encoded');
    const out = { units: new Uint16Array(text.length), count: 0 };
    const table = sextetTable();
    let buffer = 0;
    let bits = 0;
    for (let i = 0; i < text.length; i++) {
      const code = StringPrototypeCharCodeAt(text, i);
      const value = code < 128 ? table[code] : 255;
      if (value === 255) throw invalidCharacter('atob: the string to be decoded is not correctly encoded');
      buffer = (buffer << 6) | value;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.units[out.count++] = (buffer >> bits) & 0xff;
      }
    }
    return codeUnitsToString(out.units, 0, out.count);
  }

  for (const Class of [TextEncoder, TextDecoder]) runtime.platform.register(Class.prototype);
  expose('TextEncoder', TextEncoder);
  expose('TextDecoder', TextDecoder);
  expose('atob', atob);
  expose('btoa', btoa);
});
