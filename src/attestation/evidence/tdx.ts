// Intel TDX quotes (configfs-tsm provider tdx_guest): parsing and DCAP verification, both done
// by @phala/dcap-qvl (the JavaScript port of Phala's Rust dcap-qvl, Intel's quote verification
// steps). Nothing here asks the network: the collateral (Intel-signed TCB info and QE identity,
// their issuer chains, the PCK and root CRLs) is given by the caller.
//
// Invariants:
// - Never throws for any bytes or any collateral: a problem is a reason string.
// - A quote is TDX only with TEE type 0x81 and version 4 or 5 (TD report 1.0 or 1.5); its
//   report-data field is the library's parse of the TD report, not an offset of ours.
// - Without collateral the signature is "not checked", never passed; with collateral, a pass
//   means: the quote's ECDSA signature by the attestation key, the QE report signed by the PCK
//   certificate, the PCK chain up to Intel's SGX root CA (pinned in the library), the TCB info
//   and QE identity signatures and validity windows at `at`, a TCB level found and not Revoked,
//   and a TD that is not in debug mode (the library's checks, listed in docs/attestation.md).
// - The library is loaded at the first TDX quote, so verifying a receipt without one never
//   loads it.
import { createRequire } from 'node:module';
import type { Collateral } from '@phala/dcap-qvl';

type DcapQvl = typeof import('@phala/dcap-qvl');
let dcap: DcapQvl | null = null;
const library = (): DcapQvl => (dcap ??= createRequire(import.meta.url)('@phala/dcap-qvl') as DcapQvl);

const teeTypeTdx = 0x81;

/** The registers a TD report measures, hex; compare them with the image you trust. */
export interface TdxRegisters {
  mrTd: string;
  mrConfigId: string;
  mrOwner: string;
  mrOwnerConfig: string;
  rtmr0: string;
  rtmr1: string;
  rtmr2: string;
  rtmr3: string;
  mrSeam: string;
  tdAttributes: string;
  teeTcbSvn: string;
}

export type ParsedTdxQuote =
  | { ok: true; version: number; reportData: Buffer; registers: TdxRegisters }
  | { ok: false; reason: string };

export function parseTdxQuote(bytes: Buffer): ParsedTdxQuote {
  let quote: InstanceType<DcapQvl['Quote']>;
  try {
    quote = library().Quote.parse(bytes);
  } catch (error) {
    return { ok: false, reason: `the TDX quote (${bytes.length} bytes) does not parse: ${messageOf(error)}` };
  }
  const { version, teeType } = quote.header;
  if (teeType !== teeTypeTdx) return { ok: false, reason: `the quote's TEE type is 0x${teeType.toString(16)}, not TDX (0x81)` };
  if (version !== 4 && version !== 5) return { ok: false, reason: `TDX quote version ${version} is not understood (4 and 5 are)` };
  const td = quote.report.asTd10();
  if (td === null) return { ok: false, reason: `the quote's body is a ${quote.report.type} report, not a TD report` };
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  return {
    ok: true,
    version,
    reportData: Buffer.from(td.reportData),
    registers: {
      mrTd: hex(td.mrTd),
      mrConfigId: hex(td.mrConfigId),
      mrOwner: hex(td.mrOwner),
      mrOwnerConfig: hex(td.mrOwnerConfig),
      rtmr0: hex(td.rtMr0),
      rtmr1: hex(td.rtMr1),
      rtmr2: hex(td.rtMr2),
      rtmr3: hex(td.rtMr3),
      mrSeam: hex(td.mrSeam),
      tdAttributes: hex(td.tdAttributes),
      teeTcbSvn: hex(td.teeTcbSvn),
    },
  };
}

export type TdxVerification =
  | { ok: true; tcbStatus: string; advisoryIds: string[] }
  | { ok: false; reason: string };

/** DCAP verification of a TDX quote with the collateral, as of `at`. */
export function verifyTdxQuote(bytes: Buffer, collateral: Collateral, at: Date): TdxVerification {
  const seconds = Math.floor(at.getTime() / 1000);
  if (!Number.isFinite(seconds)) return { ok: false, reason: 'the verification time is not a date' };
  try {
    const verified = library().verify(bytes, collateral, seconds);
    return { ok: true, tcbStatus: String(verified.status), advisoryIds: [...(verified.advisory_ids ?? [])].map(String) };
  } catch (error) {
    return { ok: false, reason: messageOf(error) };
  }
}

const collateralFields = [
  'pck_crl_issuer_chain',
  'root_ca_crl',
  'pck_crl',
  'tcb_info_issuer_chain',
  'tcb_info',
  'tcb_info_signature',
  'qe_identity_issuer_chain',
  'qe_identity',
  'qe_identity_signature',
] as const;

/**
 * DCAP collateral in the JSON shape of dcap-qvl (QuoteCollateralV3: PEM chains, JSON texts,
 * hex CRLs and signatures), from an object or its JSON text; a reason when it is not one.
 */
export function parseCollateral(value: unknown): { ok: true; collateral: Collateral } | { ok: false; reason: string } {
  let data = value;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch (error) {
      return { ok: false, reason: `not valid JSON (${messageOf(error)})` };
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, reason: 'not a JSON object' };
  const record = data as Record<string, unknown>;
  const missing = collateralFields.filter((field) => !isTextOrBytes(record[field]));
  if (missing.length > 0) return { ok: false, reason: `missing or not a string: ${missing.join(', ')}` };
  const copy: Record<string, unknown> = {};
  for (const field of collateralFields) copy[field] = record[field];
  if (typeof record.pck_certificate_chain === 'string') copy.pck_certificate_chain = record.pck_certificate_chain;
  return { ok: true, collateral: copy as unknown as Collateral };
}

function isTextOrBytes(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((byte) => Number.isInteger(byte) && byte >= 0 && byte <= 255));
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${message}${cause}`;
}
