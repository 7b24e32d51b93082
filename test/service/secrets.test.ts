// Secrets: redacted wherever a function puts them, encrypted at rest, under a master key that
// is private to its owner and that a restart must match.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/service/config.ts';
import { startService } from '../../src/service/server.ts';
import { redactExecution, redactJson, redactor } from '../../src/service/secrets/redact.ts';
import { startTestService, type TestService } from './helpers.ts';

const plaintext = 'sk-live-5f2a9c1e7b3d4a60-do-not-leak';

describe('secrets', () => {
  let t: TestService;
  let alice: { id: string; key: string; keyId: string };

  before(async () => {
    t = await startTestService();
    alice = await t.api.newUser(t.adminKey, 'alice');
    assert.equal((await t.api.put('/v1/secrets/api-key', alice.key, { value: plaintext })).status, 201);
  });
  after(() => t.close());

  it('redacts secret values a function logs, returns (inside JSON too) or throws', async () => {
    const { api } = t;
    const fn = await api.newFunction(alice.key, {
      name: 'leaky',
      allowedSecrets: ['api-key'],
      source: `export default (params) => {
        const key = secrets.get('api-key');
        console.log('using key', key);
        console.warn({ nested: { key } });
        if (params.fail) throw new Error('bad key ' + key);
        return { plain: key, inside: 'prefix-' + key + '-suffix', list: [key, { deeper: key }], [key]: 'as a key', length: key.length, hash: crypto.sha256(key) };
      }`,
    });
    const run = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: {} });
    assert.equal(run.body.status, 'success');
    assert.ok(!run.text.includes(plaintext), 'the answer holds no secret value');
    assert.deepEqual(run.body.result.plain, '[REDACTED]');
    assert.equal(run.body.result.inside, 'prefix-[REDACTED]-suffix');
    assert.deepEqual(run.body.result.list, ['[REDACTED]', { deeper: '[REDACTED]' }]);
    assert.equal(run.body.result['[REDACTED]'], 'as a key');
    assert.equal(run.body.result.length, plaintext.length, 'other data is untouched');
    assert.deepEqual(run.body.logs.map((l: { message: string }) => l.message), ['using key [REDACTED]', run.body.logs[1].message]);
    assert.match(run.body.logs[1].message, /\[REDACTED\]/);
    assert.deepEqual(run.body.secretsRead, ['api-key']);

    const failed = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: { fail: true } });
    assert.equal(failed.body.status, 'error');
    assert.match(failed.body.error.message, /bad key \[REDACTED\]/);
    assert.ok(!failed.text.includes(plaintext));

    const queued = await api.post(`/v1/functions/${fn.id}/executions`, alice.key, { params: {}, async: true });
    await api.settled(queued.body.executionId, alice.key);
    const history = await api.get(`/v1/functions/${fn.id}/executions`, alice.key);
    assert.equal(history.body.items.length, 3);
    assert.ok(!history.text.includes(plaintext), 'nor does the stored history');
  });

  it('stores only ciphertext: the database files never contain a secret value', async () => {
    const other = 'second-plaintext-\u00e9\u4e2d-value';
    await t.api.put('/v1/secrets/other', alice.key, { value: other });
    // Force the write-ahead log into the main file too, then read every file of the store.
    const files = readdirSync(t.dataDir).filter((name) => name.startsWith('teejs.db'));
    assert.ok(files.includes('teejs.db'));
    for (const name of files) {
      const bytes = readFileSync(path.join(t.dataDir, name));
      for (const value of [plaintext, other]) {
        assert.equal(bytes.includes(Buffer.from(value, 'utf8')), false, `${name} holds a secret in plain text`);
        assert.equal(bytes.includes(Buffer.from(value, 'utf16le')), false);
      }
    }
    // The bytes are really there, encrypted: the function still reads the value.
    const fn = await t.api.newFunction(alice.key, { name: 'check', allowedSecrets: ['other'], source: 'export default () => secrets.get("other").length' });
    assert.equal((await t.api.post(`/v1/functions/${fn.id}/executions`, alice.key, {})).body.result, other.length);
  });

  it('keeps the generated master key in a file only its owner can read', () => {
    const file = path.join(t.dataDir, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    assert.equal(statSync(t.dataDir).mode & 0o077, 0, 'the data directory is private too');
  });

  it('refuses to start under a master key other than the one the store was made with', async () => {
    const config = loadConfig(['--data-dir', t.dataDir, '--port', '0', '--executors', '0'], { TEEJS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
    // The running test service holds the directory: stop it first, as an operator would.
    await t.service.stop();
    await assert.rejects(startService(config), /master key is not the one/);
    const bad = loadConfig(['--data-dir', t.dataDir, '--port', '0', '--executors', '0'], { TEEJS_MASTER_KEY: 'c2hvcnQ=' });
    await assert.rejects(startService(bad), /base64 encoding of 32 random bytes/);
  });
});

describe('redaction', () => {
  it('replaces values in text, their JSON-escaped form, and inside JSON values without touching other data', () => {
    const redact = redactor(['s3cr"et', '']);
    assert.equal(redact('a s3cr"et b'), 'a [REDACTED] b');
    assert.equal(redact(JSON.stringify({ k: 's3cr"et' })), '{"k":"[REDACTED]"}');
    const value = JSON.parse('{"__proto__": "s3cr\\"et", "n": 1, "deep": [[["s3cr\\"et"]]]}');
    const clean = redactJson(value, redact) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(clean), Object.prototype, 'a __proto__ key stays data');
    assert.deepEqual(Object.getOwnPropertyDescriptor(clean, '__proto__')?.value, '[REDACTED]');
    assert.deepEqual(clean.deep, [[['[REDACTED]']]]);
    assert.equal(clean.n, 1);
  });

  it('survives a result nested deeper than the host stack', () => {
    let deep: unknown = 'top-secret';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let out = redactJson(deep, redactor(['top-secret']));
    for (let i = 0; i < 100_000; i++) out = (out as unknown[])[0];
    assert.equal(out, '[REDACTED]');
  });

  it('redacts numbers that show a numeric secret, and network URLs', () => {
    const result = redactExecution(
      {
        executionId: 'e',
        functionId: 'f',
        userId: 'u',
        status: 'success',
        result: { pin: 918273, other: 5 },
        error: null,
        logs: [],
        network: [{ method: 'GET', url: 'https://api.example.com/?pin=918273', status: 200, bytesIn: 1, bytesOut: 0, durationMs: 1 }],
        secretsRead: ['pin'],
        startedAt: '',
        finishedAt: '',
        durationMs: 0,
        cpuTimeMs: 0,
        memoryUsedBytes: 0,
      },
      ['918273'],
    );
    assert.deepEqual(result.result, { pin: '[REDACTED]', other: 5 });
    assert.equal(result.network[0]!.url, 'https://api.example.com/?pin=[REDACTED]');
    assert.equal(result.network[0]!.status, 200);
  });
});
