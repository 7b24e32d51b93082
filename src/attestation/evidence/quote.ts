// A hardware quote as configfs-tsm hands it out, by provider: its report-data field and the
// registers it measures (tdx.ts parses TDX quotes with @phala/dcap-qvl, sev-snp.ts parses
// SEV-SNP reports), and the verification of its signature and certificate chain where a
// maintained verifier exists (TDX only, given DCAP collateral; see docs/attestation.md).
//
// Invariants:
// - Never throws for any bytes: a quote that does not parse gives a reason.
// - `quoteSignature` answers 'verified' only when a verifier library checked the signature and
//   the chain; otherwise 'failed' with the verifier's reason, or 'not-checked' with why.
import type { Collateral } from '@phala/dcap-qvl';
import { parseSnpReport, type SnpFields } from './sev-snp.ts';
import { parseTdxQuote, verifyTdxQuote, type TdxRegisters } from './tdx.ts';

export type ParsedQuote =
  | { ok: true; provider: string; reportData: Buffer; registers: TdxRegisters | SnpFields }
  | { ok: false; reason: string };

export function parseQuote(provider: string, quote: Buffer): ParsedQuote {
  if (provider === 'tdx_guest') {
    const parsed = parseTdxQuote(quote);
    return parsed.ok ? { ok: true, provider, reportData: parsed.reportData, registers: parsed.registers } : parsed;
  }
  if (provider === 'sev_guest') {
    const parsed = parseSnpReport(quote);
    return parsed.ok ? { ok: true, provider, reportData: parsed.reportData, registers: parsed.registers } : parsed;
  }
  return { ok: false, reason: `quotes of provider '${provider}' are not understood by this version` };
}

export type ReportDataField = { ok: true; reportData: Buffer } | { ok: false; reason: string };

/** The quote's 64-byte report-data field. */
export function quoteReportData(provider: string, quote: Buffer): ReportDataField {
  const parsed = parseQuote(provider, quote);
  return parsed.ok ? { ok: true, reportData: parsed.reportData } : parsed;
}

export type SignatureCheck =
  | { status: 'verified'; tcbStatus: string; advisoryIds: string[] }
  | { status: 'failed'; reason: string }
  | { status: 'not-checked'; reason: string };

/** The quote's signature and certificate chain, with the collateral (null: none), as of `at`. */
export function quoteSignature(provider: string, quote: Buffer, collateral: Collateral | null, at: Date): SignatureCheck {
  if (provider === 'sev_guest') {
    return { status: 'not-checked', reason: 'no maintained SEV-SNP verifier library is used by this version (the VCEK/ASK/ARK chain and the report signature are not checked)' };
  }
  if (provider !== 'tdx_guest') return { status: 'not-checked', reason: `no verifier for quotes of provider '${provider}'` };
  if (collateral === null) return { status: 'not-checked', reason: 'no collateral (give the DCAP collateral of this quote: --collateral FILE, or evidence.collateral in the document)' };
  const verified = verifyTdxQuote(quote, collateral, at);
  return verified.ok ? { status: 'verified', tcbStatus: verified.tcbStatus, advisoryIds: verified.advisoryIds } : { status: 'failed', reason: verified.reason };
}
