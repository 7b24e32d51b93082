// Public attestation routes: GET /v1/attestation?nonce=HEX (this node's key and runtime bound
// to the caller's nonce, with a TEE quote where the machine has one) and GET
// /v1/attestation/keys (every node's signing keys over time, to check old receipts).
// Neither needs an API key; the document is rate limited (a quote costs the platform).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NonceError } from '../../attestation/document.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { errors } from '../schemas.ts';
import { AttestationDocument, SigningKeyList } from './schemas.ts';

const NonceQuery = Type.Object(
  { nonce: Type.String({ description: '16 to 64 random bytes as hex, chosen by the caller', maxLength: 256 }) },
  { additionalProperties: false },
);

export async function attestationRoutes(app: FastifyInstance, { store, config, attestation }: ServiceContext): Promise<void> {
  const tags = ['attestation'];
  app.addSchema(AttestationDocument);

  app.get<{ Querystring: Static<typeof NonceQuery> }>(
    '/attestation',
    {
      config: { access: 'public', rateLimited: true },
      schema: {
        tags,
        operationId: 'getAttestation',
        summary: "This node's signing key and runtime measurement bound to a nonce, with a TEE quote where there is one",
        querystring: NonceQuery,
        response: { 200: Type.Ref('AttestationDocument'), ...errors(400, 429) },
      },
    },
    async (request, reply) => {
      try {
        const document = await attestation.attestor.document(attestation.key, request.query.nonce);
        return reply.header('cache-control', 'no-store').send(document);
      } catch (error) {
        if (error instanceof NonceError) throw new ApiError(400, 'VALIDATION_ERROR', `querystring/nonce: ${error.message}`);
        throw error;
      }
    },
  );

  app.get(
    '/attestation/keys',
    {
      config: { access: 'public' },
      schema: { tags, operationId: 'listSigningKeys', summary: "Every node's receipt-signing keys, with when each was used", response: { 200: SigningKeyList } },
    },
    async (_request, reply) => {
      const keys = (await store.listSigningKeys()).map((key) => ({
        nodeId: key.nodeId,
        keyId: key.keyId,
        alg: 'Ed25519' as const,
        publicKey: key.publicKey,
        origin: key.origin,
        activatedAt: key.activatedAt,
        retiredAt: key.retiredAt,
      }));
      // Public and the same for everyone; a rotation shows within a minute.
      return reply.header('cache-control', 'public, max-age=60').send({ nodeId: config.nodeId, keys });
    },
  );
}
