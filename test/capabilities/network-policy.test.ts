// The host side of fetch without a guest: address classification, host patterns, the
// operator's options, the wire format a guest sends, and a session's deadline.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutionScope } from '../../src/core/capability.ts';
import { addressRefusal, classifyAddress } from '../../src/core/ext/fetch/address.ts';
import {
  hostMatches,
  parseFunctionNetwork,
  parseHostPattern,
  resolveNetworkPolicy,
  urlRefusal,
} from '../../src/core/ext/fetch/policy.ts';
import { FetchSession, parseWireRequest, recordedUrl } from '../../src/core/ext/fetch/session.ts';
import { GuestError } from '../../src/core/failure.ts';
import type { NetworkRecord } from '../../src/core/types.ts';
import { until } from '../support/wait.ts';
import { startLoopbackServer } from './loopback-server.ts';

describe('address classification', () => {
  const cases: Array<[string, string]> = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['100.128.0.1', 'public'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'ipv4-mapped'],
    ['::ffff:8.8.8.8', 'ipv4-mapped'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['::7f00:1', 'reserved'],
    ['not an address', 'reserved'],
  ];
  for (const [address, category] of cases) {
    test(`${address} is ${category}`, () => {
      assert.equal(classifyAddress(address), category);
    });
  }

  test('allowPrivateNetwork opens loopback, RFC 1918, CGNAT and ULA, never metadata or link-local', () => {
    for (const address of ['127.0.0.1', '10.1.1.1', '192.168.1.1', '100.64.1.1', 'fd00::1', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8']) {
      assert.equal(addressRefusal(address, true), null, address);
      assert.notEqual(addressRefusal(address, false), null, address);
    }
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '169.254.1.1', 'fe80::1', '0.0.0.0', '224.0.0.1', '::ffff:169.254.169.254']) {
      assert.notEqual(addressRefusal(address, true), null, address);
    }
    assert.equal(addressRefusal('93.184.215.14', false), null);
  });
});

describe('host patterns', () => {
  test('exact names, normalised like URL hosts (case, trailing dot, IDN, IP spellings)', () => {
    assert.deepEqual(parseHostPattern('API.Example.COM'), { kind: 'exact', host: 'api.example.com' });
    assert.deepEqual(parseHostPattern('example.com.'), { kind: 'exact', host: 'example.com' });
    assert.deepEqual(parseHostPattern('bücher.example'), { kind: 'exact', host: 'xn--bcher-kva.example' });
    assert.deepEqual(parseHostPattern('0x7f.1'), { kind: 'exact', host: '127.0.0.1' });
    assert.deepEqual(parseHostPattern('[::1]'), { kind: 'exact', host: '[::1]' });
    assert.deepEqual(parseHostPattern('*'), { kind: 'any' });
    assert.deepEqual(parseHostPattern('*.Example.com'), { kind: 'subdomains', suffix: '.example.com' });
  });

  test('malformed patterns are refused with a reason', () => {
    for (const bad of ['', 'a b', 'http://example.com', 'example.com:443', 'example.com/path', 'a*.example.com', '*.*.example.com', '*.', '*.127.0.0.1', 'user@host', 42, null]) {
      assert.throws(() => parseHostPattern(bad), TypeError, String(bad));
    }
  });

  test('wildcards match on a dot boundary only', () => {
    const patterns = [parseHostPattern('*.example.com')];
    assert.equal(hostMatches('api.example.com', patterns), true);
    assert.equal(hostMatches('a.b.example.com', patterns), true);
    assert.equal(hostMatches('API.EXAMPLE.COM.', patterns), true);
    assert.equal(hostMatches('example.com', patterns), false);
    assert.equal(hostMatches('evil-example.com', patterns), false);
    assert.equal(hostMatches('example.com.evil.net', patterns), false);
    assert.equal(hostMatches('notexample.com', patterns), false);
  });

  test('exact patterns match exactly, IP literals only exactly', () => {
    const patterns = [parseHostPattern('example.com'), parseHostPattern('127.0.0.1')];
    assert.equal(hostMatches('example.com', patterns), true);
    assert.equal(hostMatches('www.example.com', patterns), false);
    assert.equal(hostMatches('127.0.0.1', patterns), true);
    assert.equal(hostMatches('127.0.0.2', patterns), false);
    assert.equal(hostMatches('1.0.0.127', [parseHostPattern('*.0.0.127.in-addr.arpa')]), false);
  });
});

describe('the operator policy', () => {
  test('defaults: nothing allowed, https only, private networks closed, the original limits', () => {
    const policy = resolveNetworkPolicy();
    assert.deepEqual(policy.allowHosts, []);
    assert.equal(policy.allowHttp, false);
    assert.equal(policy.allowPrivateNetwork, false);
    assert.deepEqual([...policy.methods], ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
    assert.equal(policy.maxRequests, 50);
    assert.equal(policy.maxConcurrent, 6);
    assert.equal(policy.maxRequestBodyBytes, 1024 * 1024);
    assert.equal(policy.maxResponseBodyBytes, 5 * 1024 * 1024);
    assert.equal(policy.requestTimeoutMs, 10_000);
    assert.equal(policy.maxRedirects, 5);
    assert.ok(Object.isFrozen(policy));
  });

  test('bad options are refused', () => {
    assert.throws(() => resolveNetworkPolicy({ allowHosts: ['http://x'] }), TypeError);
    assert.throws(() => resolveNetworkPolicy({ maxRequests: -1 }), TypeError);
    assert.throws(() => resolveNetworkPolicy({ methods: ['GET POST'] }), TypeError);
  });

  test('urlRefusal says why', () => {
    const policy = resolveNetworkPolicy({ allowHosts: ['api.example.com'] });
    const why = (url: string, functionHosts = null as ReturnType<typeof parseFunctionNetwork>) => urlRefusal(new URL(url), policy, functionHosts);
    assert.equal(why('https://api.example.com/x'), null);
    assert.equal(why('http://api.example.com/x'), 'http not allowed (https only): http://api.example.com');
    assert.equal(why('https://other.example.com/'), 'host not allowed: other.example.com');
    assert.equal(why('https://api.example.com:22/'), 'port not allowed: 22');
    assert.equal(why('https://u:p@api.example.com/'), 'URL credentials not allowed');
    assert.equal(why('file:///etc/passwd'), 'unsupported URL scheme: file:');
    assert.equal(why('https://api.example.com/', parseFunctionNetwork({ allowHosts: ['other.example.com'] })), "host not allowed: api.example.com (not in the function's allow-list)");
  });

  test('a function narrowing accepts only allowHosts', () => {
    assert.equal(parseFunctionNetwork(undefined), null);
    assert.equal(parseFunctionNetwork({}), null);
    assert.deepEqual(parseFunctionNetwork({ allowHosts: ['a.example'] }), [{ kind: 'exact', host: 'a.example' }]);
    assert.throws(() => parseFunctionNetwork({ allowHttp: true }), /only narrow allowHosts/);
    assert.throws(() => parseFunctionNetwork([]), TypeError);
  });
});

describe('what a guest sends', () => {
  const valid = { id: 1, url: 'https://a.example/', method: 'GET', headers: [['Accept', 'x']], body: null, redirect: 'follow' };

  test('a well-formed request passes, header names lowercased', () => {
    assert.deepEqual(parseWireRequest(valid), { ...valid, headers: [['accept', 'x']] });
  });

  test('anything malformed is a guest TypeError', () => {
    const broken: unknown[] = [
      null,
      'GET /',
      { ...valid, id: 0 },
      { ...valid, url: 42 },
      { ...valid, url: 'x'.repeat(70_000) },
      { ...valid, method: 'GE T' },
      { ...valid, headers: 'a: b' },
      { ...valid, headers: [['a']] },
      { ...valid, headers: [['bad name', 'x']] },
      { ...valid, headers: [['a', 'line\r\nbreak']] },
      { ...valid, headers: [['a', 'ā']] },
      { ...valid, headers: Array.from({ length: 300 }, () => ['a', 'b']) },
      { ...valid, body: 42 },
      { ...valid, body: 'not bytes: ā' },
      { ...valid, redirect: 'sometimes' },
    ];
    for (const wire of broken) {
      assert.throws(() => parseWireRequest(wire), (error: unknown) => error instanceof GuestError && error.guestName === 'TypeError', JSON.stringify(wire)?.slice(0, 80));
    }
  });

  test('the recorded URL keeps origin and path, never credentials, query or fragment', () => {
    assert.equal(recordedUrl(new URL('https://u:p@api.example.com:8443/v1/price?apikey=SECRET#x')), 'https://api.example.com:8443/v1/price');
  });
});

describe('a fetch session', () => {
  function scope(deadline: number, network: NetworkRecord[], signal: AbortSignal): ExecutionScope {
    return {
      executionId: 'e',
      functionId: 'f',
      userId: 'u',
      deadline,
      maxTimers: 10,
      allowedSecrets: null,
      secretsRead: new Set(),
      logs: { write() {} },
      network,
      networkAllowHosts: null,
      signal,
    };
  }

  test('a request never outlives the execution deadline', async () => {
    const server = await startLoopbackServer();
    const policy = resolveNetworkPolicy({ allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true, requestTimeoutMs: 10_000 });
    const network: NetworkRecord[] = [];
    const ending = new AbortController();
    const session = new FetchSession(policy, scope(Date.now() + 300, network, ending.signal), null);
    const started = Date.now();
    await assert.rejects(
      session.send({ id: 1, url: `${server.origin}/slow?ms=5000`, method: 'GET', headers: [], body: null, redirect: 'follow' }),
      (error: unknown) => error instanceof GuestError && /^request timed out after \d+ ms/.test(error.message) && Number(/after (\d+)/.exec(error.message)![1]) <= 300,
    );
    // Not when the server answers (5 s), however late a busy machine stops it.
    assert.ok(Date.now() - started < 4500, 'stopped at the deadline, not when the server answered');
    assert.equal(network[0]!.error, 'timeout');
    await assert.rejects(
      new FetchSession(policy, scope(Date.now() - 1, [], ending.signal), null).send({ id: 1, url: `${server.origin}/json`, method: 'GET', headers: [], body: null, redirect: 'follow' }),
      /the execution deadline has passed/,
    );
    session.close();
    await server.close();
  });

  test('closing the session (the execution ended) cancels requests in flight and refuses new ones', async () => {
    const server = await startLoopbackServer();
    const policy = resolveNetworkPolicy({ allowHosts: ['127.0.0.1'], allowHttp: true, allowPrivateNetwork: true });
    const session = new FetchSession(policy, scope(Date.now() + 60_000, [], new AbortController().signal), null);
    const pending = session.send({ id: 1, url: `${server.origin}/slow?ms=5000`, method: 'GET', headers: [], body: null, redirect: 'follow' });
    await until('the request reached the server', () => server.seen.length > 0);
    session.close();
    await assert.rejects(pending, GuestError);
    await assert.rejects(session.send({ id: 2, url: `${server.origin}/json`, method: 'GET', headers: [], body: null, redirect: 'follow' }), /execution has ended/);
    await until('the server saw the connection closed', () => server.abortedByClient() >= 1);
    assert.equal(server.abortedByClient(), 1);
    await server.close();
  });
});
