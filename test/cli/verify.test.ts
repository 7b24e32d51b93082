// `teejs run --signing-key`, `teejs verify`, `teejs attest` and `teejs measure` through the
// installed command: exit 0 valid, 1 invalid (one line per failed check), 2 usage error.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Attestor } from '../../src/attestation/document.ts';
import { SigningKey } from '../../src/attestation/keys.ts';
import { runtimeInfo } from '../../src/attestation/measurement.ts';
import type { ExecutionResult } from '../../src/core/types.ts';
import { fakeTsm } from '../support/fake-tsm.ts';
import { binDir, runProcess, type Finished } from '../support/spawn.ts';

const teejs = fileURLToPath(new URL('../../node_modules/.bin/teejs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/cli/hello.mjs', import.meta.url));
// Each test starts the command, some several times: a busy machine may take a minute per start.
const test = (name: string, fn: () => Promise<void>) => nodeTest(name, { timeout: 600_000 }, fn);

function cli(...args: string[]): Promise<Finished> {
  return runProcess(teejs, args, { env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` }, timeoutMs: 240_000 });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'teejs-verify-'));
const file = (name: string) => path.join(dir, name);
const keyFile = file('key.pem');
const nonce = 'a1'.repeat(32);
let resultText: string;
let result: ExecutionResult;
let key: SigningKey;

before(async () => {
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  key = SigningKey.fromFile(keyFile);
  const ran = await cli('run', fixture, '--json', '--params', '{"name":"ada"}', '--signing-key', keyFile);
  assert.equal(ran.code, 0, ran.stderr);
  resultText = ran.stdout;
  result = JSON.parse(resultText) as ExecutionResult;
  writeFileSync(file('result.json'), resultText);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('teejs verify', { concurrency: 2 }, () => {
  test('run --signing-key signs with that key; verify with source, params and key passes (exit 0)', async () => {
    assert.equal(result.receipt!.publicKey, key.publicKey);
    const finished = await cli('verify', file('result.json'), '--source', fixture, '--params', '{"name":"ada"}', `--key=${key.publicKey}`, '--measurement', runtimeInfo().measurement);
    assert.equal(finished.code, 0, finished.stdout + finished.stderr);
    assert.match(finished.stdout, /^valid: \d+ checks passed/);
  });

  test('a tampered result, wrong params and the wrong key: exit 1, one line per failed check', async () => {
    const tampered = JSON.parse(resultText) as ExecutionResult;
    tampered.result = { hi: 'eve' };
    writeFileSync(file('tampered.json'), JSON.stringify(tampered));
    const finished = await cli('verify', file('tampered.json'), '--params', '{"name":"eve"}', '--key', SigningKey.generate().keyId);
    assert.equal(finished.code, 1);
    assert.deepEqual(
      finished.stdout.trimEnd().split('\n').map((line) => line.split(':')[0]),
      ['key', 'resultSha256', 'paramsSha256'],
    );
    assert.equal(finished.stderr, '');
  });

  test('a truncated result file is invalid (exit 1), not a crash', async () => {
    writeFileSync(file('truncated.json'), resultText.slice(0, Math.floor(resultText.length * 0.8)));
    const finished = await cli('verify', file('truncated.json'));
    assert.equal(finished.code, 1);
    assert.match(finished.stdout, /^result: not valid JSON/);
  });

  test('usage errors: exit 2 with one line on stderr', async () => {
    for (const args of [['verify'], ['verify', file('missing.json')], ['verify', file('result.json'), '--key', 'nope'], ['verify', file('result.json'), '--params', '{']]) {
      const finished = await cli(...args);
      assert.equal(finished.code, 2, `${args.join(' ')}: ${finished.stdout}`);
      assert.match(finished.stderr, /^teejs: [^\n]+\n$/);
    }
  });

  test('attest with the same key (no configfs-tsm here: provider none with the reason), then verify --attestation', async () => {
    const attested = await cli('attest', '--nonce', nonce, '--signing-key', keyFile, '--tsm-path', file('no-tsm'), '--json');
    assert.equal(attested.code, 0, attested.stderr);
    const document = JSON.parse(attested.stdout) as Record<string, unknown> & { evidence: Record<string, unknown> };
    assert.equal(document.publicKey, key.publicKey);
    assert.equal(document.nonce, nonce);
    assert.equal(document.evidence.provider, 'none');
    assert.match(String(document.evidence.reason), /no configfs-tsm report interface/);
    writeFileSync(file('attestation.json'), attested.stdout);
    const verified = await cli('verify', file('result.json'), '--attestation', file('attestation.json'));
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, /note: no TEE quote \(provider none/);

    const other = JSON.parse(attested.stdout) as Record<string, unknown>;
    other.nonce = 'b2'.repeat(32);
    writeFileSync(file('replayed.json'), JSON.stringify(other));
    const replayed = await cli('verify', file('result.json'), '--attestation', file('replayed.json'));
    assert.equal(replayed.code, 1);
    assert.equal(replayed.stdout, 'attestation.reportData: reportData is not sha512(publicKey || nonce)\n');

    writeFileSync(file('cut.json'), readFileSync(file('attestation.json'), 'utf8').slice(0, 50));
    const cut = await cli('verify', file('result.json'), '--attestation', file('cut.json'));
    assert.equal(cut.code, 1);
    assert.match(cut.stdout, /^attestation: not valid JSON/);
  });

  test('a TDX quote (fake configfs tree): not checked without collateral; with it, the forged signature fails; a genuine one verifies', async () => {
    const tsm = fakeTsm('tdx_guest');
    let document: Awaited<ReturnType<Attestor['document']>>;
    try {
      document = await new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs }).document(key, nonce);
    } finally {
      tsm.remove();
    }
    writeFileSync(file('tdx.json'), JSON.stringify(document));
    const collateral = fileURLToPath(new URL('../fixtures/dcap-qvl/tdx_quote_collateral.json', import.meta.url));
    const at = '2025-07-01T00:00:00Z';

    const unchecked = await cli('verify', file('result.json'), '--attestation', file('tdx.json'));
    assert.equal(unchecked.code, 0, unchecked.stdout + unchecked.stderr);
    assert.match(unchecked.stdout, /attestation\.quote\.reportData/);
    assert.match(unchecked.stdout, /^note: attestation\.quote\.signature: not checked: no collateral/m);

    const required = await cli('verify', file('result.json'), '--attestation', file('tdx.json'), '--require-verified-quote');
    assert.equal(required.code, 1);
    assert.match(required.stdout, /^attestation\.quote\.signature: a verified TEE quote is required: no collateral/);

    const forged = await cli('verify', file('result.json'), '--attestation', file('tdx.json'), '--collateral', collateral, '--at', at);
    assert.equal(forged.code, 1);
    assert.equal(forged.stdout, 'attestation.quote.signature: ISV enclave report signature is invalid\n');

    const genuine = readFileSync(new URL('../fixtures/dcap-qvl/tdx_quote', import.meta.url)).toString('base64');
    writeFileSync(file('genuine.json'), JSON.stringify({ ...document, evidence: { ...document.evidence, quote: genuine } }));
    const verified = await cli('verify', file('result.json'), '--attestation', file('genuine.json'), '--collateral', collateral, '--at', at, '--json');
    assert.equal(verified.code, 1, 'the genuine quote is over another key: its report data is the one failure');
    const report = JSON.parse(verified.stdout) as { failures: string[]; checked: string[]; quote: { signature: string; tcbStatus: string } };
    assert.deepEqual(report.failures, ["attestation.quote.reportData: the quote's report-data field is not the document's reportData"]);
    assert.ok(report.checked.includes('attestation.quote.signature'));
    assert.equal(report.quote.tcbStatus, 'UpToDate');

    const expired = await cli('verify', file('result.json'), '--attestation', file('genuine.json'), '--collateral', collateral);
    assert.match(expired.stdout, /^attestation\.quote\.signature: TCBInfo expired$/m);

    for (const args of [['--collateral', collateral], ['--attestation', file('tdx.json'), '--at', 'yesterday'], ['--attestation', file('tdx.json'), '--collateral', file('absent.json')]]) {
      const usage = await cli('verify', file('result.json'), ...args);
      assert.equal(usage.code, 2, args.join(' '));
      assert.match(usage.stderr, /^teejs: [^\n]+\n$/);
    }
  });

  test('run --deterministic, then verify --replay re-runs it (exit 0); a non-deterministic run does not replay (exit 1)', async () => {
    const source = file('dice.mjs');
    writeFileSync(source, 'export default async (params) => ({ roll: Math.floor(Math.random() * 6) + 1, at: Date.now(), id: crypto.randomUUID(), n: params.n });\n');
    const ran = await cli('run', source, '--deterministic', '--params', '{"n":3}', '--json');
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal((JSON.parse(ran.stdout) as ExecutionResult).receipt!.claims.deterministic, true);
    writeFileSync(file('dice.json'), ran.stdout);
    const replayed = await cli('verify', file('dice.json'), '--replay', '--source', source, '--params', '{"n":3}');
    assert.equal(replayed.code, 0, replayed.stdout + replayed.stderr);
    assert.match(replayed.stdout, /checks passed \(.*replay\)/);

    const plain = await cli('run', source, '--params', '{"n":3}', '--json');
    writeFileSync(file('plain.json'), plain.stdout);
    const refused = await cli('verify', file('plain.json'), '--replay', '--source', source, '--params', '{"n":3}');
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, 'replay: the execution did not run deterministically, so its result cannot be reproduced\n');

    const usage = await cli('verify', file('dice.json'), '--replay');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^teejs: --replay needs --source and --params/);
  });

  test('attest refuses a malformed nonce (exit 2); measure prints the measurement', async () => {
    for (const bad of ['abc', 'zz'.repeat(16), '00'.repeat(15), '00'.repeat(65)]) {
      const finished = await cli('attest', '--nonce', bad);
      assert.equal(finished.code, 2, bad);
      assert.match(finished.stderr, /^teejs: --nonce: /);
    }
    const measured = await cli('measure');
    assert.equal(measured.code, 0);
    assert.equal(measured.stdout, `${runtimeInfo().measurement}\n`);
  });
});
