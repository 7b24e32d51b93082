// fetch from guest code against a loopback server: the web-standard shapes, every refusal of
// the network policy (hosts, schemes, private addresses after DNS, redirects, methods,
// headers, ports), the per-execution limits and the network record.
import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/index.ts';
import type { ExecutionRequest } from '../../src/core/types.ts';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';
import { until } from '../support/wait.ts';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.ts';

let server: LoopbackServer;
// The loopback server is a private address: these engines are told to allow it.
let open: Engine;
// The default policy for private networks (blocked), with every public host allowed.
let guarded: Engine;

before(async () => {
  server = await startLoopbackServer();
  open = makeEngine({ network: { allowHosts: ['127.0.0.1', 'localhost'], allowHttp: true, allowPrivateNetwork: true } });
  guarded = makeEngine({ network: { allowHosts: ['*'], allowHttp: true } });
});

after(async () => {
  await server.close();
  await Promise.all([open.drain(), guarded.drain()]);
});

function guest(engine: Engine, body: string, request: Partial<ExecutionRequest> = {}) {
  return run(engine, moduleOf(body), { params: { origin: server.origin, port: server.port }, ...request });
}

/** Runs `expression` (a fetch) in the guest and returns what it threw: [name, message, is a TypeError]. */
async function refusal(engine: Engine, expression: string, request: Partial<ExecutionRequest> = {}) {
  const result = await guest(
    engine,
    `try { await ${expression}; return 'no error'; } catch (e) { return [e.name, e.message, e instanceof TypeError]; }`,
    request,
  );
  return { thrown: succeeded(result) as [string, string, boolean] | 'no error', result };
}

describe('fetch: the web-standard shapes', () => {
  test('GET answers a Response with status, headers, url and a JSON body', async () => {
    const result = await guest(
      open,
      `const res = await fetch(params.origin + '/json?x=1');
       return {
         isResponse: res instanceof Response, proto: Object.getPrototypeOf(res) === Response.prototype,
         status: res.status, statusText: res.statusText, ok: res.ok, url: res.url, redirected: res.redirected, type: res.type,
         contentType: res.headers.get('Content-Type'), hasCookie: res.headers.has('set-cookie'),
         cookies: res.headers.getSetCookie(), multi: res.headers.get('x-multi'),
         keys: [...res.headers.keys()].filter((k) => k.startsWith('x-') || k === 'set-cookie'),
         headersInstance: res.headers instanceof Headers,
         body: await res.json(), usedAfter: res.bodyUsed,
       };`,
    );
    assert.deepEqual(succeeded(result), {
      isResponse: true,
      proto: true,
      status: 200,
      statusText: 'OK',
      ok: true,
      url: `${server.origin}/json?x=1`,
      redirected: false,
      type: 'basic',
      contentType: 'application/json',
      hasCookie: true,
      cookies: ['a=1', 'b=2'],
      multi: 'one, two',
      keys: ['set-cookie', 'set-cookie', 'x-multi'],
      headersInstance: true,
      body: { ok: true, method: 'GET', query: '?x=1' },
      usedAfter: true,
    });
  });

  test('request bodies: string, JSON, bytes, ArrayBuffer and URLSearchParams, with their content types', async () => {
    const result = await guest(
      open,
      `const send = async (body, headers) => {
         const res = await fetch(params.origin + '/echo', { method: 'POST', body, headers });
         const seen = await res.json();
         return [seen.bodyHex, seen.headers['content-type'] ?? null, seen.headers['content-length']];
       };
       return {
         text: await send('héllo'),
         json: await send(JSON.stringify({ a: 1 }), { 'content-type': 'application/json' }),
         bytes: await send(new Uint8Array([0, 1, 254, 255])),
         buffer: await send(new Uint8Array([7, 8, 9]).buffer),
         view: await send(new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)),
         form: await send(new URLSearchParams({ q: 'a b', x: 'é' })),
       };`,
    );
    assert.deepEqual(succeeded(result), {
      text: [Buffer.from('héllo').toString('hex'), 'text/plain;charset=UTF-8', '6'],
      json: [Buffer.from('{"a":1}').toString('hex'), 'application/json', '7'],
      bytes: ['0001feff', null, '4'],
      buffer: ['070809', null, '3'],
      view: ['0203', null, '2'],
      form: [Buffer.from('q=a+b&x=%C3%A9').toString('hex'), 'application/x-www-form-urlencoded;charset=UTF-8', '14'],
    });
  });

  test('response bodies as text (UTF-8, BOM dropped, bad bytes replaced), bytes and ArrayBuffer, read once', async () => {
    const result = await guest(
      open,
      `const get = (path) => fetch(params.origin + path);
       const text = await (await get('/text')).text();
       const bom = await (await get('/bytes?hex=efbbbf4869')).text();
       const bad = await (await get('/bytes?hex=41ff42')).text();
       const bytes = Array.from(await (await get('/bytes?hex=00ff10')).bytes());
       const buffer = await (await get('/bytes?hex=0102')).arrayBuffer();
       const once = await get('/text');
       await once.text();
       let again;
       try { await once.text(); } catch (e) { again = e.name + ': ' + e.message; }
       const cloned = await get('/text');
       const copy = cloned.clone();
       return { text, bom, bad, bytes, buffer: [buffer instanceof ArrayBuffer, buffer.byteLength], again,
                clone: [await cloned.text(), await copy.text()] };`,
    );
    assert.deepEqual(succeeded(result), {
      text: 'héllo wörld €',
      bom: 'Hi',
      bad: 'A\uFFFDB',
      bytes: [0, 255, 16],
      buffer: [true, 2],
      again: 'TypeError: Body is unusable: Body has already been read',
      clone: ['héllo wörld €', 'héllo wörld €'],
    });
  });

  test('a Request object as input, method and header normalisation, status text, immutable response headers', async () => {
    const result = await guest(
      open,
      `const request = new Request(params.origin + '/echo', { method: 'put', headers: [['X-One', ' 1 '], ['x-one', '2']], body: 'b' });
       const res = await fetch(request);
       const seen = await res.json();
       const status = await fetch(params.origin + '/status?code=418&text=Teapot');
       let immutable;
       try { res.headers.set('x', 'y'); } catch (e) { immutable = e.name; }
       return { method: seen.method, one: seen.headers['x-one'], requestUsed: request.bodyUsed,
                status: [status.status, status.statusText, status.ok], immutable };`,
    );
    assert.deepEqual(succeeded(result), {
      method: 'PUT',
      one: '1, 2',
      requestUsed: true,
      status: [418, 'Teapot', false],
      immutable: 'TypeError',
    });
  });

  test('Headers, Request and Response behave as the standard says without a network', async () => {
    const result = await guest(
      open,
      `const h = new Headers({ 'B': '2', 'a': '1' });
       h.append('a', '3'); h.append('Set-Cookie', 'x=1'); h.append('set-cookie', 'y=2');
       const entries = [...h];
       let badName, badValue, getBody, trace;
       try { new Headers({ 'bad name': 'x' }); } catch (e) { badName = e.name; }
       try { new Headers({ a: 'x\\ny' }); } catch (e) { badValue = e.name; }
       try { new Request('https://x.example/', { body: 'no' }); } catch (e) { getBody = e.name; }
       try { new Request('https://x.example/', { method: 'TRACE' }); } catch (e) { trace = e.name; }
       const made = new Response('hi', { status: 201, headers: { 'x-a': 'b' } });
       const json = Response.json({ a: 1 });
       const redirect = Response.redirect('https://x.example/next', 307);
       let badStatus;
       try { new Response(null, { status: 99 }); } catch (e) { badStatus = e.name; }
       return { entries, badName, badValue, getBody, trace, badStatus,
                made: [made.status, made.headers.get('content-type'), await made.text()],
                json: [json.headers.get('content-type'), await json.json()],
                redirect: [redirect.status, redirect.headers.get('location')],
                error: [Response.error().type, Response.error().status],
                relative: (() => { try { new Request('/relative'); } catch (e) { return e.name; } })() };`,
    );
    assert.deepEqual(succeeded(result), {
      entries: [['a', '1, 3'], ['b', '2'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']],
      badName: 'TypeError',
      badValue: 'TypeError',
      getBody: 'TypeError',
      trace: 'TypeError',
      badStatus: 'RangeError',
      made: [201, 'text/plain;charset=UTF-8', 'hi'],
      json: ['application/json', { a: 1 }],
      redirect: [307, 'https://x.example/next'],
      error: ['error', 0],
      relative: 'TypeError',
    });
  });
});

describe('fetch: the network record', () => {
  test('allowed and refused requests are recorded with method, origin and path, status, bytes and time', async () => {
    const result = await guest(
      open,
      `await (await fetch(params.origin + '/echo?apikey=SECRET-123', { method: 'POST', body: 'abc' })).text();
       try { await fetch('https://not-allowed.example/x'); } catch {}
       return 'done';`,
    );
    succeeded(result);
    assert.equal(result.network.length, 2);
    const [allowed, blocked] = result.network;
    assert.equal(allowed!.method, 'POST');
    assert.equal(allowed!.url, `${server.origin}/echo`, 'the query (where API keys travel) is not recorded');
    assert.equal(allowed!.status, 200);
    assert.equal(allowed!.bytesOut, 3);
    assert.ok(allowed!.bytesIn > 10);
    assert.ok(allowed!.durationMs >= 0);
    assert.equal(allowed!.blocked, undefined);
    assert.deepEqual({ ...blocked, durationMs: 0 }, {
      method: 'GET',
      url: 'https://not-allowed.example/x',
      status: null,
      bytesIn: 0,
      bytesOut: 0,
      durationMs: 0,
      blocked: 'host not allowed: not-allowed.example',
    });
    assert.doesNotMatch(JSON.stringify(result), /SECRET-123/);
  });
});

describe('fetch: the host allow-list', () => {
  test('a host outside the list is refused with a catchable TypeError, before anything connects', async () => {
    const before = server.seen.length;
    const narrow = makeEngine({ network: { allowHosts: ['localhost'], allowHttp: true, allowPrivateNetwork: true } });
    const { thrown } = await refusal(narrow, 'fetch(params.origin + "/json")');
    assert.deepEqual(thrown, ['TypeError', 'host not allowed: 127.0.0.1', true]);
    assert.equal(server.seen.length, before);
    await narrow.drain();
  });

  test('no allow-list at all refuses every URL', async () => {
    const closed = makeEngine();
    const { thrown } = await refusal(closed, 'fetch("https://example.com/")');
    assert.deepEqual(thrown, ['TypeError', 'host not allowed: example.com', true]);
    await closed.drain();
  });

  test('wildcards match subdomains on a dot boundary only', async () => {
    // Every name resolves to the loopback server, so only the allow-list decides.
    const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as unknown as LookupFunction;
    const wild = makeEngine({ network: { allowHosts: ['*.example.test'], allowHttp: true, allowPrivateNetwork: true, lookup } });
    const result = await guest(
      wild,
      `const outcome = async (host) => {
         try { const res = await fetch('http://' + host + ':' + params.port + '/json'); return res.status; }
         catch (e) { return e.message; }
       };
       return Promise.all(['api.example.test', 'a.b.EXAMPLE.test.', 'example.test', 'evil-example.test', 'example.test.evil.test'].map(outcome));`,
    );
    assert.deepEqual(succeeded(result), [
      200,
      200,
      'host not allowed: example.test',
      'host not allowed: evil-example.test',
      'host not allowed: example.test.evil.test',
    ]);
    await wild.drain();
  });

  test('a function narrows the operator list and cannot widen it', async () => {
    const narrowed = await refusal(open, 'fetch(params.origin + "/json")', { network: { allowHosts: ['localhost'] } });
    assert.deepEqual(narrowed.thrown, ['TypeError', "host not allowed: 127.0.0.1 (not in the function's allow-list)", true]);
    const widened = await refusal(open, 'fetch("https://example.com/")', { network: { allowHosts: ['example.com'] } });
    assert.deepEqual(widened.thrown, ['TypeError', 'host not allowed: example.com', true]);
    const kept = await guest(open, 'return (await fetch(params.origin + "/json")).status;', { network: { allowHosts: ['127.0.0.1'] } });
    assert.equal(succeeded(kept), 200);
  });

  test('a malformed network field of a request is a VALIDATION_ERROR', async () => {
    const bad = [{ allowHosts: 'x' }, { allowHosts: ['a/b'] }, { allowHosts: ['*.'] }, { allowHosts: ['http://x'] }, { other: true }];
    for (const network of bad) {
      const result = await guest(open, 'return 1;', { network: network as ExecutionRequest['network'] });
      failed(result, 'VALIDATION_ERROR');
    }
  });
});

describe('fetch: schemes, methods, headers, ports', () => {
  test('http is refused unless allowed; other schemes always', async () => {
    const httpsOnly = makeEngine({ network: { allowHosts: ['*'] } });
    assert.deepEqual((await refusal(httpsOnly, 'fetch("http://example.com/")')).thrown, [
      'TypeError',
      'http not allowed (https only): http://example.com',
      true,
    ]);
    assert.deepEqual((await refusal(httpsOnly, 'fetch("ftp://example.com/")')).thrown, ['TypeError', 'unsupported URL scheme: ftp:', true]);
    assert.deepEqual((await refusal(httpsOnly, 'fetch("data:text/plain,hi")')).thrown, ['TypeError', 'unsupported URL scheme: data:', true]);
    await httpsOnly.drain();
  });

  test('methods outside the operator list are refused; CONNECT and TRACE never exist', async () => {
    const getOnly = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, methods: ['GET'] } });
    assert.deepEqual((await refusal(getOnly, 'fetch(params.origin + "/echo", { method: "POST", body: "x" })')).thrown, [
      'TypeError',
      'method not allowed: POST',
      true,
    ]);
    const trace = await refusal(open, 'fetch(params.origin + "/echo", { method: "TRACE" })');
    assert.equal((trace.thrown as string[])[0], 'TypeError');
    await getOnly.drain();
  });

  test('forbidden request headers are refused, whatever their case', async () => {
    for (const header of ['Host', 'connection', 'Transfer-Encoding', 'Proxy-Authorization', 'proxy-anything', 'Content-Length', 'TE', 'Upgrade']) {
      const { thrown } = await refusal(open, `fetch(params.origin + "/echo", { headers: { ${JSON.stringify(header)}: "1" } })`);
      assert.deepEqual(thrown, ['TypeError', `forbidden request header: ${header.toLowerCase()}`, true], header);
    }
  });

  test('ports other protocols listen on are refused', async () => {
    const { thrown } = await refusal(open, 'fetch("http://127.0.0.1:25/")');
    assert.deepEqual(thrown, ['TypeError', 'port not allowed: 25', true]);
  });

  test('URLs with credentials are refused', async () => {
    const { thrown } = await refusal(open, 'fetch("http://user:pw@127.0.0.1:" + params.port + "/json")');
    assert.equal((thrown as string[])[0], 'TypeError');
    assert.match((thrown as string[])[1]!, /credentials/);
  });
});

describe('fetch: private addresses are blocked on the address connected to', () => {
  const spellings: Array<[string, string]> = [
    ['127.0.0.1', 'private address blocked: 127.0.0.1 (loopback)'],
    ['localhost', 'private address blocked: localhost resolves to 127.0.0.1 (loopback)'],
    ['2130706433', 'private address blocked: 127.0.0.1 (loopback)'],
    ['0x7f000001', 'private address blocked: 127.0.0.1 (loopback)'],
    ['0177.0.0.1', 'private address blocked: 127.0.0.1 (loopback)'],
    ['[::1]', 'private address blocked: ::1 (loopback)'],
    ['[::ffff:127.0.0.1]', 'private address blocked: ::ffff:7f00:1 (ipv4-mapped)'],
    ['0.0.0.0', 'private address blocked: 0.0.0.0 (unspecified)'],
    ['10.1.2.3', 'private address blocked: 10.1.2.3 (private)'],
    ['192.168.1.1', 'private address blocked: 192.168.1.1 (private)'],
    ['172.16.0.1', 'private address blocked: 172.16.0.1 (private)'],
    ['100.64.0.1', 'private address blocked: 100.64.0.1 (shared)'],
    ['169.254.169.254', 'private address blocked: 169.254.169.254 (metadata)'],
    ['[fd00::1]', 'private address blocked: fd00::1 (unique-local)'],
    ['[fe80::1]', 'private address blocked: fe80::1 (link-local)'],
  ];
  for (const [host, message] of spellings) {
    test(`http://${host}/ is refused without connecting`, async () => {
      const before = server.seen.length;
      const { thrown, result } = await refusal(guarded, `fetch("http://${host}:" + params.port + "/json")`);
      assert.deepEqual(thrown, ['TypeError', message, true]);
      assert.equal(server.seen.length, before, 'the server saw nothing');
      assert.equal(result.network[0]!.blocked, message);
      assert.equal(result.network[0]!.status, null);
    });
  }

  test('a name the resolver maps to a private address is refused (DNS rebinding)', async () => {
    // A resolver that answers as a rebinding attacker's DNS server would: a private address.
    const rebinding = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      const addresses = [{ address: '10.0.0.7', family: 4 }, { address: '127.0.0.1', family: 4 }];
      if (options?.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, 4);
    }) as unknown as LookupFunction;
    const engine = makeEngine({ network: { allowHosts: ['*'], allowHttp: true, lookup: rebinding } });
    const { thrown } = await refusal(engine, 'fetch("http://rebind.example:" + params.port + "/json")');
    assert.deepEqual(thrown, ['TypeError', 'private address blocked: rebind.example resolves to 10.0.0.7 (private)', true]);
    await engine.drain();
  });

  test('metadata addresses stay blocked even when private networks are allowed', async () => {
    const { thrown } = await refusal(
      makeEngine({ network: { allowHosts: ['*'], allowHttp: true, allowPrivateNetwork: true } }),
      'fetch("http://169.254.169.254/latest/meta-data/")',
    );
    assert.deepEqual(thrown, ['TypeError', 'private address blocked: 169.254.169.254 (metadata)', true]);
  });

  test('the operator flag opens private networks (loopback here)', async () => {
    const result = await guest(open, 'return (await fetch("http://localhost:" + params.port + "/json")).status;');
    assert.equal(succeeded(result), 200);
  });
});

describe('fetch: redirects', () => {
  test('a chain is followed, each hop recorded, the final URL and redirected reported', async () => {
    const result = await guest(
      open,
      `const res = await fetch(params.origin + '/redirect?n=3');
       return [res.status, res.url, res.redirected, (await res.json()).method];`,
    );
    assert.deepEqual(succeeded(result), [200, `${server.origin}/echo`, true, 'GET']);
    assert.deepEqual(
      result.network.map((r) => r.status),
      [302, 302, 302, 200],
    );
  });

  test('more than 5 hops is refused', async () => {
    const { thrown, result } = await refusal(open, 'fetch(params.origin + "/redirect?n=6")');
    assert.deepEqual(thrown, ['TypeError', 'too many redirects: more than 5', true]);
    assert.equal(result.network.length, 6);
  });

  test('a redirect to a blocked address, or to a host outside the list, is refused at that hop', async () => {
    const anyHost = makeEngine({ network: { allowHosts: ['*'], allowHttp: true, allowPrivateNetwork: true } });
    const toMetadata = await refusal(anyHost, 'fetch(params.origin + "/redirect?to=" + encodeURIComponent("http://169.254.169.254/latest"))');
    assert.deepEqual(toMetadata.thrown, ['TypeError', 'private address blocked: 169.254.169.254 (metadata)', true]);
    assert.deepEqual(
      toMetadata.result.network.map((r) => [r.status, r.blocked ?? null]),
      [[302, null], [null, 'private address blocked: 169.254.169.254 (metadata)']],
    );
    const toOther = await refusal(open, 'fetch(params.origin + "/redirect?to=" + encodeURIComponent("https://elsewhere.example/"))');
    assert.deepEqual(toOther.thrown, ['TypeError', 'host not allowed: elsewhere.example', true]);
    await anyHost.drain();
  });

  test('redirect modes manual and error', async () => {
    const result = await guest(
      open,
      `const manual = await fetch(params.origin + '/redirect?n=1', { redirect: 'manual' });
       let error;
       try { await fetch(params.origin + '/redirect?n=1', { redirect: 'error' }); } catch (e) { error = [e.name, e.message]; }
       return { manual: [manual.status, manual.headers.get('location'), manual.redirected], error };`,
    );
    assert.deepEqual(succeeded(result), {
      manual: [302, '/echo', false],
      error: ['TypeError', 'redirect not allowed (redirect: "error"): 302 to /echo'],
    });
  });

  test('303 turns a POST into a GET without body; 307 keeps both; credentials stay with their origin', async () => {
    const result = await guest(
      open,
      `const see = await (await fetch(params.origin + '/redirect?n=1&status=303', { method: 'POST', body: 'payload' })).json();
       const keep = await (await fetch(params.origin + '/redirect?n=1&status=307', { method: 'POST', body: 'payload' })).json();
       const cross = await (await fetch(params.origin + '/redirect?to=' + encodeURIComponent('http://localhost:' + params.port + '/echo'),
         { headers: { authorization: 'Bearer t', 'x-keep': 'k' } })).json();
       return { see: [see.method, see.bodyHex], keep: [keep.method, keep.bodyHex],
                cross: [cross.headers.authorization ?? null, cross.headers['x-keep']] };`,
    );
    assert.deepEqual(succeeded(result), {
      see: ['GET', ''],
      keep: ['POST', Buffer.from('payload').toString('hex')],
      cross: [null, 'k'],
    });
  });
});

describe('fetch: limits', () => {
  test('at most maxRequests per execution, redirect hops included; the first refusal is recorded', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, maxRequests: 3 } });
    const result = await guest(
      engine,
      `const out = [];
       for (let i = 0; i < 5; i++) {
         try { out.push((await fetch(params.origin + '/json')).status); } catch (e) { out.push(e.message); }
       }
       return out;`,
    );
    const limit = 'too many requests: the limit is 3 per execution';
    assert.deepEqual(succeeded(result), [200, 200, 200, limit, limit]);
    assert.equal(result.network.length, 4);
    assert.equal(result.network[3]!.blocked, limit);
    await engine.drain();
  });

  test('requests fired all at once: at most maxRequests are accepted, the rest refused at once', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, maxRequests: 10, maxConcurrent: 2 } });
    const local = await startLoopbackServer();
    const result = await run(
      engine,
      moduleOf(`const outcomes = await Promise.allSettled(Array.from({ length: 300 }, () => fetch(params.origin + '/slow?ms=20')));
                return outcomes.map((o) => o.status === 'fulfilled' ? o.value.status : o.reason.message)
                  .reduce((count, key) => ({ ...count, [key]: (count[key] ?? 0) + 1 }), {});`),
      { params: { origin: local.origin } },
    );
    assert.deepEqual(succeeded(result), { 200: 10, 'too many requests: the limit is 10 per execution': 290 });
    assert.equal(result.network.length, 11);
    assert.equal(local.seen.length, 10);
    await local.close();
    await engine.drain();
  });

  test('at most maxConcurrent requests at once; the others wait their turn', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, maxConcurrent: 2 } });
    const local = await startLoopbackServer();
    const result = await run(
      engine,
      moduleOf(`return Promise.all(Array.from({ length: 6 }, () => fetch(params.origin + '/slow?ms=150').then((r) => r.text())));`),
      { params: { origin: local.origin } },
    );
    assert.deepEqual(succeeded(result), Array(6).fill('late'));
    assert.equal(local.maxInFlight(), 2);
    await local.close();
    await engine.drain();
  });

  test('a waiting request that is aborted gives its turn to the next one', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, maxConcurrent: 1 } });
    const result = await guest(
      engine,
      `const first = fetch(params.origin + '/slow?ms=100').then((r) => r.text());
       const controller = new AbortController();
       const waiting = fetch(params.origin + '/json', { signal: controller.signal }).then(() => 'not aborted', (e) => e.name);
       const next = fetch(params.origin + '/json').then((r) => r.status);
       controller.abort();
       return Promise.all([first, waiting, next]);`,
    );
    assert.deepEqual(succeeded(result), ['late', 'AbortError', 200]);
    await engine.drain();
  });

  test('request bodies over the limit are refused', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, maxRequestBodyBytes: 1000 } });
    const { thrown } = await refusal(engine, 'fetch(params.origin + "/echo", { method: "POST", body: "x".repeat(1001) })');
    assert.deepEqual(thrown, ['TypeError', 'request body too large: 1001 bytes, the limit is 1000', true]);
    await engine.drain();
  });

  test('the default response limit (5 MB) refuses a declared size and cuts off a streamed body', async () => {
    const declared = await refusal(open, 'fetch(params.origin + "/large?size=" + (5 * 1024 * 1024 + 1))');
    assert.deepEqual(declared.thrown, ['TypeError', 'response too large: 5242881 bytes declared, the limit is 5242880', true]);
    const streamed = await refusal(open, 'fetch(params.origin + "/stream?size=" + (8 * 1024 * 1024))');
    assert.deepEqual(streamed.thrown, ['TypeError', 'response too large: more than 5242880 bytes', true]);
    const record = streamed.result.network[0]!;
    assert.equal(record.blocked, 'response too large: more than 5242880 bytes');
    assert.ok(record.bytesIn > 5242880 && record.bytesIn < 6 * 1024 * 1024, `cut off while streaming (${record.bytesIn} bytes read)`);
    const fits = await guest(open, 'return (await (await fetch(params.origin + "/stream?size=" + (4 * 1024 * 1024))).arrayBuffer()).byteLength;');
    assert.equal(succeeded(fits), 4 * 1024 * 1024);
  });

  test('a request that takes longer than requestTimeoutMs is stopped', async () => {
    const engine = makeEngine({ network: { allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, requestTimeoutMs: 200 } });
    const { thrown, result } = await refusal(engine, 'fetch(params.origin + "/slow?ms=3000")');
    assert.deepEqual(thrown, ['TypeError', `request timed out after 200 ms: ${server.origin}`, true]);
    assert.equal(result.network[0]!.error, 'timeout');
    await engine.drain();
  });

  test('an AbortSignal stops the request: the promise rejects with its reason and the connection closes', async () => {
    const local = await startLoopbackServer();
    const result = await run(
      open,
      moduleOf(`
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        let first;
        try { await fetch(params.origin + '/slow?ms=3000', { signal: controller.signal }); } catch (e) { first = [e.name, e instanceof DOMException]; }
        let second;
        try { await fetch(params.origin + '/json', { signal: AbortSignal.abort('stop') }); } catch (e) { second = e; }
        let third;
        try { await fetch(params.origin + '/slow?ms=3000', { signal: AbortSignal.timeout(50) }); } catch (e) { third = e.name; }
        return { first, second, third };`),
      { params: { origin: local.origin } },
    );
    assert.deepEqual(succeeded(result), { first: ['AbortError', true], second: 'stop', third: 'TimeoutError' });
    assert.deepEqual(
      result.network.map((r) => r.error),
      ['aborted', 'aborted'],
      'the already-aborted fetch never reached the host',
    );
    // The server notices the closed connections when a busy machine lets it.
    await until('the server saw both connections closed', () => local.abortedByClient() >= 2);
    assert.equal(local.abortedByClient(), 2);
    await local.close();
  });

  test('a connection that dies mid-body is a catchable TypeError, and the host lives on', async () => {
    const { thrown } = await refusal(open, 'fetch(params.origin + "/reset").then((r) => r.text())');
    assert.equal((thrown as string[])[0], 'TypeError');
    assert.match((thrown as string[])[1]!, /^fetch failed: /);
    const after = await guest(open, 'return (await fetch(params.origin + "/json")).status;');
    assert.equal(succeeded(after), 200);
  });

  test('an execution that ends with fetches in flight leaves nothing behind', async () => {
    const local = await startLoopbackServer();
    const result = await run(open, moduleOf(`fetch(params.origin + '/slow?ms=5000').catch(() => {}); await new Promise((r) => setTimeout(r, 100)); return 'left';`), {
      params: { origin: local.origin },
    });
    assert.equal(succeeded(result), 'left');
    await until('the request was cancelled when the execution ended', () => local.abortedByClient() >= 1);
    assert.equal(local.abortedByClient(), 1);
    await local.close();
  });
});
