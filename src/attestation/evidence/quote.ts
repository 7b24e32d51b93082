// Where a hardware quote keeps its 64-byte report-data field, for the two formats configfs-tsm
// hands out. Only the layout is read here: nothing in this file checks a signature or a
// certificate chain (see docs/attestation.md, "What is not checked").
//
// Invariants:
// - Intel TDX quote (provider tdx_guest): version 4 (header 48 bytes, then the TD report) or 5
//   (header, then a 2-byte body type and a 4-byte body size, then the TD report); TEE type 0x81.
//   REPORTDATA is at offset 520 of the TD report in both TD report 1.0 and 1.5 bodies.
// - AMD SEV-SNP attestation report (provider sev_guest): REPORT_DATA at offset 0x50.
// - A quote too short or of another version gives a reason, never an exception.

export type ReportDataField = { ok: true; reportData: Buffer } | { ok: false; reason: string };

const tdxTeeType = 0x81;
const tdReportDataOffset = 520;
const reportDataBytes = 64;

export function quoteReportData(provider: string, quote: Buffer): ReportDataField {
  if (provider === 'tdx_guest') return tdxReportData(quote);
  if (provider === 'sev_guest') return snpReportData(quote);
  return { ok: false, reason: `quotes of provider '${provider}' are not understood by this version` };
}

function tdxReportData(quote: Buffer): ReportDataField {
  if (quote.length < 48) return { ok: false, reason: `the TDX quote is ${quote.length} bytes, shorter than its header` };
  const version = quote.readUInt16LE(0);
  const teeType = quote.readUInt32LE(4);
  if (teeType !== tdxTeeType) return { ok: false, reason: `the quote's TEE type is 0x${teeType.toString(16)}, not TDX (0x81)` };
  let body: number;
  if (version === 4) body = 48;
  else if (version === 5) body = 48 + 2 + 4;
  else return { ok: false, reason: `TDX quote version ${version} is not understood (4 and 5 are)` };
  const at = body + tdReportDataOffset;
  if (quote.length < at + reportDataBytes) return { ok: false, reason: `the TDX quote is ${quote.length} bytes, too short for its report data` };
  return { ok: true, reportData: quote.subarray(at, at + reportDataBytes) };
}

function snpReportData(report: Buffer): ReportDataField {
  const at = 0x50;
  if (report.length < at + reportDataBytes) return { ok: false, reason: `the SEV-SNP report is ${report.length} bytes, too short for its report data` };
  return { ok: true, reportData: report.subarray(at, at + reportDataBytes) };
}
