// The checked-in OpenAPI document and the client's generated types are what the routes make now:
// a route changed without `npm run generate:client` fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { staleClientFiles } from '../../scripts/generate-client.ts';

test('src/client/openapi.json and src/client/schema.ts are current', async () => {
  assert.deepEqual(await staleClientFiles(), [], 'run `npm run generate:client` and commit the result');
});
