// AMD SEV-SNP attestation reports (configfs-tsm provider sev_guest): the layout only (AMD's
// SEV-SNP firmware ABI, ATTESTATION_REPORT). Nothing here checks the report's signature nor the
// VCEK/ASK/ARK chain: no maintained SEV-SNP verifier on npm is usable here (docs/attestation.md,
// "What is and is not checked"), so a report is parsed and its report data compared, and its
// signature is always reported as not checked.
//
// Invariants:
// - Never throws: a report too short, of an unknown version or signature algorithm gives a reason.
// - Offsets are those of the ABI: REPORT_DATA at 0x50, MEASUREMENT at 0x90, the signature at
//   0x2A0, 0x4A0 bytes in all (versions 2 to 5 keep this layout).

export interface SnpFields {
  version: number;
  vmpl: number;
  policy: string;
  debugAllowed: boolean;
  measurement: string;
  hostData: string;
  reportedTcb: string;
  chipId: string;
}

export type ParsedSnpReport = { ok: true; reportData: Buffer; registers: SnpFields } | { ok: false; reason: string };

const reportBytes = 0x4a0;
const ecdsaP384Sha384 = 1;
const policyDebugBit = 1n << 19n;

export function parseSnpReport(report: Buffer): ParsedSnpReport {
  if (report.length < reportBytes) return { ok: false, reason: `the SEV-SNP report is ${report.length} bytes, shorter than the ${reportBytes} of its layout` };
  const version = report.readUInt32LE(0);
  if (version < 2 || version > 5) return { ok: false, reason: `SEV-SNP report version ${version} is not understood (2 to 5 are)` };
  const algorithm = report.readUInt32LE(0x34);
  if (algorithm !== ecdsaP384Sha384) return { ok: false, reason: `the SEV-SNP report's signature algorithm is ${algorithm}, not ECDSA P-384 with SHA-384 (1)` };
  const policy = report.readBigUInt64LE(0x08);
  const hex = (at: number, length: number) => report.subarray(at, at + length).toString('hex');
  return {
    ok: true,
    reportData: Buffer.from(report.subarray(0x50, 0x90)),
    registers: {
      version,
      vmpl: report.readUInt32LE(0x30),
      policy: `0x${policy.toString(16)}`,
      debugAllowed: (policy & policyDebugBit) !== 0n,
      measurement: hex(0x90, 48),
      hostData: hex(0xc0, 32),
      reportedTcb: hex(0x180, 8),
      chipId: hex(0x1a0, 64),
    },
  };
}
