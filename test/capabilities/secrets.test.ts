// secrets.get (ext/secrets): a user's own secrets, within the function's allow-list; every other
// name gives the same SECRET_NOT_FOUND, so a guest learns nothing about which names exist.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { failed, makeEngine, moduleOf, run, succeeded } from '../support/engine.ts';

const engine = makeEngine();
after(() => engine.drain());

describe('SECRET_NOT_FOUND', () => {
  test("is the same for a missing secret, a forbidden one and another user's", async () => {
    const source = (name: string) => moduleOf(`return secrets.get(${JSON.stringify(name)});`, { async: false });
    const outcomes = [
      await run(engine, source('missing-xx'), { userId: 'user-1' }),
      await run(engine, source('db-password'), { userId: 'user-1', allowedSecrets: ['api-key'] }),
      await run(engine, source('only-user-2'), { userId: 'user-1' }),
    ];
    const names = ['missing-xx', 'db-password', 'only-user-2'];
    const errors = outcomes.map((result, i) => {
      const error = failed(result, 'SECRET_NOT_FOUND');
      return JSON.parse(JSON.stringify(error).replaceAll(names[i]!, 'NAME'));
    });
    assert.deepEqual(errors[1], errors[0]);
    assert.deepEqual(errors[2], errors[0]);
    assert.equal(errors[0].message, 'Error: secret not found: NAME');
    for (const result of outcomes) assert.deepEqual(result.secretsRead, []);
  });

  test('an empty allow-list forbids every secret; no allow-list allows all of the user\'s', async () => {
    failed(await run(engine, moduleOf("return secrets.get('api-key');"), { allowedSecrets: [] }), 'SECRET_NOT_FOUND');
    assert.equal(succeeded(await run(engine, moduleOf("return secrets.get('db-password');"), { allowedSecrets: null })), 'pw-of-user-1');
  });
});
