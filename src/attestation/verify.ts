// Offline verification of a result and its receipt, for the `teejs verify` CLI and for any
// consumer in Node: nothing here trusts the operator's database or asks the network.
//
// Invariants:
// - verifyResult never throws for any input (parsed JSON of any shape, tampered or truncated);
//   every problem is one line in `failures`, `valid` is true only when there is none.
// - The signature is checked over JCS(claims) with the receipt's own public key; trusting that
//   key is the caller's choice: pass `publicKey` (or an attestation document) to pin it.
// - What was checked is listed in `checked`; what could not be (no TEE quote, a quote whose
//   signature could not be verified: no collateral, no verifier for its platform) is listed in
//   `notes` as "not checked", so that a pass is never read as more than it is. With
//   `requireVerifiedQuote`, anything short of a verified quote is a failure instead.
// - A quote's signature is verified with the collateral given here, else the document's own
//   (`evidence.collateral`); nothing is fetched.
import type { Collateral } from '@phala/dcap-qvl';
import { reportDataFor, parseNonce } from './document.ts';
import { parseQuote, quoteSignature } from './evidence/quote.ts';
import type { SnpFields } from './evidence/sev-snp.ts';
import { parseCollateral, type TdxRegisters } from './evidence/tdx.ts';
import { jcs, jcsSha256, sha256Hex } from './hash.ts';
import { decodePublicKey, keyIdOf, verifySignature } from './keys.ts';
import { paramsSha256, sourceSha256Of } from './receipt.ts';

export interface VerifyOptions {
  /** The function's source text: its hash must be the receipt's sourceSha256. */
  source?: string;
  /** With `source`, for a function of several modules: the others by path, and the entry's path. */
  modules?: Readonly<Record<string, string>>;
  entry?: string;
  /** The params the caller sent (the value, not JSON text): their hash must match. */
  params?: unknown;
  hasParams?: boolean;
  /** The key the receipt must be signed with: base64url raw public key or its hex keyId. */
  publicKey?: string;
  /** An attestation document (GET /v1/attestation, teejs attest) that must name the same key. */
  attestation?: unknown;
  /** The runtime measurement the receipt must name (hex). */
  measurement?: string;
  /**
   * DCAP collateral for a TDX quote (the JSON of dcap-qvl's QuoteCollateralV3, as an object or
   * its text); without it, the document's `evidence.collateral` is used, if any.
   */
  collateral?: unknown;
  /** When certificates and collateral must be valid (default: now). */
  at?: Date;
  /** Fail unless the document carries a TEE quote whose signature and chain were verified. */
  requireVerifiedQuote?: boolean;
}

/** What the attestation document's quote says, when it has one that parses. */
export interface QuoteSummary {
  provider: string;
  /** verified: a verifier library checked the signature and chain; see `notes` otherwise. */
  signature: 'verified' | 'failed' | 'not-checked';
  /** Intel's TCB status of the platform (TDX, when verified), e.g. UpToDate, OutOfDate. */
  tcbStatus?: string;
  advisoryIds?: string[];
  /** Where the collateral came from: the caller, or the document (the operator). */
  collateralSource?: 'given' | 'document';
  /** The measurement registers of the quote: compare them with the image you trust. */
  registers: TdxRegisters | SnpFields;
}

export interface VerifyReport {
  valid: boolean;
  /** One line per failed check: `<check>: <what is wrong>`. */
  failures: string[];
  /** Names of the checks that passed. */
  checked: string[];
  /** What a pass does not cover. */
  notes: string[];
  /** The attestation document's quote, when there is one that parses. */
  quote?: QuoteSummary;
}

type Json = Record<string, unknown>;

export function verifyResult(result: unknown, options: VerifyOptions = {}): VerifyReport {
  const report: VerifyReport = { valid: false, failures: [], checked: [], notes: [] };
  const fail = (check: string, why: string) => report.failures.push(`${check}: ${why}`);
  const pass = (check: string) => report.checked.push(check);
  const expect = (check: string, ok: boolean, why: string) => (ok ? pass(check) : fail(check, why));

  if (!isObject(result)) {
    fail('result', 'not a JSON object');
    return report;
  }
  const receipt = result.receipt;
  if (!isObject(receipt)) {
    fail('receipt', result.status === 'running' ? 'the execution is still running: it has no receipt yet' : 'the result carries no receipt');
    return report;
  }
  const claims = receipt.claims;
  if (receipt.alg !== 'Ed25519') fail('alg', `expected Ed25519, got ${JSON.stringify(receipt.alg)}`);
  const publicKey = typeof receipt.publicKey === 'string' ? receipt.publicKey : '';
  if (decodePublicKey(publicKey) === null) fail('publicKey', 'not the base64url of a 32-byte Ed25519 public key');
  else expect('keyId', receipt.keyId === keyIdOf(publicKey), 'keyId is not the sha256 of the public key');
  if (!isObject(claims)) {
    fail('claims', 'missing or not an object');
    return finish(report);
  }

  let claimsText: string | null = null;
  try {
    claimsText = jcs(claims);
  } catch (error) {
    fail('claims', `not JSON data: ${(error as Error).message}`);
  }
  if (claimsText !== null && decodePublicKey(publicKey) !== null) {
    expect('signature', verifySignature(publicKey, Buffer.from(claimsText, 'utf8'), receipt.signature), 'the signature does not match the claims and public key');
  }

  if (options.publicKey !== undefined) {
    const wanted = options.publicKey.trim();
    const ok = /^[0-9a-fA-F]{64}$/.test(wanted) ? receipt.keyId === wanted.toLowerCase() && keyIdOf(publicKey) === wanted.toLowerCase() : publicKey === wanted;
    expect('key', ok, 'the receipt is not signed with the expected key');
  }

  // What the claims say against what the result says.
  for (const field of ['executionId', 'functionId', 'userId', 'status', 'startedAt', 'finishedAt'] as const) {
    expect(field, claims[field] === result[field], `the receipt says ${JSON.stringify(claims[field])}, the result ${JSON.stringify(result[field])}`);
  }
  if ('functionVersion' in result) {
    expect('functionVersion', claims.functionVersion === result.functionVersion, `the receipt says ${JSON.stringify(claims.functionVersion)}, the result ${JSON.stringify(result.functionVersion)}`);
  }
  const error = isObject(result.error) ? result.error : null;
  expect('errorCode', claims.errorCode === (error?.code ?? null), `the receipt says ${JSON.stringify(claims.errorCode)}, the result ${JSON.stringify(error?.code ?? null)}`);
  hashCheck(report, 'resultSha256', claims.resultSha256, () => jcsSha256(result.result ?? null));
  hashCheck(report, 'logsSha256', claims.logsSha256, () => jcsSha256(result.logs));
  hashCheck(report, 'networkSha256', claims.networkSha256, () => jcsSha256(result.network));

  if (options.source !== undefined) expect('sourceSha256', claims.sourceSha256 === sourceSha256Of(options.source, options.modules, options.entry), 'the source given is not the one that ran');
  if (options.hasParams || options.params !== undefined) {
    const hash = paramsSha256(options.params);
    expect('paramsSha256', hash !== null && claims.paramsSha256 === hash, hash === null ? 'the params given are not JSON data' : 'the params given are not the ones the function got');
  }
  const runtime = isObject(claims.runtime) ? claims.runtime : {};
  if (options.measurement !== undefined) {
    expect('measurement', runtime.measurement === options.measurement.trim().toLowerCase(), `the receipt names runtime ${JSON.stringify(runtime.measurement)}`);
  }
  if (options.attestation !== undefined) checkAttestation(report, options.attestation, publicKey, runtime, options);
  else {
    report.notes.push('no attestation document given: the key is trusted as given, not tied to a machine');
    if (options.requireVerifiedQuote) fail('attestation', 'a verified TEE quote is required, and no attestation document was given');
  }
  return finish(report);
}

/** The checks of an attestation document alone (teejs verify --attestation without a key of its own). */
export function checkAttestation(
  report: VerifyReport,
  document: unknown,
  publicKey: string | null,
  runtime: Json | null,
  options: Pick<VerifyOptions, 'collateral' | 'at' | 'requireVerifiedQuote'> = {},
): void {
  const fail = (check: string, why: string) => report.failures.push(`attestation.${check}: ${why}`);
  const pass = (check: string) => report.checked.push(`attestation.${check}`);
  if (!isObject(document)) {
    fail('document', 'not a JSON object');
    return;
  }
  const docKey = typeof document.publicKey === 'string' ? document.publicKey : '';
  if (publicKey !== null) {
    if (docKey === publicKey) pass('publicKey');
    else fail('publicKey', 'the attestation names another key than the receipt');
  }
  if (document.keyId === keyIdOf(docKey) && keyIdOf(docKey) !== null) pass('keyId');
  else fail('keyId', 'keyId is not the sha256 of the public key');
  if (runtime !== null && isObject(document.runtime)) {
    if (document.runtime.measurement === runtime.measurement) pass('measurement');
    else fail('measurement', 'the attestation names another runtime measurement than the receipt');
  }
  let nonce: Buffer | null = null;
  try {
    nonce = parseNonce(document.nonce);
  } catch (error) {
    fail('nonce', (error as Error).message);
  }
  const expected = nonce === null ? null : reportDataFor(docKey, nonce);
  if (expected !== null) {
    if (document.reportData === expected) pass('reportData');
    else fail('reportData', 'reportData is not sha512(publicKey || nonce)');
  }
  const evidence = isObject(document.evidence) ? document.evidence : null;
  if (evidence === null) {
    fail('evidence', 'missing');
    return;
  }
  const provider = String(evidence.provider);
  const notChecked = (why: string) => {
    if (options.requireVerifiedQuote) fail('quote.signature', `a verified TEE quote is required: ${why}`);
    else report.notes.push(`attestation.quote.signature: not checked: ${why}`);
  };
  if (provider === 'none' || evidence.quote === null || evidence.quote === undefined) {
    report.notes.push(`no TEE quote (provider ${provider}${typeof evidence.reason === 'string' ? `: ${evidence.reason}` : ''}): integrity of the result under this key, not confidentiality`);
    if (options.requireVerifiedQuote) fail('quote', `a verified TEE quote is required, and the document has none (provider ${provider})`);
    return;
  }
  if (typeof evidence.quote !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(evidence.quote)) {
    fail('quote', 'not base64');
    return;
  }
  const quoteBytes = Buffer.from(evidence.quote, 'base64');
  const parsed = parseQuote(provider, quoteBytes);
  if (!parsed.ok) {
    if (provider === 'tdx_guest' || provider === 'sev_guest') fail('quote', parsed.reason);
    else notChecked(`quote of provider ${provider}: ${parsed.reason}`);
    return;
  }
  if (expected !== null && parsed.reportData.toString('hex') === expected) pass('quote.reportData');
  else fail('quote.reportData', "the quote's report-data field is not the document's reportData");

  const summary: QuoteSummary = { provider, signature: 'not-checked', registers: parsed.registers };
  report.quote = summary;
  // DCAP collateral is Intel's: only a TDX quote uses it.
  let collateral: Collateral | null = null;
  const given = options.collateral ?? null;
  const offered = given ?? evidence.collateral ?? null;
  if (provider === 'tdx_guest' && offered !== null) {
    const source = given !== null ? 'given' : 'document';
    const read = parseCollateral(offered);
    if (!read.ok) {
      fail('collateral', `the ${source === 'given' ? 'collateral given' : "document's evidence.collateral"} is not DCAP collateral: ${read.reason}`);
      return;
    }
    collateral = read.collateral;
    summary.collateralSource = source;
  }
  const signature = quoteSignature(provider, quoteBytes, collateral, options.at ?? new Date());
  summary.signature = signature.status;
  if (signature.status === 'verified') {
    pass('quote.signature');
    summary.tcbStatus = signature.tcbStatus;
    summary.advisoryIds = signature.advisoryIds;
    const advisories = signature.advisoryIds.length > 0 ? ` (advisories ${signature.advisoryIds.join(', ')})` : '';
    report.notes.push(`the ${provider} quote's signature and certificate chain verify up to Intel's root CA with collateral from ${summary.collateralSource === 'given' ? 'the caller' : 'the document (the operator)'}; TCB status ${signature.tcbStatus}${advisories}; its measurement registers are not compared with anything (see quote.registers)`);
  } else if (signature.status === 'failed') fail('quote.signature', signature.reason);
  else notChecked(typeof evidence.collateralError === 'string' && collateral === null ? `${signature.reason}; the document says: ${evidence.collateralError}` : signature.reason);
}

function hashCheck(report: VerifyReport, check: string, claimed: unknown, compute: () => string): void {
  let actual: string;
  try {
    actual = compute();
  } catch (error) {
    report.failures.push(`${check}: the result's value is not JSON data (${(error as Error).message})`);
    return;
  }
  if (claimed === actual) report.checked.push(check);
  else report.failures.push(`${check}: the result does not hash to what the receipt claims`);
}

function finish(report: VerifyReport): VerifyReport {
  report.valid = report.failures.length === 0;
  return report;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

