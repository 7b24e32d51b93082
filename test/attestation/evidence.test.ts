// Attestation documents and configfs-tsm evidence, against a fake configfs tree: a quote is
// read once per key and nonce, its report-data field is checked, and anything unreadable
// answers provider none with the reason instead of failing.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Attestor, parseNonce, reportDataFor } from '../../src/attestation/document.ts';
import { readTsmEvidence } from '../../src/attestation/evidence/configfs-tsm.ts';
import { quoteReportData } from '../../src/attestation/evidence/quote.ts';
import { SigningKey } from '../../src/attestation/keys.ts';
import { checkAttestation, type VerifyReport } from '../../src/attestation/verify.ts';
import { fakeSnpReport, fakeTdxQuote, fakeTsm } from '../support/fake-tsm.ts';

const key = SigningKey.generate();
const nonce = '0123456789abcdef'.repeat(4);
const report = (): VerifyReport => ({ valid: false, failures: [], checked: [], notes: [] });

describe('nonces', () => {
  test('16 to 64 bytes of hex, nothing else', () => {
    assert.equal(parseNonce('AB'.repeat(16)).length, 16);
    assert.equal(parseNonce('ab'.repeat(64)).length, 64);
    for (const bad of [undefined, '', 'ab'.repeat(15), 'ab'.repeat(65), 'abc', 'zz'.repeat(16), ' ab'.repeat(16), 42]) {
      assert.throws(() => parseNonce(bad), { name: 'NonceError' }, String(bad));
    }
  });
});

describe('configfs-tsm', () => {
  const tsm = fakeTsm();
  after(() => tsm.remove());

  test('a TDX quote over sha512(publicKey || nonce), read once per key and nonce, the entry removed', async () => {
    const attestor = new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs });
    const document = await attestor.document(key, nonce);
    assert.equal(document.reportData, reportDataFor(key.publicKey, Buffer.from(nonce, 'hex')));
    assert.equal(document.evidence.provider, 'tdx_guest');
    assert.equal(document.evidence.generation, 1);
    const field = quoteReportData('tdx_guest', Buffer.from(document.evidence.quote!, 'base64'));
    assert.ok(field.ok && field.reportData.toString('hex') === document.reportData);
    assert.deepEqual(readdirSync(tsm.root), [], 'the entry is removed');

    const before = tsm.requests;
    const again = await attestor.document(key, nonce.toUpperCase());
    assert.deepEqual(again, document, 'the same nonce (in any case) is answered from the cache');
    assert.equal(tsm.requests, before);
    await attestor.document(key, 'ff'.repeat(16));
    await attestor.document(SigningKey.generate(), nonce);
    assert.equal(tsm.requests, before + 2, 'another nonce or another key asks again');

    const checked = report();
    checkAttestation(checked, document, key.publicKey, { measurement: document.runtime.measurement });
    assert.deepEqual(checked.failures, []);
    assert.ok(checked.checked.includes('attestation.quote.reportData'));
    assert.ok(checked.notes.some((note) => /^attestation\.quote\.signature: not checked: no collateral/.test(note)));
  });

  test('a quote whose report data is not the document\'s fails the check', async () => {
    const document = await new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs }).document(key, nonce);
    const other = { ...document, evidence: { ...document.evidence, quote: fakeTdxQuote(Buffer.alloc(64, 7)).toString('base64') } };
    const checked = report();
    checkAttestation(checked, other, key.publicKey, null);
    assert.deepEqual(checked.failures, ["attestation.quote.reportData: the quote's report-data field is not the document's reportData"]);
    const truncated = { ...document, evidence: { ...document.evidence, quote: document.evidence.quote!.slice(0, 100) } };
    const cut = report();
    checkAttestation(cut, truncated, key.publicKey, null);
    assert.match(cut.failures[0]!, /^attestation\.quote: the TDX quote \(\d+ bytes\) does not parse/);
  });

  test('unreadable outblob, a concurrent writer, a missing tree or a file: provider none with the reason, not cached', async () => {
    const attestor = new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs });
    tsm.failReads('EIO');
    const failed = await attestor.document(key, 'aa'.repeat(20));
    assert.equal(failed.evidence.provider, 'none');
    assert.equal(failed.evidence.quote, null);
    assert.match(failed.evidence.reason!, /could not produce a quote: EIO/);
    tsm.failReads(null);
    assert.equal((await attestor.document(key, 'aa'.repeat(20))).evidence.provider, 'tdx_guest', 'a failure is not cached');

    tsm.skewGeneration(1);
    assert.match((await readTsmEvidence(Buffer.alloc(64), { path: tsm.root, fs: tsm.fs })).reason!, /generation 2, expected 1/);
    tsm.skewGeneration(0);
    assert.deepEqual(readdirSync(tsm.root), [], 'entries are removed after failures too');

    assert.match((await readTsmEvidence(Buffer.alloc(64), { path: path.join(tsm.root, 'absent') })).reason!, /no configfs-tsm report interface at .*ENOENT/);
    const file = path.join(path.dirname(tsm.root), 'a-file');
    writeFileSync(file, '');
    assert.match((await readTsmEvidence(Buffer.alloc(64), { path: file })).reason!, /is not a directory/);
    assert.match((await readTsmEvidence(Buffer.alloc(10), { path: tsm.root })).reason!, /must be 64 bytes/);
  });

  test('SEV-SNP reports and TDX v5 quotes are understood; other layouts give a reason', async () => {
    const snp = fakeTsm('sev_guest');
    try {
      const document = await new Attestor({ tsmPath: snp.root, tsmFs: snp.fs }).document(key, nonce);
      assert.equal(document.evidence.provider, 'sev_guest');
      const checked = report();
      checkAttestation(checked, document, key.publicKey, null);
      assert.deepEqual(checked.failures, []);
    } finally {
      snp.remove();
    }
    const data = Buffer.alloc(64, 9);
    const v5 = quoteReportData('tdx_guest', fakeTdxQuote(data, 5));
    assert.ok(v5.ok && v5.reportData.equals(data));
    assert.ok(quoteReportData('sev_guest', fakeSnpReport(data)).ok);
    const v3 = fakeTdxQuote(data);
    v3.writeUInt16LE(3, 0);
    assert.deepEqual(quoteReportData('tdx_guest', v3), { ok: false, reason: 'the TDX quote (5006 bytes) does not parse: Invalid tee type for version 3' });
    const sgx = fakeTdxQuote(data);
    sgx.writeUInt32LE(0, 4);
    assert.deepEqual(quoteReportData('tdx_guest', sgx), { ok: false, reason: 'the TDX quote (5006 bytes) does not parse: Not enough data to fill buffer' }, 'read as an SGX quote, it does not fit');
    assert.equal(quoteReportData('tdx_guest', Buffer.alloc(10)).ok, false);
    assert.equal(quoteReportData('arm_cca_guest', Buffer.alloc(10)).ok, false);
  });
});
