// Receipts and attestation in the service: every finished execution (sync, async, stored) is
// answered with one receipt, the same every time, signed by the node's key after redaction;
// the node's keys over time at /v1/attestation/keys; attestation documents at /v1/attestation.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Attestor } from '../../src/attestation/document.ts';
import { SigningKey } from '../../src/attestation/keys.ts';
import { replayResult } from '../../src/attestation/replay.ts';
import { verifyResult } from '../../src/attestation/verify.ts';
import { loadConfig } from '../../src/service/config.ts';
import { startService, type RunningService } from '../../src/service/server.ts';
import { fakeTsm, type FakeTsm } from '../support/fake-tsm.ts';
import { Api } from './helpers.ts';

const source = "export default async (params) => { console.log('for', params.name); return { hello: params.name, token: secrets.get('token') }; }";

async function start(dataDir: string, flags: string[] = [], env: Record<string, string> = {}, attestor?: Attestor): Promise<{ service: RunningService; api: Api }> {
  const config = loadConfig(['--data-dir', dataDir, '--port', '0', '--executors', '0', '--shutdown-grace', '5000', '--node-id', 'node-a', ...flags], { TEEJS_ADMIN_KEY: 'teejs_admin_test_key_0123456789abcdef', ...env });
  const service = await startService(config, attestor ? { attestor } : {});
  return { service, api: new Api(service.url) };
}

describe('receipts and attestation in the service', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-attest-'));
  const admin = 'teejs_admin_test_key_0123456789abcdef';
  let tsm: FakeTsm;
  let running: { service: RunningService; api: Api } | undefined;
  let user: { id: string; key: string };
  let fnId: string;
  const receipts: Array<{ execution: any }> = [];

  before(async () => {
    tsm = fakeTsm();
    running = await start(dataDir, [], {}, new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs, collateralPath: fileURLToPath(new URL('../fixtures/dcap-qvl/tdx_quote_collateral.json', import.meta.url)) }));
    user = await running.api.newUser(admin, 'alice');
    assert.equal((await running.api.put('/v1/secrets/token', user.key, { value: 'tok-secret-value' })).status, 201);
    fnId = (await running.api.newFunction(user.key, { name: 'hello', source, allowedSecrets: ['token'] })).id;
  });
  after(async () => {
    await running?.service.stop();
    rmSync(dataDir, { recursive: true, force: true });
    tsm.remove();
  });

  it('a sync execution answers a receipt over the redacted result; the stored one answers the same receipt', async () => {
    const { api, service } = running!;
    const answer = await api.post(`/v1/functions/${fnId}/executions`, user.key, { params: { name: 'ada' } });
    assert.equal(answer.status, 200, answer.text);
    const execution = answer.body;
    assert.equal(execution.result.token, '[REDACTED]');
    const receipt = execution.receipt;
    assert.equal(receipt.publicKey, service.signingKey.publicKey);
    assert.equal(receipt.claims.functionVersion, 1);
    const report = verifyResult(execution, { source, params: { name: 'ada' }, publicKey: service.signingKey.keyId });
    assert.deepEqual(report.failures, []);
    const stored = await api.get(`/v1/executions/${execution.executionId}`, user.key);
    assert.deepEqual(stored.body.receipt, receipt);
    assert.equal(JSON.stringify(stored.body.receipt), JSON.stringify(receipt), 'byte for byte');
    assert.deepEqual(verifyResult(stored.body).failures, []);
    const listed = await api.get(`/v1/functions/${fnId}/executions`, user.key);
    assert.deepEqual(listed.body.items[0].receipt, receipt);
    receipts.push({ execution });
  });

  it('an async execution has no receipt while running, then the same one on every read', async () => {
    const { api } = running!;
    const accepted = await api.post(`/v1/functions/${fnId}/executions`, user.key, { params: { name: 'bob' }, async: true });
    assert.equal(accepted.status, 202);
    const settled = await api.settled(accepted.body.executionId, user.key);
    assert.deepEqual(verifyResult(settled, { params: { name: 'bob' } }).failures, []);
    const again = await api.get(`/v1/executions/${settled.executionId}`, user.key);
    assert.deepEqual(again.body.receipt, settled.receipt);
  });

  it('an error result and a new version are signed with their error code and version', async () => {
    const { api } = running!;
    assert.equal((await api.patch(`/v1/functions/${fnId}`, user.key, { source: 'export default () => { throw new Error("x") }' })).status, 200);
    const answer = await api.post(`/v1/functions/${fnId}/executions`, user.key, {});
    assert.equal(answer.body.status, 'error');
    assert.equal(answer.body.receipt.claims.errorCode, 'RUNTIME_ERROR');
    assert.equal(answer.body.receipt.claims.functionVersion, 2);
    assert.deepEqual(verifyResult(answer.body, { params: {} }).failures, []);
    assert.equal((await api.patch(`/v1/functions/${fnId}`, user.key, { source })).status, 200);
  });

  it('a deterministic function signs deterministic: true and its receipt replays', { timeout: 240_000 }, async () => {
    const { api } = running!;
    const dice = 'export default async (params) => ({ roll: Math.floor(Math.random() * 6) + 1, at: Date.now(), n: params.n })';
    const created = await api.newFunction(user.key, { name: 'dice', source: dice, deterministic: true });
    assert.equal(created.deterministic, true);
    const answer = await api.post(`/v1/functions/${created.id}/executions`, user.key, { params: { n: 1 } });
    assert.equal(answer.body.receipt.claims.deterministic, true);
    assert.equal(answer.body.result.at, Date.parse(answer.body.startedAt), 'the clock starts at startedAt');
    const replay = await replayResult(answer.body, { source: dice, params: { n: 1 } });
    assert.deepEqual(replay.failures, []);
    const versions = await api.get(`/v1/functions/${created.id}/versions`, user.key);
    assert.equal(versions.body.items[0].deterministic, true);
  });

  it('GET /v1/attestation/keys lists the node key, public and cacheable', async () => {
    const { api, service } = running!;
    const answer = await api.get('/v1/attestation/keys');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('cache-control') ?? '', /public, max-age=\d+/);
    assert.equal(answer.body.nodeId, 'node-a');
    assert.deepEqual(
      answer.body.keys.map((key: any) => [key.keyId, key.publicKey, key.origin, key.retiredAt]),
      [[service.signingKey.keyId, service.signingKey.publicKey, 'generated', null]],
    );
  });

  it('GET /v1/attestation binds the key to a nonce with a (fake) TDX quote; bad nonces are a 400', async () => {
    const { api, service } = running!;
    const nonce = 'c3'.repeat(32);
    const answer = await api.get(`/v1/attestation?nonce=${nonce}`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.publicKey, service.signingKey.publicKey);
    assert.equal(answer.body.evidence.provider, 'tdx_guest');
    const requests = tsm.requests;
    assert.deepEqual((await api.get(`/v1/attestation?nonce=${nonce}`)).body, answer.body);
    assert.equal(tsm.requests, requests, 'one quote per key and nonce');
    // The operator's collateral (--quote-collateral) travels in the document; the fake tree's
    // quote carries the right report data but not a signature over it.
    assert.equal(typeof answer.body.evidence.collateral.tcb_info, 'string');
    const report = verifyResult(receipts[0]!.execution, { attestation: answer.body, at: new Date('2025-07-01T00:00:00Z') });
    assert.deepEqual(report.failures, ['attestation.quote.signature: ISV enclave report signature is invalid']);
    assert.ok(report.checked.includes('attestation.quote.reportData'));
    assert.equal(report.quote?.collateralSource, 'document');

    for (const bad of ['', 'nonce=', 'nonce=abc', `nonce=${'zz'.repeat(16)}`, `nonce=${'ab'.repeat(15)}`, `nonce=${'ab'.repeat(65)}`, `nonce=${nonce}&extra=1`]) {
      const refused = await api.get(`/v1/attestation?${bad}`);
      assert.equal(refused.status, 400, bad);
      assert.equal(refused.body.error.code, 'VALIDATION_ERROR', bad);
      assert.match(refused.body.error.message, /nonce|querystring|query parameter/, bad);
    }
  });

  it('an unreadable configfs-tsm answers provider none with the reason, and the service keeps running', async () => {
    const { api } = running!;
    tsm.failReads('EIO');
    try {
      const answer = await api.get(`/v1/attestation?nonce=${'d4'.repeat(16)}`);
      assert.equal(answer.status, 200);
      assert.equal(answer.body.evidence.provider, 'none');
      assert.match(answer.body.evidence.reason, /EIO/);
      assert.equal((await api.get('/ready')).status, 200);
    } finally {
      tsm.failReads(null);
    }
  });

  it('a restart keeps the key; --rotate-signing-key retires it and old receipts stay verifiable by the listed keys', async () => {
    const first = running!.service.signingKey;
    await running!.service.stop();
    running = undefined;
    running = await start(dataDir);
    assert.equal(running.service.signingKey.keyId, first.keyId);
    assert.equal(running.service.signingKey.created, false);
    // No configfs-tsm at the default path here: provider none.
    const plain = await running.api.get(`/v1/attestation?nonce=${'e5'.repeat(16)}`);
    assert.equal(plain.body.evidence.provider, 'none');
    await running.service.stop();
    running = undefined;

    running = await start(dataDir, ['--rotate-signing-key']);
    const rotated = running.service.signingKey;
    assert.notEqual(rotated.keyId, first.keyId);
    assert.equal(rotated.retiredKeyId, first.keyId);
    const keys = (await running.api.get('/v1/attestation/keys')).body.keys;
    assert.deepEqual(keys.map((key: any) => [key.keyId, key.retiredAt === null]), [
      [first.keyId, false],
      [rotated.keyId, true],
    ]);
    const old = receipts[0]!.execution;
    const stored = await running.api.get(`/v1/executions/${old.executionId}`, user.key);
    assert.deepEqual(stored.body.receipt, old.receipt, 'a rotation never re-signs what was answered');
    const listed = keys.find((key: any) => key.keyId === old.receipt.keyId);
    assert.ok(listed.activatedAt <= old.receipt.claims.startedAt && old.receipt.claims.finishedAt <= listed.retiredAt);
    assert.deepEqual(verifyResult(stored.body, { publicKey: listed.publicKey }).failures, []);
    const fresh = await running.api.post(`/v1/functions/${fnId}/executions`, user.key, { params: { name: 'cy' } });
    assert.equal(fresh.body.receipt.keyId, rotated.keyId);
    await running.service.stop();
    running = undefined;
  });

  it('TEEJS_SIGNING_KEY signs instead (never stored); a malformed one refuses to start', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const given = SigningKey.fromPem(pem);
    running = await start(dataDir, [], { TEEJS_SIGNING_KEY: pem });
    assert.equal(running.service.signingKey.keyId, given.keyId);
    assert.equal(running.service.signingKey.origin, 'environment');
    const answer = await running.api.post(`/v1/functions/${fnId}/executions`, user.key, { params: { name: 'di' } });
    assert.equal(answer.body.receipt.publicKey, given.publicKey);
    const keys = (await running.api.get('/v1/attestation/keys')).body.keys;
    assert.equal(keys.at(-1).keyId, given.keyId);
    assert.equal(keys.at(-1).origin, 'environment');
    const rows = await running.service.store.listSigningKeys();
    assert.equal(rows.find((row) => row.keyId === given.keyId)?.sealedPrivateKey, null);
    await running.service.stop();
    running = undefined;

    await assert.rejects(start(dataDir, [], { TEEJS_SIGNING_KEY: 'not a key' }), { name: 'KeyError', message: /TEEJS_SIGNING_KEY is not a PEM private key/ });
    await assert.rejects(start(dataDir, ['--rotate-signing-key'], { TEEJS_SIGNING_KEY: pem }), { name: 'SigningKeyError' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await assert.rejects(start(dataDir, [], { TEEJS_SIGNING_KEY: rsa }), { name: 'KeyError', message: /rsa key, not an Ed25519 key/ });
  });
});
