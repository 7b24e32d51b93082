// Response schemas of receipts, attestation documents and key lists. Every field a receipt
// holds is declared: Fastify serializes answers by their schema and drops what is not, which
// would break the signature (the receipt must leave exactly as it was signed and stored).
import { Type } from '@sinclair/typebox';
import { nullable } from '../schemas.ts';

const Hex = (description: string) => Type.String({ description });
const Runtime = Type.Object({
  name: Type.String(),
  version: Type.String(),
  measurement: Hex('hex sha256 of the runtime manifest (teejs measure)'),
});

export const Receipt = Type.Object(
  {
    alg: Type.Literal('Ed25519'),
    publicKey: Type.String({ description: 'base64url of the 32 raw public-key bytes' }),
    keyId: Hex('hex sha256 of the 32 raw public-key bytes'),
    claims: Type.Object({
      executionId: Type.String(),
      functionId: Type.String(),
      functionVersion: nullable(Type.Integer()),
      userId: Type.String(),
      sourceSha256: nullable(Hex('hex sha256 of the source text (UTF-8) as stored')),
      paramsSha256: nullable(Hex('hex sha256 of JCS(params)')),
      status: Type.String(),
      resultSha256: Hex('hex sha256 of JCS(result) as answered (redacted)'),
      errorCode: nullable(Type.String()),
      logsSha256: Hex('hex sha256 of JCS(logs)'),
      networkSha256: Hex('hex sha256 of JCS(network)'),
      startedAt: Type.String(),
      finishedAt: Type.String(),
      limits: Type.Object({ timeoutMs: nullable(Type.Number()), memoryMb: nullable(Type.Number()) }),
      runtime: Runtime,
      deterministic: Type.Boolean({ description: 'whether it ran deterministically (teejs verify --replay)' }),
    }),
    signature: Type.String({ description: 'base64url Ed25519 signature over the UTF-8 bytes of JCS(claims)' }),
  },
  { $id: 'Receipt', description: 'Signed claims about one execution (docs/attestation.md); verify with teejs verify' },
);

export const AttestationDocument = Type.Object(
  {
    publicKey: Type.String(),
    keyId: Type.String(),
    runtime: Runtime,
    nonce: Type.String({ description: 'the nonce asked for, lower-case hex' }),
    reportData: Hex('hex sha512(raw public-key bytes || nonce bytes)'),
    evidence: Type.Object({
      provider: Type.String({ description: 'tdx_guest, sev_guest... as configfs-tsm names it; none without a TEE quote' }),
      generation: nullable(Type.Integer()),
      quote: nullable(Type.String({ description: 'base64 of the quote (configfs-tsm outblob)' })),
      reason: Type.Optional(Type.String({ description: 'why there is no quote' })),
      collateral: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description: "Intel DCAP collateral for a TDX quote (dcap-qvl's QuoteCollateralV3 JSON), when the operator configured it (--quote-collateral): the consumer's own collateral is more trustworthy for revocation",
        }),
      ),
      collateralError: Type.Optional(Type.String({ description: 'why the configured collateral is absent' })),
    }),
  },
  { $id: 'AttestationDocument' },
);

export const SigningKeyList = Type.Object({
  nodeId: Type.String({ description: 'the node answering' }),
  keys: Type.Array(
    Type.Object({
      nodeId: Type.String(),
      keyId: Type.String(),
      alg: Type.Literal('Ed25519'),
      publicKey: Type.String(),
      origin: Type.String({ description: 'generated (sealed in the store) or environment (TEEJS_SIGNING_KEY)' }),
      activatedAt: Type.String({ format: 'date-time', description: 'from when the node signed receipts with it' }),
      retiredAt: nullable(Type.String({ format: 'date-time', description: 'until when; null for a current key' })),
    }),
  ),
});
