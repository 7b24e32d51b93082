// The OpenAPI document describes every route and validates as OpenAPI 3; /docs serves the page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestService, type TestService } from './helpers.ts';

describe('OpenAPI document', () => {
  let t: TestService;

  before(async () => {
    t = await startTestService();
  });
  after(() => t.close());

  it('is served at /openapi.json without a key and validates as OpenAPI 3', async () => {
    const answer = await t.api.get('/openapi.json');
    assert.equal(answer.status, 200);
    const document = answer.body;
    assert.match(document.openapi, /^3\./);
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(document));
    const paths = Object.keys(document.paths);
    for (const route of ['/v1/functions', '/v1/functions/{id}', '/v1/functions/{id}/executions', '/v1/functions/{id}/execute', '/v1/executions/{executionId}', '/v1/secrets/{name}', '/v1/users', '/v1/keys', '/health', '/ready', '/metrics']) {
      assert.ok(paths.includes(route), `${route} is documented`);
    }
    assert.ok(!paths.some((route) => route.startsWith('/docs')), 'the docs pages are not API routes');
    assert.deepEqual(document.paths['/health'].get.security, [], 'public routes need no key');
    assert.ok(document.components.securitySchemes.bearer);
    const create = document.paths['/v1/functions'].post;
    assert.ok(create.requestBody.content['application/json'].schema.properties.source);
    assert.ok(create.responses['400'] && create.responses['429']);
  });

  it('is fit for code generation: every operation has an operationId, declared tags and every response it can give', async () => {
    // Routes added later are held to the same rules: this test is what catches one that is not.
    const document = (await t.api.get('/openapi.json')).body;
    assert.ok(document.servers?.length > 0, 'servers');
    const declaredTags = new Map<string, string>(document.tags.map((tag: { name: string; description: string }) => [tag.name, tag.description]));
    const schemas = Object.keys(document.components.schemas);
    assert.deepEqual(schemas.filter((name) => /^def-\d+$/.test(name)), [], 'component schemas are named');
    const operationIds = new Set<string>();
    for (const [route, methods] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(methods)) {
        const where = `${method.toUpperCase()} ${route}`;
        assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${where}: a camelCase operationId`);
        assert.ok(!operationIds.has(operation.operationId), `${where}: operationId ${operation.operationId} is unique`);
        operationIds.add(operation.operationId);
        assert.ok(operation.tags?.length > 0, `${where}: tags`);
        for (const tag of operation.tags) assert.ok(declaredTags.get(tag), `${where}: tag '${tag}' is declared with a description`);
        assert.ok(operation.summary, `${where}: summary`);
        const statuses = Object.keys(operation.responses);
        const needed = ['500', '503'];
        const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
        if (!isPublic) needed.push('401', '403', '429');
        if (operation.requestBody) needed.push('400', '413', '415');
        if (operation.parameters?.length > 0) needed.push('400');
        for (const status of needed) assert.ok(statuses.includes(status), `${where}: documents ${status}`);
        assert.ok(statuses.some((status) => status.startsWith('2')), `${where}: a success response`);
        for (const status of statuses.filter((status) => Number(status) >= 400)) {
          const content = operation.responses[status].content?.['application/json'];
          if (route === '/ready') continue;
          assert.equal(content?.schema?.$ref, '#/components/schemas/Error', `${where}: ${status} is the shared Error`);
        }
        for (const parameter of operation.parameters ?? []) {
          if (parameter.name === 'limit') assert.deepEqual([parameter.schema.type, parameter.schema.minimum, parameter.schema.maximum], ['integer', 1, 100], `${where}: limit`);
        }
      }
    }
    for (const name of ['createFunction', 'listFunctions', 'updateFunction', 'runFunction', 'listExecutions', 'getExecution', 'setSecret', 'listSecrets', 'deleteSecret', 'listFunctionVersions']) {
      assert.ok(operationIds.has(name), name);
    }
  });

  it('names the field in plain words when a request does not fit its schema', async () => {
    const { key } = await t.api.newUser(t.adminKey, 'words');
    const message = async (answer: Promise<{ status: number; body: any }>) => {
      const { status, body } = await answer;
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.error.code, 'VALIDATION_ERROR');
      return body.error.message as string;
    };
    assert.equal(await message(t.api.get('/v1/functions?limit=0', key)), 'querystring/limit must be from 1 to 100');
    assert.equal(await message(t.api.get('/v1/functions?limit=101', key)), 'querystring/limit must be from 1 to 100');
    assert.equal(await message(t.api.get('/v1/functions?limit=ten', key)), 'querystring/limit must be a whole number from 1 to 100');
    assert.equal(await message(t.api.get('/v1/functions?limt=5', key)), 'unknown query parameter `limt`');
    assert.equal(await message(t.api.post('/v1/functions', key, { name: 'a', source: 'export default 1', foo: 1 })), 'body: unknown field `foo`');
    assert.equal(await message(t.api.post('/v1/functions', key, { name: 'a' })), 'body/source is required (or body/modules, for a function of several modules)');
    assert.equal(await message(t.api.post('/v1/functions', key, { name: 'a', source: 'export default 1', allowedHosts: 'x' })), 'body/allowedHosts must be an array');
    assert.match(await message(t.api.post('/v1/functions', key, { name: '-a', source: 'export default 1' })), /^body\/name is not valid: unique per user: letters, digits/);
    assert.match(await message(t.api.post('/v1/functions', key, { name: 'a', source: 'export default 1', form: 'modul' })), /^body\/form must be one of "module", "script", or must be null$/);
    assert.equal(await message(t.api.patch('/v1/functions/x', key, {})), 'body must have at least one field');
    assert.equal(await message(t.api.get('/v1/functions/x/versions/0', key)), 'params/version must be from 1 to 999999999');
    // A good limit is a number to the route, and pages as before.
    assert.equal((await t.api.get('/v1/functions?limit=5', key)).status, 200);
  });

  it('serves the interactive page at /docs', async () => {
    const page = await fetch(`${t.url}/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });
});
