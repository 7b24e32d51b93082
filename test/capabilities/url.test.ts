// URL and URLSearchParams in the guest (ext/url), checked against Node's implementation of the
// same standard: the same inputs go through both, and both answers must be equal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineOfFile } from '../support/engine.ts';

const { inGuest } = engineOfFile();

const urlInputs: Array<[string, string?]> = [
  ['https://user:pw@EXAMPLE.com:443/a/./b/../c?x=1&y=%20z#frag'],
  ['http://example.com:8080/p?q'],
  ['HTTP://[::FFFF:127.0.0.1]:80/'],
  ['http://0x7f.1/'],
  ['http://2130706433/'],
  ['https://bücher.example/ä?ö=ü#ß'],
  ['../x?y#z', 'https://a.b/c/d/e'],
  ['//other.host/p', 'https://a.b/'],
  ['?only', 'https://a.b/path?old'],
  ['file:///etc/hosts'],
  ['data:text/plain,hello world'],
  ['mailto:someone@example.com'],
  ['blob:https://a.b/uuid'],
  ['https://a.b/%zz/%41'],
  ['  https://trim.me/  '],
  ['https://tab\t.example/'],
  ['not a url'],
  ['https://'],
  ['http://[::1'],
  ['/relative'],
];

describe('URL', () => {
  test('parses exactly as the WHATWG URL standard (Node as the reference)', async () => {
    const components = (url: URL) => [url.href, url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash];
    const expected = urlInputs.map(([input, base]) => {
      const url = URL.parse(input, base);
      return url ? components(url) : null;
    });
    const actual = await inGuest(
      `const components = (url) => [url.href, url.origin, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash];
       return params.inputs.map(([input, base]) => { try { return components(new URL(input, base)); } catch (e) { return e instanceof TypeError ? null : 'wrong error'; } });`,
      { inputs: urlInputs },
    );
    assert.deepEqual(actual, expected);
  });

  test('setters, searchParams kept in step, statics, serialisation', async () => {
    const result = await inGuest(`
      const url = new URL('https://example.com/a?x=1#h');
      url.pathname = '/b c';
      url.hash = '';
      url.port = '8443';
      url.hostname = 'EXAMPLE.org';
      url.protocol = 'http';
      url.username = 'me';
      url.searchParams.append('y', 'a b&c');
      const afterAppend = url.href;
      url.search = '?z=9';
      const entries = [...url.searchParams];
      url.searchParams.delete('z');
      const emptied = url.href;
      url.port = 'not a port';
      let badHref;
      try { url.href = 'nope'; } catch (e) { badHref = e.name; }
      return {
        afterAppend, params: entries, emptied, port: url.port, badHref,
        canParse: [URL.canParse('x:'), URL.canParse('/a'), URL.canParse('/a', 'https://b/')],
        parse: [URL.parse('nope'), URL.parse('https://p.example/')?.host],
        json: JSON.stringify({ u: new URL('https://x.y/') }),
        string: String(new URL('a:b')),
        tag: Object.prototype.toString.call(url),
        frozen: Object.isFrozen(URL.prototype) && Object.isFrozen(URL),
        noArgs: (() => { try { new URL(); } catch (e) { return e.name; } })(),
      };`);
    assert.deepEqual(result, {
      afterAppend: 'http://me@example.org:8443/b%20c?x=1&y=a+b%26c',
      params: [['z', '9']],
      emptied: 'http://me@example.org:8443/b%20c',
      port: '8443',
      badHref: 'TypeError',
      canParse: [true, false, true],
      parse: [null, 'p.example'],
      json: '{"u":"https://x.y/"}',
      string: 'a:b',
      tag: '[object URL]',
      frozen: true,
      noArgs: 'TypeError',
    });
  });
});

describe('URLSearchParams', () => {
  const inits: unknown[] = [
    '?a=1&b=2&a=3',
    'a=%zz&b=%C3%A9+x&c=%E2%82&d&=e&&f=',
    'q=a+b%2Bc',
    [['x', '1'], ['y', 'é'], ['x', '~*!\'()']],
    { b: '2', a: '1 +', 'é': 'ü', space: ' ' },
    '',
  ];

  test('parses and serialises as the standard says (Node as the reference)', async () => {
    const describe = (p: URLSearchParams) => ({ string: p.toString(), entries: [...p], size: p.size, a: p.get('a'), all: p.getAll('a'), hasA: p.has('a') });
    const expected = inits.map((init) => describe(new URLSearchParams(init as string)));
    const actual = await inGuest(
      `const describe = (p) => ({ string: p.toString(), entries: [...p], size: p.size, a: p.get('a'), all: p.getAll('a'), hasA: p.has('a') });
       return params.inits.map((init) => describe(new URLSearchParams(init)));`,
      { inits },
    );
    assert.deepEqual(actual, expected);
  });

  test('mutations: append, set, delete (with value), sort (stable), forEach, lone surrogates', async () => {
    const script = (p: URLSearchParams) => {
      p.append('b', '2');
      p.append('a', '1');
      p.append('b', '3');
      p.set('c', 'x');
      p.append('c', 'y');
      p.set('c', 'z');
      p.delete('b', '2');
      p.append('\uD800', '\uDC00x');
      const order: string[] = [];
      p.forEach((value, key) => order.push(`${key}=${value}`));
      p.sort();
      return { string: p.toString(), order, has: [p.has('b', '3'), p.has('b', '2')] };
    };
    const expected = script(new URLSearchParams());
    const actual = await inGuest(`
      const p = new URLSearchParams();
      p.append('b', '2'); p.append('a', '1'); p.append('b', '3'); p.set('c', 'x'); p.append('c', 'y'); p.set('c', 'z');
      p.delete('b', '2'); p.append('\\uD800', '\\uDC00x');
      const order = []; p.forEach((value, key) => order.push(key + '=' + value));
      p.sort();
      return { string: p.toString(), order, has: [p.has('b', '3'), p.has('b', '2')] };`);
    assert.deepEqual(actual, expected);
  });
});
