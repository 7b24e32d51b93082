// The attestation document: binds a signing key and the runtime measurement to a caller's
// nonce and, on a confidential VM, to a hardware quote whose report data is
// sha512(raw public key || nonce).
//
// Invariants:
// - A nonce is 16 to 64 bytes written as hex (32 to 128 hex digits, either case); anything
//   else is a NonceError. The document echoes it in lower case.
// - Quotes are requested at most once per key and nonce (a bounded cache); a failure to get
//   one is not cached, and never throws: the document then says provider 'none' and why.
// - Nothing here runs per execution.
// - The operator's collateral file (TDX only) is read at each document, so that a refreshed
//   file counts at once; a file that is missing or not collateral never fails the document:
//   `evidence.collateralError` says why it is absent.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readTsmEvidence, type Evidence, type TsmFs } from './evidence/configfs-tsm.ts';
import { parseCollateral } from './evidence/tdx.ts';
import { decodePublicKey, type SigningKey } from './keys.ts';
import { runtimeInfo, type RuntimeInfo } from './measurement.ts';

export interface AttestationDocument {
  publicKey: string;
  keyId: string;
  runtime: RuntimeInfo;
  nonce: string;
  /** Hex SHA-512 of the 32 raw public-key bytes followed by the nonce bytes. */
  reportData: string;
  evidence: Evidence;
}

export class NonceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonceError';
  }
}

export const nonceBounds = { minBytes: 16, maxBytes: 64 } as const;

/** The nonce's bytes; throws NonceError saying what is wrong. */
export function parseNonce(text: unknown): Buffer {
  if (typeof text !== 'string' || text === '') throw new NonceError('nonce is required: 16 to 64 bytes as hex');
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) throw new NonceError('nonce must be hex digits, two per byte');
  const bytes = text.length / 2;
  if (bytes < nonceBounds.minBytes || bytes > nonceBounds.maxBytes) throw new NonceError(`nonce must be 16 to 64 bytes, got ${bytes}`);
  return Buffer.from(text, 'hex');
}

/** sha512(raw public key || nonce), hex; null when the public key is not one. */
export function reportDataFor(publicKey: string, nonce: Uint8Array): string | null {
  const raw = decodePublicKey(publicKey);
  if (raw === null) return null;
  return createHash('sha512').update(raw).update(nonce).digest('hex');
}

export interface AttestorOptions {
  /** The configfs-tsm report directory (default /sys/kernel/config/tsm/report). */
  tsmPath?: string;
  /** File operations for configfs-tsm (tests). */
  tsmFs?: TsmFs;
  runtime?: RuntimeInfo;
  /** Quotes kept (default 256). */
  cacheSize?: number;
  /** A file of DCAP collateral (dcap-qvl's JSON) that documents with a TDX quote carry. */
  collateralPath?: string;
}

export class Attestor {
  readonly #options: AttestorOptions;
  readonly #quotes = new Map<string, Promise<Evidence>>();

  constructor(options: AttestorOptions = {}) {
    this.#options = options;
  }

  /** The document for this key and nonce (hex); throws NonceError for a malformed nonce. */
  async document(key: SigningKey, nonceHex: unknown): Promise<AttestationDocument> {
    const nonce = parseNonce(nonceHex);
    const reportData = reportDataFor(key.publicKey, nonce)!;
    const evidence = await this.#evidence(`${key.keyId}:${nonce.toString('hex')}`, Buffer.from(reportData, 'hex'));
    const runtime = this.#options.runtime ?? runtimeInfo();
    const withCollateral = evidence.provider === 'tdx_guest' && this.#options.collateralPath !== undefined ? { ...evidence, ...(await this.#collateral(this.#options.collateralPath)) } : { ...evidence };
    return { publicKey: key.publicKey, keyId: key.keyId, runtime: { ...runtime }, nonce: nonce.toString('hex'), reportData, evidence: withCollateral };
  }

  async #collateral(file: string): Promise<Pick<Evidence, 'collateral' | 'collateralError'>> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return { collateralError: `cannot read the collateral file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
    }
    const read = parseCollateral(text);
    return read.ok ? { collateral: read.collateral as unknown as Record<string, unknown> } : { collateralError: `the collateral file is not DCAP collateral: ${read.reason}` };
  }

  #evidence(cacheKey: string, reportData: Buffer): Promise<Evidence> {
    const cached = this.#quotes.get(cacheKey);
    if (cached) return cached;
    const pending = readTsmEvidence(reportData, { path: this.#options.tsmPath, fs: this.#options.tsmFs }).then((evidence) => {
      // Only quotes are worth keeping: a failure may pass (the platform's rate limit).
      if (evidence.provider === 'none') this.#quotes.delete(cacheKey);
      return evidence;
    });
    this.#quotes.set(cacheKey, pending);
    const max = this.#options.cacheSize ?? 256;
    while (this.#quotes.size > max) this.#quotes.delete(this.#quotes.keys().next().value!);
    return pending;
  }
}
