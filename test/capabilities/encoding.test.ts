// TextEncoder, TextDecoder, atob and btoa in the guest (ext/encoding), checked against Node's
// implementation of the same standards: the same inputs go through both, and both answers must be equal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineOfFile } from '../support/engine.ts';

const { inGuest } = engineOfFile();

describe('TextEncoder and TextDecoder', () => {
  const byteCases: number[][] = [
    [0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80],
    [0xef, 0xbb, 0xbf, 0x41],
    [0xff, 0xfe, 0x41],
    [0xf0, 0x9f, 0x98, 0x41, 0xc0, 0xe0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
    [0xc2],
    [0x80, 0xbf],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ];

  test('UTF-8 decoding, with replacement of bad bytes and BOM handling (Node as the reference)', async () => {
    const expected = byteCases.map((bytes) => [
      new TextDecoder().decode(new Uint8Array(bytes)),
      new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(bytes)),
      (() => {
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
        } catch (error) {
          return (error as Error).name;
        }
      })(),
    ]);
    const actual = await inGuest(
      `return params.cases.map((bytes) => [
         new TextDecoder().decode(new Uint8Array(bytes)),
         new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(bytes)),
         (() => { try { return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)); } catch (e) { return e.name; } })(),
       ]);`,
      { cases: byteCases },
    );
    assert.deepEqual(actual, expected);
  });

  test('streaming decodes split sequences; other encodings; encoding, encodeInto', async () => {
    const streamed = (() => {
      const decoder = new TextDecoder();
      return decoder.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + decoder.decode(new Uint8Array([0xac, 0xf0, 0x9f]), { stream: true }) + decoder.decode(new Uint8Array([0x98, 0x80]));
    })();
    const utf16 = new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]));
    const utf16be = new TextDecoder('utf-16be').decode(new Uint8Array([0x00, 0x41, 0xd8, 0x00]));
    const latin1 = new TextDecoder('latin1').decode(new Uint8Array([0x41, 0x80, 0x9f, 0xe9]));
    const into = (() => {
      const target = new Uint8Array(5);
      return [new TextEncoder().encodeInto('aé😀', target), Array.from(target)];
    })();
    const encoded = Array.from(new TextEncoder().encode('héllo 😀 \uD800 end'));
    const actual = await inGuest(`
      const decoder = new TextDecoder();
      const streamed = decoder.decode(new Uint8Array([0xe2, 0x82]), { stream: true }) + decoder.decode(new Uint8Array([0xac, 0xf0, 0x9f]), { stream: true }) + decoder.decode(new Uint8Array([0x98, 0x80]));
      const utf16 = new TextDecoder('utf-16le').decode(new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]));
      const utf16be = new TextDecoder('utf-16be').decode(new Uint8Array([0x00, 0x41, 0xd8, 0x00]));
      const latin1 = new TextDecoder('latin1').decode(new Uint8Array([0x41, 0x80, 0x9f, 0xe9]));
      const target = new Uint8Array(5);
      const into = [new TextEncoder().encodeInto('aé😀', target), Array.from(target)];
      const encoded = Array.from(new TextEncoder().encode('héllo 😀 \\uD800 end'));
      let badLabel;
      try { new TextDecoder('klingon'); } catch (e) { badLabel = e.name; }
      return { streamed, utf16, utf16be, latin1, into, encoded, badLabel,
               names: [new TextDecoder(' UTF8 ').encoding, new TextDecoder('ascii').encoding, new TextEncoder().encoding],
               fromView: new TextDecoder().decode(new DataView(new Uint8Array([0x41, 0x42, 0x43]).buffer, 1)) };`);
    assert.deepEqual(actual, {
      streamed,
      utf16,
      utf16be,
      latin1,
      into,
      encoded,
      badLabel: 'RangeError',
      names: ['utf-8', 'windows-1252', 'utf-8'],
      fromView: 'BC',
    });
  });
});

describe('atob and btoa', () => {
  test('RFC 4648 vectors, forgiving decoding, and the errors (Node as the reference)', async () => {
    const encodeInputs = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\u00ff\u00fe\u0000', 'é'];
    const decodeInputs = ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy', ' Zm9v\nYmFy\t', 'Zg', 'Zm8', 'Z', 'Zm9v=', 'Zm=9v', 'Zm9v*', '////'];
    const attempt = (fn: () => string) => {
      try {
        return fn();
      } catch (error) {
        return `${(error as Error).name}`;
      }
    };
    const expected = {
      encoded: encodeInputs.map((s) => attempt(() => btoa(s))),
      decoded: decodeInputs.map((s) => attempt(() => atob(s))),
      overLatin1: attempt(() => btoa('€')),
    };
    const actual = await inGuest(
      `const attempt = (fn) => { try { return fn(); } catch (e) { return e.name; } };
       return { encoded: params.enc.map((s) => attempt(() => btoa(s))), decoded: params.dec.map((s) => attempt(() => atob(s))),
                overLatin1: attempt(() => btoa('€')) };`,
      { enc: encodeInputs, dec: decodeInputs },
    );
    assert.deepEqual(actual, expected);
    assert.deepEqual((expected.encoded as string[]).slice(0, 7), ['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy']);
    assert.equal(expected.overLatin1, 'InvalidCharacterError');
  });
});
