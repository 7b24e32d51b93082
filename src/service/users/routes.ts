// Tenants and their API keys. The operator (admin key) creates users and keys for them; a user
// lists, creates and revokes their own keys. A key's value is answered once, when it is made.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiKey, Store, User } from '../../store/index.ts';
import { generateApiKey } from '../auth/keys.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { errors, Id, nullable, PageQuery, pageOf, pageSize, Timestamp } from '../schemas.ts';

const UserName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$', description: 'unique: letters, digits, . _ @ -, at most 64' });
const KeyName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$', description: 'a label for the key' });

const UserBody = Type.Object({ id: Type.String(), name: Type.String(), createdAt: Timestamp }, { $id: 'User' });
const KeyBody = Type.Object(
  { id: Type.String(), name: Type.String(), prefix: Type.String(), createdAt: Timestamp, lastUsedAt: nullable(Timestamp), revokedAt: nullable(Timestamp) },
  { $id: 'ApiKey' },
);
const NewKeyBody = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    prefix: Type.String(),
    createdAt: Timestamp,
    key: Type.String({ description: 'the API key: shown this once, store it now' }),
  },
  { $id: 'NewApiKey' },
);
const CreateKey = Type.Object({ name: Type.Optional(KeyName) }, { additionalProperties: false });
const CreateUser = Type.Object({ name: UserName }, { additionalProperties: false });
const UserParams = Type.Object({ userId: Id });
const UserKeyParams = Type.Object({ userId: Id, keyId: Id });
const KeyParams = Type.Object({ keyId: Id });

export async function userRoutes(app: FastifyInstance, { store }: ServiceContext): Promise<void> {
  app.addSchema(UserBody);
  app.addSchema(KeyBody);
  app.addSchema(NewKeyBody);
  const admin = { access: 'admin' as const };
  const tags = ['users and keys'];

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/users',
    {
      config: admin,
      schema: {
        tags,
        operationId: 'createUser',
        summary: 'Create a user, with a first API key (operator)',
        body: CreateUser,
        response: { 201: Type.Object({ user: Type.Ref('User'), apiKey: Type.Ref('NewApiKey') }), ...errors(400, 401, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const created = await store.createUser({ id: randomUUID(), name: request.body.name, createdAt: new Date().toISOString() });
      if (!created.ok) throw new ApiError(409, 'CONFLICT', `a user named '${request.body.name}' exists already`);
      const apiKey = await issueKey(store, created.value.id, 'default');
      return reply.code(201).header('location', `/v1/users/${created.value.id}`).send({ user: created.value, apiKey });
    },
  );

  app.get<{ Querystring: { limit?: number; cursor?: string } }>(
    '/users',
    { config: admin, schema: { tags, operationId: 'listUsers', summary: 'List users (operator)', querystring: Type.Object(PageQuery, { additionalProperties: false }), response: { 200: pageOf(Type.Ref('User')), ...errors(400, 401, 403) } } },
    async (request) => store.listUsers({ limit: pageSize(request.query.limit), cursor: request.query.cursor }),
  );

  app.get<{ Params: Static<typeof UserParams> }>(
    '/users/:userId',
    { config: admin, schema: { tags, operationId: 'getUser', summary: 'Get a user (operator)', params: UserParams, response: { 200: Type.Ref('User'), ...errors(401, 403, 404) } } },
    async (request) => (await store.getUser(request.params.userId)) ?? Promise.reject(notFound('user')),
  );

  app.delete<{ Params: Static<typeof UserParams> }>(
    '/users/:userId',
    { config: admin, schema: { tags, operationId: 'deleteUser', summary: 'Delete a user with all their functions, secrets, executions and keys (operator)', params: UserParams, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (request, reply) => {
      if (!(await store.deleteUser(request.params.userId))) throw notFound('user');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof UserParams> }>(
    '/users/:userId/keys',
    { config: admin, schema: { tags, operationId: 'listUserKeys', summary: "A user's API keys (operator)", params: UserParams, response: { 200: Type.Object({ items: Type.Array(Type.Ref('ApiKey')) }), ...errors(401, 403, 404) } } },
    async (request) => {
      const user = await existingUser(store, request.params.userId);
      return { items: (await store.listApiKeys(user.id)).map(keyBody) };
    },
  );

  app.post<{ Params: Static<typeof UserParams>; Body: Static<typeof CreateKey> }>(
    '/users/:userId/keys',
    { config: admin, schema: { tags, operationId: 'createUserKey', summary: 'Create an API key for a user (operator)', params: UserParams, body: CreateKey, response: { 201: Type.Ref('NewApiKey'), ...errors(400, 401, 403, 404, 415) } } },
    async (request, reply) => {
      const user = await existingUser(store, request.params.userId);
      return reply.code(201).send(await issueKey(store, user.id, request.body.name ?? 'unnamed'));
    },
  );

  app.delete<{ Params: Static<typeof UserKeyParams> }>(
    '/users/:userId/keys/:keyId',
    { config: admin, schema: { tags, operationId: 'revokeUserKey', summary: "Revoke a user's API key (operator)", params: UserKeyParams, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (request, reply) => {
      if (!(await store.revokeApiKey(request.params.userId, request.params.keyId, new Date().toISOString()))) throw notFound('API key');
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    { schema: { tags, operationId: 'getMe', summary: 'The user the key belongs to', response: { 200: Type.Ref('User'), ...errors(401, 403) } } },
    async (request) => existingUser(store, userIdOf(request)),
  );

  app.get(
    '/keys',
    { schema: { tags, operationId: 'listKeys', summary: "The caller's API keys (never their values)", response: { 200: Type.Object({ items: Type.Array(Type.Ref('ApiKey')) }), ...errors(401, 403) } } },
    async (request) => ({ items: (await store.listApiKeys(userIdOf(request))).map(keyBody) }),
  );

  app.post<{ Body: Static<typeof CreateKey> }>(
    '/keys',
    { schema: { tags, operationId: 'createKey', summary: 'Create another API key for the caller', body: CreateKey, response: { 201: Type.Ref('NewApiKey'), ...errors(400, 401, 403, 415) } } },
    async (request, reply) => reply.code(201).send(await issueKey(store, userIdOf(request), request.body.name ?? 'unnamed')),
  );

  app.delete<{ Params: Static<typeof KeyParams> }>(
    '/keys/:keyId',
    { schema: { tags, operationId: 'revokeKey', summary: "Revoke one of the caller's API keys (the one in use too)", params: KeyParams, response: { 204: Type.Null(), ...errors(401, 403, 404) } } },
    async (request, reply) => {
      if (!(await store.revokeApiKey(userIdOf(request), request.params.keyId, new Date().toISOString()))) throw notFound('API key');
      return reply.code(204).send();
    },
  );
}

async function existingUser(store: Store, id: string): Promise<User> {
  const user = await store.getUser(id);
  if (!user) throw notFound('user');
  return user;
}

async function issueKey(store: Store, userId: string, name: string) {
  const generated = generateApiKey();
  const key = await store.createApiKey({ id: randomUUID(), userId, role: 'user', name, prefix: generated.prefix, hash: generated.hash, createdAt: new Date().toISOString() });
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt, key: generated.key };
}

function keyBody(key: ApiKey) {
  return { id: key.id, name: key.name, prefix: key.prefix, createdAt: key.createdAt, lastUsedAt: key.lastUsedAt, revokedAt: key.revokedAt };
}
