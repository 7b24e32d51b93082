// Signed execution receipts, runtime measurement and attestation documents: the public API for
// producers (the engine, the executor pool, the service) and consumers (verifyResult).
export { sha256Hex, jcs, jcsSha256 } from './hash.ts';
export { SigningKey, KeyError, processSigningKey, decodePublicKey, keyIdOf, verifySignature } from './keys.ts';
export { measurementManifest, runtimeInfo, measurementFormat, type RuntimeInfo } from './measurement.ts';
export { claimsOf, signClaims, signResult, paramsSha256, type Receipt, type ReceiptClaims, type ReceiptInputs } from './receipt.ts';
export { Attestor, NonceError, parseNonce, reportDataFor, nonceBounds, type AttestationDocument, type AttestorOptions } from './document.ts';
export { readTsmEvidence, defaultTsmPath, noEvidence, type Evidence, type TsmFs } from './evidence/configfs-tsm.ts';
export { quoteReportData } from './evidence/quote.ts';
export { verifyResult, checkAttestation, type VerifyOptions, type VerifyReport } from './verify.ts';
