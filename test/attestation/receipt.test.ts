// Receipts on the library's results and their offline verification: a valid receipt passes
// every check; any change to the result, the claims or the signature, a truncated receipt and
// the wrong key fail with one line per failed check, never an exception.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { jcs, jcsSha256, sha256Hex } from '../../src/attestation/hash.ts';
import { keyIdOf, SigningKey } from '../../src/attestation/keys.ts';
import { runtimeInfo } from '../../src/attestation/measurement.ts';
import { signResult } from '../../src/attestation/receipt.ts';
import { verifyResult } from '../../src/attestation/verify.ts';
import type { ExecutionResult } from '../../src/core/types.ts';
import { makeEngine, moduleOf, run } from '../support/engine.ts';

const key = SigningKey.generate();
const engine = makeEngine({ signingKey: key });
after(() => engine.close());

const source = moduleOf("console.log('hi', params.a); return { sum: params.a + 1, when: context.executionId.length };");

describe('receipts of the library', () => {
  test('a successful execution carries a receipt whose claims name code, inputs, outputs and runtime', async () => {
    const result = await run(engine, source, { params: { a: 41 } });
    assert.equal(result.status, 'success');
    const receipt = result.receipt!;
    assert.equal(receipt.alg, 'Ed25519');
    assert.equal(receipt.publicKey, key.publicKey);
    assert.equal(receipt.keyId, keyIdOf(key.publicKey));
    assert.match(receipt.signature, /^[A-Za-z0-9_-]{86}$/);
    const claims = receipt.claims;
    assert.equal(claims.executionId, result.executionId);
    assert.equal(claims.functionId, 'fn-test');
    assert.equal(claims.functionVersion, null);
    assert.equal(claims.userId, 'user-1');
    assert.equal(claims.sourceSha256, sha256Hex(source));
    assert.equal(claims.paramsSha256, jcsSha256({ a: 41 }));
    assert.equal(claims.resultSha256, jcsSha256({ sum: 42, when: 36 }));
    assert.equal(claims.errorCode, null);
    assert.equal(claims.logsSha256, jcsSha256(result.logs));
    assert.equal(claims.networkSha256, jcsSha256([]));
    assert.deepEqual(claims.limits, { timeoutMs: 60_000, memoryMb: 128 });
    assert.deepEqual(claims.runtime, runtimeInfo());
    const report = verifyResult(JSON.parse(JSON.stringify(result)), { source, params: { a: 41 }, publicKey: key.publicKey });
    assert.deepEqual(report.failures, []);
    assert.equal(report.valid, true);
  });

  test('an error result names its error code, and absent params are hashed as {}', async () => {
    const result = await run(engine, moduleOf("throw new Error('no');"));
    assert.equal(result.error?.code, 'RUNTIME_ERROR');
    assert.equal(result.receipt!.claims.errorCode, 'RUNTIME_ERROR');
    assert.equal(result.receipt!.claims.status, 'error');
    assert.equal(result.receipt!.claims.paramsSha256, jcsSha256({}));
    assert.equal(verifyResult(result, { params: {} }).valid, true);
  });

  test('a request refused before it ran is signed too', async () => {
    const result = await run(engine, source, { timeoutMs: -5 });
    assert.equal(result.error?.code, 'VALIDATION_ERROR');
    assert.equal(result.receipt!.claims.limits.timeoutMs, -5);
    assert.equal(verifyResult(result).valid, true);
  });

  test('a guest string with a lone surrogate is hashed as its well-formed form, on both sides', async () => {
    const result = await run(engine, moduleOf("console.log('\\ud800'); return '\\udc00x';"));
    assert.equal(result.status, 'success');
    assert.equal(result.receipt!.claims.resultSha256, sha256Hex('"\ufffdx"'));
    assert.equal(verifyResult(JSON.parse(JSON.stringify(result))).valid, true);
  });

  test('without a key of its own, an engine signs with one key for the whole process', async () => {
    const a = makeEngine();
    const b = makeEngine();
    try {
      const [first, second] = await Promise.all([run(a, source, { params: { a: 1 } }), run(b, source, { params: { a: 1 } })]);
      assert.equal(first.receipt!.publicKey, second.receipt!.publicKey);
      assert.notEqual(first.receipt!.publicKey, key.publicKey);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('signingKey null leaves the receipt out (an executor process: its host signs)', async () => {
    const unsigned = makeEngine({ signingKey: null });
    try {
      const result = await run(unsigned, source, { params: { a: 1 } });
      assert.equal(result.receipt, undefined);
      assert.deepEqual(verifyResult(result).failures, ['receipt: the result carries no receipt']);
    } finally {
      await unsigned.close();
    }
  });
});

describe('verifyResult refuses what was changed', () => {
  let signed: ExecutionResult;
  const fresh = async () => {
    signed ??= await run(engine, source, { params: { a: 1 } });
    return structuredClone(signed) as ExecutionResult & Record<string, unknown>;
  };

  const cases: Array<[string, (result: ExecutionResult & Record<string, unknown>) => void, RegExp]> = [
    ['the result value', (r) => void (r.result = { sum: 3, when: 36 }), /^resultSha256: /],
    ['a log line', (r) => void (r.logs[0]!.message = 'bye'), /^logsSha256: /],
    ['the network records', (r) => void r.network.push({ method: 'GET', url: 'https://x.test/', status: 200, bytesIn: 1, bytesOut: 0, durationMs: 1 }), /^networkSha256: /],
    ['the status', (r) => void (r.status = 'error'), /^status: /],
    ['the error', (r) => void (r.error = { code: 'TIMEOUT', message: 'x' }), /^errorCode: /],
    ['the execution id', (r) => void (r.executionId = 'other'), /^executionId: /],
    ['a claim', (r) => void (r.receipt!.claims.resultSha256 = jcsSha256({ sum: 3, when: 36 })), /^signature: /],
    ['the signature', (r) => void (r.receipt!.signature = `${r.receipt!.signature.slice(0, 10)}${r.receipt!.signature[10] === 'A' ? 'B' : 'A'}${r.receipt!.signature.slice(11)}`), /^signature: /],
    ['the key id', (r) => void (r.receipt!.keyId = '0'.repeat(64)), /^keyId: /],
    ['the public key (another key, same claims)', (r) => void (r.receipt!.publicKey = SigningKey.generate().publicKey), /^(keyId|signature): /],
  ];
  for (const [what, change, expected] of cases) {
    test(`changing ${what} fails with a line naming the check`, async () => {
      const result = await fresh();
      change(result);
      const report = verifyResult(result);
      assert.equal(report.valid, false);
      assert.ok(report.failures.some((line) => expected.test(line)), report.failures.join('\n'));
    });
  }

  test('the wrong expected key fails, by public key or by key id', async () => {
    const other = SigningKey.generate();
    assert.deepEqual(verifyResult(await fresh(), { publicKey: other.publicKey }).failures, ['key: the receipt is not signed with the expected key']);
    assert.deepEqual(verifyResult(await fresh(), { publicKey: other.keyId }).failures, ['key: the receipt is not signed with the expected key']);
    assert.equal(verifyResult(await fresh(), { publicKey: key.keyId }).valid, true);
  });

  test('wrong source or params fail', async () => {
    const report = verifyResult(await fresh(), { source: `${source} `, params: { a: 2 } });
    assert.deepEqual(
      report.failures.map((line) => line.split(':')[0]),
      ['sourceSha256', 'paramsSha256'],
    );
  });

  test('truncated or malformed receipts fail without throwing', async () => {
    const shapes: unknown[] = [null, 42, [], 'x', {}, { receipt: null }, { receipt: { alg: 'Ed25519' } }, { receipt: { claims: [] } }];
    const result = await fresh();
    const text = JSON.stringify(result.receipt);
    // Every cut of the receipt that still parses as JSON is refused.
    for (let cut = 1; cut < text.length; cut += 37) {
      try {
        shapes.push({ ...result, receipt: JSON.parse(text.slice(0, cut)) });
      } catch {
        // a cut that is not JSON is the CLI's concern (test/cli/verify.test.ts)
      }
    }
    const { claims: _claims, ...noClaims } = result.receipt!;
    shapes.push({ ...result, receipt: noClaims }, { ...result, receipt: { ...result.receipt, signature: undefined } });
    for (const shape of shapes) {
      const report = verifyResult(shape);
      assert.equal(report.valid, false, JSON.stringify(shape).slice(0, 200));
      assert.ok(report.failures.length > 0);
    }
  });

  test('re-signing replaces a receipt; JCS is insensitive to key order', async () => {
    const result = await fresh();
    const again = signResult(result, { source, params: { a: 1 }, limits: { timeoutMs: 1, memoryMb: 8 } }, key);
    assert.notEqual(again.receipt.signature, result.receipt!.signature);
    assert.equal(jcs({ b: 1, a: [1, { d: 2, c: 1 }] }), '{"a":[1,{"c":1,"d":2}],"b":1}');
    assert.equal(verifyResult(again).valid, true);
  });
});
