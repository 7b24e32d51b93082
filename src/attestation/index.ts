// Signed execution receipts, runtime measurement and attestation documents: the public API for
// producers (the engine, the executor pool, the service) and consumers (verifyResult). The
// package exports it as `teejs/verify`.
export { sha256Hex, jcs, jcsSha256 } from './hash.ts';
export { SigningKey, KeyError, processSigningKey, decodePublicKey, keyIdOf, verifySignature } from './keys.ts';
export { measurementManifest, runtimeInfo, runtimeFolders, measurementFormat, type RuntimeInfo } from './measurement.ts';
export { claimsOf, signClaims, signResult, paramsSha256, sourceSha256Of, type Receipt, type ReceiptClaims, type ReceiptInputs } from './receipt.ts';
export { Attestor, NonceError, parseNonce, reportDataFor, nonceBounds, type AttestationDocument, type AttestorOptions } from './document.ts';
export { readTsmEvidence, defaultTsmPath, noEvidence, type Evidence, type TsmFs } from './evidence/configfs-tsm.ts';
export { quoteReportData, parseQuote, quoteSignature, type ParsedQuote, type SignatureCheck } from './evidence/quote.ts';
export { parseCollateral, type TdxRegisters } from './evidence/tdx.ts';
export type { SnpFields } from './evidence/sev-snp.ts';
export { verifyResult, checkAttestation, type VerifyOptions, type VerifyReport, type QuoteSummary } from './verify.ts';
