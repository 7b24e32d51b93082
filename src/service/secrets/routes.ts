// /v1/secrets: set (create, or replace with a new version), list, get metadata, delete, and
// the audit trail. No route ever answers a secret's value.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { keyIdOf, userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { notFound, quotaExceeded } from '../errors.ts';
import { SecretName } from '../functions/routes.ts';
import { errors, PageQuery, pageOf, pageSize, stringEnum, Timestamp } from '../schemas.ts';

const SecretMeta = Type.Object({ name: Type.String(), version: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp }, { $id: 'SecretMeta' });
const SetSecret = Type.Object({ value: Type.String({ description: 'the secret; stored encrypted, never returned' }) }, { additionalProperties: false });
const NameParams = Type.Object({ name: SecretName });
const AuditEntry = Type.Object(
  {
  id: Type.String(),
  secretName: Type.String(),
  action: stringEnum(['create', 'update', 'delete', 'read'] as const),
  keyId: Type.Union([Type.String(), Type.Null()], { description: 'the API key that wrote' }),
  executionId: Type.Union([Type.String(), Type.Null()], { description: 'the execution that read' }),
  at: Timestamp,
  },
  { $id: 'SecretAuditEntry' },
);
const AuditQuery = Type.Object({ ...PageQuery, name: Type.Optional(SecretName) }, { additionalProperties: false });


export async function secretRoutes(app: FastifyInstance, { store, vault, config }: ServiceContext): Promise<void> {
  app.addSchema(SecretMeta);
  app.addSchema(AuditEntry);
  const tags = ['secrets'];

  app.put<{ Params: Static<typeof NameParams>; Body: Static<typeof SetSecret> }>(
    '/secrets/:name',
    {
      schema: {
        tags,
        operationId: 'setSecret',
        summary: 'Set a secret: create it, or replace its value (a new version)',
        params: NameParams,
        body: SetSecret,
        response: { 200: Type.Ref('SecretMeta'), 201: Type.Ref('SecretMeta'), ...errors(400, 401, 413, 415, 429) },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const { name } = request.params;
      const bytes = Buffer.byteLength(request.body.value, 'utf8');
      if (bytes > config.quotas.secretBytes) {
        throw quotaExceeded(`quota exceeded: a secret value may have at most ${config.quotas.secretBytes} bytes, this one has ${bytes}`, 60);
      }
      const sealed = vault.seal(userId, name, request.body.value);
      const stored = await store.putSecret(userId, name, sealed, new Date().toISOString(), { id: randomUUID(), keyId: keyIdOf(request) }, { maxPerUser: config.quotas.secretsPerUser });
      if (!stored.ok) throw quotaExceeded(`quota exceeded: at most ${config.quotas.secretsPerUser} secrets per user; delete one first`, 60);
      return reply.code(stored.value.created ? 201 : 200).send(stored.value.meta);
    },
  );

  app.get(
    '/secrets',
    { schema: { tags, operationId: 'listSecrets', summary: "The caller's secrets: names and metadata only", response: { 200: Type.Object({ items: Type.Array(Type.Ref('SecretMeta')) }), ...errors(401) } } },
    async (request) => ({ items: await store.listSecrets(userIdOf(request)) }),
  );

  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/audit/secrets',
    {
      schema: {
        tags,
        operationId: 'listSecretAudit',
        summary: "Audit trail of the caller's secrets, newest first: writes, and which execution read which secret",
        querystring: AuditQuery,
        response: { 200: pageOf(Type.Ref('SecretAuditEntry')), ...errors(400, 401) },
      },
    },
    async (request) => {
      const { limit, cursor, name } = request.query;
      return store.listSecretAudit(userIdOf(request), { limit: pageSize(limit), cursor, name });
    },
  );

  app.get<{ Params: Static<typeof NameParams> }>(
    '/secrets/:name',
    { schema: { tags, operationId: 'getSecret', summary: "A secret's metadata (never its value)", params: NameParams, response: { 200: Type.Ref('SecretMeta'), ...errors(401, 404) } } },
    async (request) => {
      const meta = await store.getSecretMeta(userIdOf(request), request.params.name);
      if (!meta) throw notFound('secret');
      return meta;
    },
  );

  app.delete<{ Params: Static<typeof NameParams> }>(
    '/secrets/:name',
    { schema: { tags, operationId: 'deleteSecret', summary: 'Delete a secret', params: NameParams, response: { 204: Type.Null(), ...errors(401, 404) } } },
    async (request, reply) => {
      const deleted = await store.deleteSecret(userIdOf(request), request.params.name, new Date().toISOString(), { id: randomUUID(), keyId: keyIdOf(request) });
      if (!deleted) throw notFound('secret');
      return reply.code(204).send();
    },
  );
}
