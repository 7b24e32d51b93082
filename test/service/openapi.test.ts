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

  it('serves the interactive page at /docs', async () => {
    const page = await fetch(`${t.url}/docs`, { redirect: 'follow' });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /swagger/i);
  });
});
