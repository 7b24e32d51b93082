// TEE quote verification with real Intel TDX quotes and their DCAP collateral (the test vectors
// of Phala's dcap-qvl, test/fixtures/dcap-qvl): a genuine quote verifies up to Intel's root CA;
// a flipped byte in the body or the signature, a replaced report data, a truncated quote,
// tampered, expired or missing collateral each give one clear line; a quote never passes
// silently without collateral; SEV-SNP signatures are reported as not checked.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Attestor } from '../../src/attestation/document.ts';
import { parseQuote, quoteSignature } from '../../src/attestation/evidence/quote.ts';
import { parseCollateral } from '../../src/attestation/evidence/tdx.ts';
import { SigningKey } from '../../src/attestation/keys.ts';
import { checkAttestation, type VerifyOptions, type VerifyReport } from '../../src/attestation/verify.ts';
import { fakeTdxQuote, fakeTsm } from '../support/fake-tsm.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dcap-qvl/${name}`, import.meta.url));
const genuine = fixture('tdx_quote');
const collateralText = fixture('tdx_quote_collateral.json').toString('utf8');
const collateral = JSON.parse(collateralText) as Record<string, string>;
// Inside the validity window of the fixture's collateral (TCB info and QE identity issued
// 2025-06-19, next update 2025-07-19).
const at = new Date('2025-07-01T00:00:00Z');
const key = SigningKey.generate();
const nonce = '5a'.repeat(32);

const newReport = (): VerifyReport => ({ valid: false, failures: [], checked: [], notes: [] });
const collateralOf = (text: string) => {
  const read = parseCollateral(text);
  assert.ok(read.ok);
  return read.collateral;
};

/** An attestation document of `key` for `nonce` from the fake configfs tree: a TDX quote. */
async function tdxDocument() {
  const tsm = fakeTsm('tdx_guest');
  try {
    return await new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs }).document(key, nonce);
  } finally {
    tsm.remove();
  }
}

function check(document: unknown, options: VerifyOptions = {}): VerifyReport {
  const report = newReport();
  checkAttestation(report, document, key.publicKey, null, options);
  return report;
}

const flipped = (quote: Buffer, at: number) => {
  const copy = Buffer.from(quote);
  copy[at]! ^= 0x01;
  return copy;
};
// Quote v4: header 48 bytes, TD report 584, then the signature data's length (4) and the
// quote's ECDSA signature (64).
const bodyByte = 48 + 100;
const signatureByte = 48 + 584 + 4 + 10;

describe('a genuine TDX quote with its collateral', () => {
  test('parses (v4, TD report 1.0) and verifies up to Intel\'s root CA: TCB UpToDate', () => {
    const parsed = parseQuote('tdx_guest', genuine);
    assert.ok(parsed.ok);
    assert.equal(parsed.reportData.length, 64);
    assert.match((parsed.registers as { mrTd: string }).mrTd, /^[0-9a-f]{96}$/);
    assert.deepEqual(quoteSignature('tdx_guest', genuine, collateralOf(collateralText), at), { status: 'verified', tcbStatus: 'UpToDate', advisoryIds: [] });
  });

  test('in a document: the signature passes; its report data (another key\'s) is the one failure', async () => {
    const document = await tdxDocument();
    const report = check({ ...document, evidence: { ...document.evidence, quote: genuine.toString('base64') } }, { collateral: collateralText, at });
    assert.deepEqual(report.failures, ["attestation.quote.reportData: the quote's report-data field is not the document's reportData"]);
    assert.ok(report.checked.includes('attestation.quote.signature'));
    assert.equal(report.quote?.signature, 'verified');
    assert.equal(report.quote?.tcbStatus, 'UpToDate');
    assert.equal(report.quote?.collateralSource, 'given');
    assert.ok(report.notes.some((note) => /verify up to Intel's root CA with collateral from the caller; TCB status UpToDate; its measurement registers are not compared/.test(note)));
  });

  test('collateral carried by the document is used, and said to come from the operator', async () => {
    const document = await tdxDocument();
    const report = check({ ...document, evidence: { ...document.evidence, quote: genuine.toString('base64'), collateral } }, { at });
    assert.equal(report.quote?.signature, 'verified');
    assert.equal(report.quote?.collateralSource, 'document');
    assert.ok(report.notes.some((note) => /collateral from the document \(the operator\)/.test(note)));
  });

  test('a TDX v5 quote (TD report 1.5) parses; the library refuses its platform\'s TCB level', () => {
    const v5 = fixture('tdx_quote_outdated');
    const parsed = parseQuote('tdx_guest', v5);
    assert.ok(parsed.ok);
    const v5Collateral = fixture('tdx_quote_outdated_collateral.json').toString('utf8');
    const issued = (JSON.parse((JSON.parse(v5Collateral) as { tcb_info: string }).tcb_info) as { issueDate: string }).issueDate;
    const when = new Date(Date.parse(issued) + 3_600_000);
    assert.deepEqual(quoteSignature('tdx_guest', v5, collateralOf(v5Collateral), when), { status: 'failed', reason: 'No matching TCB level found' });
  });
});

describe('the operator\'s collateral file (Attestor collateralPath, teejs serve --quote-collateral)', () => {
  test('a TDX document carries it; a missing or malformed file gives collateralError, never a failed document; SEV-SNP carries none', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'teejs-collateral-'));
    const tdx = fakeTsm('tdx_guest');
    const snp = fakeTsm('sev_guest');
    try {
      const good = fileURLToPath(new URL('../fixtures/dcap-qvl/tdx_quote_collateral.json', import.meta.url));
      const document = await new Attestor({ tsmPath: tdx.root, tsmFs: tdx.fs, collateralPath: good }).document(key, nonce);
      assert.deepEqual(document.evidence.collateral, collateral);
      assert.equal(check(document, { at }).quote?.collateralSource, 'document');

      const absent = await new Attestor({ tsmPath: tdx.root, tsmFs: tdx.fs, collateralPath: path.join(dir, 'absent.json') }).document(key, nonce);
      assert.equal(absent.evidence.provider, 'tdx_guest');
      assert.equal(absent.evidence.collateral, undefined);
      assert.equal(absent.evidence.collateralError, 'cannot read the collateral file: ENOENT');
      writeFileSync(path.join(dir, 'bad.json'), '{"tcb_info": 1}');
      const bad = await new Attestor({ tsmPath: tdx.root, tsmFs: tdx.fs, collateralPath: path.join(dir, 'bad.json') }).document(key, nonce);
      assert.match(bad.evidence.collateralError!, /^the collateral file is not DCAP collateral: missing or not a string: pck_crl_issuer_chain/);

      const sev = await new Attestor({ tsmPath: snp.root, tsmFs: snp.fs, collateralPath: good }).document(key, nonce);
      assert.equal(sev.evidence.collateral, undefined);
    } finally {
      tdx.remove();
      snp.remove();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a tampered, forged or truncated TDX quote fails with one clear line', () => {
  test('one flipped byte in the body', async () => {
    const document = await tdxDocument();
    const report = check({ ...document, evidence: { ...document.evidence, quote: flipped(genuine, bodyByte).toString('base64') } }, { collateral: collateralText, at });
    assert.ok(report.failures.includes('attestation.quote.signature: ISV enclave report signature is invalid'), report.failures.join('\n'));
  });

  test('one flipped byte in the signature', () => {
    assert.deepEqual(quoteSignature('tdx_guest', flipped(genuine, signatureByte), collateralOf(collateralText), at), { status: 'failed', reason: 'ISV enclave report signature is invalid' });
  });

  test('the right report data in a quote not signed over it (the fake configfs tree\'s quote)', async () => {
    const document = await tdxDocument();
    const report = check(document, { collateral: collateralText, at });
    assert.ok(report.checked.includes('attestation.quote.reportData'), 'the report data is the document\'s');
    assert.deepEqual(report.failures, ['attestation.quote.signature: ISV enclave report signature is invalid']);
  });

  test('a wrong report data in a genuine quote', async () => {
    const document = await tdxDocument();
    const report = check({ ...document, evidence: { ...document.evidence, quote: fakeTdxQuote(Buffer.alloc(64, 7)).toString('base64') } });
    assert.deepEqual(report.failures, ["attestation.quote.reportData: the quote's report-data field is not the document's reportData"]);
  });

  test('any one byte flipped in what the quote says never verifies, never throws', () => {
    // What the quote says: the header and TD report (signed), the signature, the attestation
    // key, the QE report, its signature and auth data (bound by the QE report's hash). Left
    // out (an exhaustive scan of flips by 0x01, 0x80 and 0xff found these alone to verify):
    // the 4-byte length of the signature data (at 632), which may grow into the zero padding
    // after the quote unnoticed, and the 2-byte type of the certification data (at 764, 6),
    // which the library does not compare; and after the QE auth data the PCK chain's type,
    // length and PEM text, which the chain authenticates, not a signature over their bytes: a
    // flip that base64 ignores (in a padding '='), or a length that drops the embedded root
    // (the library pins Intel's), leaves the same chain.
    const qeAuthData = 48 + 584 + 4 + 64 + 64 + 2 + 4 + 384 + 64;
    const said = qeAuthData + 2 + genuine.readUInt16LE(qeAuthData);
    assert.equal(genuine.readUInt16LE(said), 5, 'the PCK certificate chain (type 5) follows');
    const parsedCollateral = collateralOf(collateralText);
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 631 }), fc.integer({ min: 636, max: 763 }), fc.integer({ min: 766, max: said - 1 })), fc.integer({ min: 1, max: 255 }), (offset, mask) => {
        const copy = Buffer.from(genuine);
        copy[offset]! ^= mask;
        const checked = quoteSignature('tdx_guest', copy, parsedCollateral, at);
        return checked.status === 'failed' && checked.reason.length > 0;
      }),
      { numRuns: 200 },
    );
  });

  test('flips in the PEM certificates never throw: they fail, or leave the same chain', () => {
    const pem = genuine.indexOf('-----BEGIN CERTIFICATE-----');
    const parsedCollateral = collateralOf(collateralText);
    fc.assert(
      fc.property(fc.integer({ min: pem, max: genuine.length - 1 }), fc.integer({ min: 1, max: 255 }), (offset, mask) => {
        const copy = Buffer.from(genuine);
        copy[offset]! ^= mask;
        const checked = quoteSignature('tdx_guest', copy, parsedCollateral, at);
        return checked.status === 'failed' || (checked.status === 'verified' && checked.tcbStatus === 'UpToDate');
      }),
      { numRuns: 100 },
    );
  });

  test('truncated anywhere: does not parse, one line, no exception', async () => {
    const document = await tdxDocument();
    // The fixture's quote ends at byte 4936, then zero padding (as configfs-tsm may hand it out).
    const end = 48 + 584 + 4 + genuine.readUInt32LE(48 + 584);
    for (const length of [0, 10, 47, 48 + 300, 640, 2000, end - 1]) {
      const report = check({ ...document, evidence: { ...document.evidence, quote: genuine.subarray(0, length).toString('base64') } }, { collateral: collateralText, at });
      assert.equal(report.failures.length, 1, `${length}: ${report.failures.join('\n')}`);
      assert.match(report.failures[0]!, new RegExp(`^attestation\\.quote: the TDX quote \\(${length} bytes\\) does not parse: `));
    }
  });
});

describe('collateral: missing, expired, tampered, malformed', () => {
  test('missing: "not checked: no collateral", never a pass; with requireVerifiedQuote, a failure', async () => {
    const document = await tdxDocument();
    const report = check(document);
    assert.deepEqual(report.failures, []);
    assert.ok(!report.checked.includes('attestation.quote.signature'));
    assert.equal(report.quote?.signature, 'not-checked');
    assert.ok(report.notes.some((note) => note.startsWith('attestation.quote.signature: not checked: no collateral')), report.notes.join('\n'));
    const strict = check(document, { requireVerifiedQuote: true });
    assert.equal(strict.failures.length, 1);
    assert.match(strict.failures[0]!, /^attestation\.quote\.signature: a verified TEE quote is required: no collateral/);
  });

  test('expired at the verification time (default now)', () => {
    const checked = quoteSignature('tdx_guest', genuine, collateralOf(collateralText), new Date());
    assert.deepEqual(checked, { status: 'failed', reason: 'TCBInfo expired' });
  });

  test('tampered TCB info, or its issuer chain cut short', () => {
    const tcbInfo = JSON.parse(collateral.tcb_info!) as { tcbLevels: Array<{ tcbStatus: string }> };
    tcbInfo.tcbLevels[0]!.tcbStatus = 'UpToDate ';
    const tampered = { ...collateral, tcb_info: JSON.stringify(tcbInfo) };
    assert.deepEqual(quoteSignature('tdx_guest', genuine, collateralOf(JSON.stringify(tampered)), at), { status: 'failed', reason: 'Signature is invalid for tcb_info' });
    const otherChain = { ...collateral, tcb_info_issuer_chain: collateral.qe_identity_issuer_chain!.split('-----END CERTIFICATE-----')[1]! + '-----END CERTIFICATE-----\n' };
    assert.deepEqual(quoteSignature('tdx_guest', genuine, collateralOf(JSON.stringify(otherChain)), at), { status: 'failed', reason: 'Certificate chain is too short for TCB Info' });
  });

  test('known gap, documented in docs/attestation.md: the library does not check a CRL\'s signature, so a CRL replaced by junk still verifies', () => {
    // When this starts failing, the library checks its CRLs: update "What is and is not checked".
    const junk = { ...collateral, pck_crl: '3003020100', root_ca_crl: '3003020100' };
    assert.equal(quoteSignature('tdx_guest', genuine, collateralOf(JSON.stringify(junk)), at).status, 'verified');
  });

  test('malformed: one line naming the source, no exception', async () => {
    const document = await tdxDocument();
    assert.deepEqual(check(document, { collateral: '{"pck_crl": "00"', at }).failures.map((line) => line.replace(/\(.*\)/, '(…)')), ['attestation.collateral: the collateral given is not DCAP collateral: not valid JSON (…)']);
    const { pck_crl: _dropped, ...partial } = collateral;
    assert.deepEqual(check({ ...document, evidence: { ...document.evidence, collateral: partial } }).failures, ["attestation.collateral: the document's evidence.collateral is not DCAP collateral: missing or not a string: pck_crl"]);
    assert.deepEqual(check(document, { collateral: collateralText, at: new Date(NaN) }).failures, ['attestation.quote.signature: the verification time is not a date']);
  });
});

describe('SEV-SNP', () => {
  test('a genuine report (virtee/sev\'s Milan test vector) parses: version, policy, MEASUREMENT, REPORT_DATA', () => {
    const report = Buffer.from(readFileSync(new URL('../fixtures/sev-snp/report_milan.hex', import.meta.url), 'utf8').trim(), 'hex');
    const parsed = parseQuote('sev_guest', report);
    assert.ok(parsed.ok);
    assert.equal(parsed.reportData.toString('hex').slice(0, 16), 'd447b55d197491bf');
    assert.deepEqual(
      { ...parsed.registers, chipId: undefined },
      {
        version: 2,
        vmpl: 0,
        policy: '0x30000',
        debugAllowed: false,
        measurement: '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f',
        hostData: '0'.repeat(64),
        reportedTcb: '0300000000000873',
        chipId: undefined,
      },
    );
    assert.equal(quoteSignature('sev_guest', report, null, at).status, 'not-checked');
    for (const length of [0, 0x50, 0x4a0 - 1]) assert.equal(parseQuote('sev_guest', report.subarray(0, length)).ok, false, String(length));
    const v9 = Buffer.from(report);
    v9.writeUInt32LE(9, 0);
    assert.deepEqual(parseQuote('sev_guest', v9), { ok: false, reason: 'SEV-SNP report version 9 is not understood (2 to 5 are)' });
  });

  test('the report data is checked; the signature is "not checked" (no verifier library), a failure when a verified quote is required', async () => {
    const tsm = fakeTsm('sev_guest');
    try {
      const document = await new Attestor({ tsmPath: tsm.root, tsmFs: tsm.fs }).document(key, nonce);
      const report = check(document, { collateral: collateralText });
      assert.deepEqual(report.failures, []);
      assert.ok(report.checked.includes('attestation.quote.reportData'));
      assert.ok(report.notes.some((note) => /^attestation\.quote\.signature: not checked: no maintained SEV-SNP verifier/.test(note)));
      assert.equal(report.quote?.provider, 'sev_guest');
      const strict = check(document, { requireVerifiedQuote: true });
      assert.match(strict.failures.join('\n'), /^attestation\.quote\.signature: a verified TEE quote is required: no maintained SEV-SNP verifier/);
      const short = check({ ...document, evidence: { ...document.evidence, quote: Buffer.alloc(100).toString('base64') } });
      assert.deepEqual(short.failures, ['attestation.quote: the SEV-SNP report is 100 bytes, shorter than the 1184 of its layout']);
    } finally {
      tsm.remove();
    }
  });
});
