// Functions made of several ES modules, and a function's env, through the API: stored whole,
// versioned, run from the stored set (the receipt names the set's hash), and refused with a
// clear 400 that changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sourceSha256Of } from '../../src/attestation/receipt.ts';
import { startTestService, type TestService } from './helpers.ts';

const set = {
  'main.js': "import { greet } from './lib/greet.js';\nexport default (params, context) => greet(params.name) + context.env.SUFFIX;",
  'lib/greet.js': "import { prefix } from '../shared/words.js';\nexport const greet = (name) => `${prefix}, ${name}`;",
  'shared/words.js': "export const prefix = 'Hello';",
};

for (const executors of ['0', '1']) describe(`functions of several modules, and env (${executors === '0' ? 'in-process' : 'executor processes'})`, () => {
  let t: TestService;
  let key: string;

  before(async () => {
    t = await startTestService(['--executors', executors]);
    key = (await t.api.newUser(t.adminKey, 'modular')).key;
  });
  after(() => t.close());

  it('stores a set of modules with its env, runs it, and the receipt names the set', async () => {
    const created = await t.api.post('/v1/functions', key, { name: 'greeter', modules: set, env: { SUFFIX: '!' } });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.modules, set);
    assert.equal(created.body.entry, 'main.js');
    assert.equal(created.body.source, set['main.js'], 'source is the entry module');
    assert.deepEqual(created.body.env, { SUFFIX: '!' });
    assert.deepEqual([created.body.form, created.body.version], ['module', 1]);

    const run = await t.api.post(`/v1/functions/${created.body.id}/executions`, key, { params: { name: 'Ada' } });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.body.result, 'Hello, Ada!', JSON.stringify(run.body.error));
    const { 'main.js': entry, ...others } = set;
    assert.equal(run.body.receipt.claims.sourceSha256, sourceSha256Of(entry, others, 'main.js'));

    const listed = (await t.api.get('/v1/functions', key)).body.items.find((fn: { id: string }) => fn.id === created.body.id);
    assert.equal(listed.entry, 'main.js');
    assert.equal('modules' in listed || 'source' in listed || 'env' in listed, false, 'the list has no code');
  });

  it('versions modules and env with the code: an update, a run of a pinned version, a rollback', async () => {
    const fn = (await t.api.post('/v1/functions', key, { name: 'versioned', modules: set, env: { SUFFIX: '.' } })).body;
    const changed = await t.api.patch(`/v1/functions/${fn.id}`, key, { modules: { ...set, 'shared/words.js': "export const prefix = 'Hi';" }, env: { SUFFIX: '?' } });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.version, 2);
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, key, { params: { name: 'Bo' } })).body.result, 'Hi, Bo?');
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, key, { params: { name: 'Bo' }, version: 1 })).body.result, 'Hello, Bo.');
    const first = (await t.api.get(`/v1/functions/${fn.id}/versions/1`, key)).body;
    assert.deepEqual([first.modules, first.entry, first.env], [set, 'main.js', { SUFFIX: '.' }]);

    // source alone replaces the entry's text and keeps the other modules.
    const entryOnly = await t.api.patch(`/v1/functions/${fn.id}`, key, { source: "import { prefix } from './shared/words.js';\nexport default () => prefix;" });
    assert.equal(entryOnly.status, 200, entryOnly.text);
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body.result, 'Hi');

    // modules: null makes it a one-file function again.
    const single = await t.api.patch(`/v1/functions/${fn.id}`, key, { modules: null, source: 'export default (p, context) => Object.keys(context.env)' });
    assert.equal(single.status, 200, single.text);
    assert.deepEqual([single.body.modules, single.body.entry], [null, null]);
    assert.deepEqual((await t.api.post(`/v1/functions/${fn.id}/executions`, key, {})).body.result, ['SUFFIX']);

    const back = await t.api.post(`/v1/functions/${fn.id}/versions/1/activate`, key);
    assert.equal(back.status, 200, back.text);
    assert.deepEqual([back.body.modules, back.body.env], [set, { SUFFIX: '.' }]);
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, key, { params: { name: 'Cy' } })).body.result, 'Hello, Cy.');
  });

  it('gives the guest a frozen plain env, empty when none was given', async () => {
    const fn = await t.api.newFunction(key, {
      name: 'env-shape',
      source: `export default (params, context) => {
        let write;
        try { context.env.A = 'changed'; write = 'changed'; } catch (e) { write = e.name; }
        return { env: context.env, frozen: Object.isFrozen(context.env), proto: Object.getPrototypeOf(context.env) === Object.prototype, write, same: executionContext.env === context.env };
      }`,
      env: { A: 'a', EMPTY: '' },
    });
    const run = await t.api.post(`/v1/functions/${fn.id}/executions`, key, {});
    assert.deepEqual(run.body.result, { env: { A: 'a', EMPTY: '' }, frozen: true, proto: true, write: 'TypeError', same: true });
    const none = await t.api.newFunction(key, { name: 'no-env', source: 'export default (p, c) => c.env' });
    assert.deepEqual((await t.api.post(`/v1/functions/${none.id}/executions`, key, {})).body.result, {});
  });

  it('refuses a cycle, a missing module, an import outside the set and a bad env with a 400 that names them, and changes nothing', async () => {
    const fn = (await t.api.post('/v1/functions', key, { name: 'guarded', modules: set, env: { SUFFIX: '' } })).body;
    const refusals: Array<[unknown, RegExp]> = [
      [{ modules: { 'main.js': "import './a.js'; export default () => 1;", 'a.js': "import './b.js';", 'b.js': "import './a.js';" } }, /cycle: "a\.js" → "b\.js" → "a\.js"/],
      [{ modules: { 'main.js': "import { x } from './lib/missing.js'; export default () => x;" } }, /module "main\.js" imports "\.\/lib\/missing\.js", but the function has no module "lib\/missing\.js"/],
      [{ modules: { 'main.js': "import { x } from 'lodash-es'; export default () => x;" } }, /module "main\.js" imports "lodash-es": only the function's own modules/],
      [{ modules: { 'main.js': "import { x } from '../up.js'; export default () => x;" } }, /module "main\.js" imports "\.\.\/up\.js", which is outside the function/],
      [{ modules: { 'lib/a.js': 'export const a = 1;' } }, /body\/modules has no module "main\.js", the entry/],
      [{ modules: { 'main.js': 'export default () => 1;', '/etc/passwd': '' } }, /must be a relative path inside the function/],
      [{ modules: { 'main.js': 'export default () => {' } }, /SyntaxError: .*main\.js:1/],
      [{ modules: set, source: 'export default () => 1' }, /not both/],
      [{ env: { 'NOT-A-NAME': 'x' } }, /body\/env name "NOT-A-NAME" must be letters, digits and _/],
      [{ env: { A: 1 } }, /body\/env\/A must be a string/],
      [{ env: { A: 'x'.repeat(6000) } }, /body\/env\/A is 6000 bytes, over the limit of 5120/],
      [{ env: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, ''])) }, /body\/env has 65 entries, over the limit of 64/],
    ];
    for (const [body, message] of refusals) {
      const answer = await t.api.patch(`/v1/functions/${fn.id}`, key, body);
      assert.equal(answer.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${answer.text}`);
      assert.match(answer.body.error.message, message);
      assert.ok(['VALIDATION_ERROR', 'SYNTAX_ERROR'].includes(answer.body.error.code));
    }
    const cycle = await t.api.post('/v1/functions', key, { name: 'cyclic', modules: { 'main.js': "import './main.js'; export default () => 1;" } });
    assert.equal(cycle.status, 400);
    assert.equal(cycle.body.error.code, 'VALIDATION_ERROR');
    const after = (await t.api.get(`/v1/functions/${fn.id}`, key)).body;
    assert.deepEqual([after.version, after.modules, after.env], [1, set, { SUFFIX: '' }], 'nothing changed');
    assert.equal((await t.api.get('/v1/functions', key)).body.items.some((f: { name: string }) => f.name === 'cyclic'), false);
  });

  it('takes another entry, and TypeScript modules by their paths', async () => {
    const made = await t.api.post('/v1/functions', key, {
      name: 'typed',
      entry: 'src/index.ts',
      modules: { 'src/index.ts': "import { twice } from './math.ts';\nexport default (p: { n: number }): number => twice(p.n);", 'src/math.ts': 'export const twice = (n: number): number => n * 2;' },
    });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual([made.body.entry, made.body.language], ['src/index.ts', 'typescript']);
    assert.equal((await t.api.post(`/v1/functions/${made.body.id}/executions`, key, { params: { n: 21 } })).body.result, 42);
  });
});
