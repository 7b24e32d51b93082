// The storage contract, run against every backend (sqlite.test.ts, postgres.test.ts).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { InvalidCursorError, type ExecutionOutcome, type NewFunction, type Store } from '../../src/store/index.ts';

export interface StoreFactory {
  open(): Promise<Store>;
  /** Removes what open() made (a file, a schema). */
  cleanup(): Promise<void>;
}

const at = (offsetMs = 0) => new Date(Date.UTC(2026, 0, 1) + offsetMs).toISOString();

function newFunction(userId: string, name: string, extra: Partial<NewFunction> = {}): NewFunction {
  return {
    id: randomUUID(),
    userId,
    name,
    description: `the ${name} function`,
    source: 'export default () => 1',
    modules: null,
    entry: null,
    env: {},
    language: 'javascript',
    form: null,
    timeoutMs: 1000,
    memoryMb: 64,
    allowedSecrets: ['token'],
    allowedHosts: ['api.example.com'],
    deterministic: false,
    createdAt: at(),
    ...extra,
  };
}

function outcome(extra: Partial<ExecutionOutcome> = {}): ExecutionOutcome {
  return {
    status: 'success',
    result: { b: 1, a: [1, 'two', null] },
    error: null,
    logs: [{ level: 'log', message: 'hello', time: 1 }],
    network: [],
    secretsRead: [],
    startedAt: at(1),
    finishedAt: at(2),
    durationMs: 1.5,
    cpuTimeMs: 0.5,
    memoryUsedBytes: 1024,
    ...extra,
  };
}

export function storeSuite(name: string, factory: StoreFactory): void {
  describe(`${name} store`, () => {
    let store: Store;
    let alice: string;
    let bob: string;

    before(async () => {
      store = await factory.open();
      alice = randomUUID();
      bob = randomUUID();
      assert.equal((await store.createUser({ id: alice, name: `alice-${alice}`, createdAt: at() })).ok, true);
      assert.equal((await store.createUser({ id: bob, name: `bob-${bob}`, createdAt: at() })).ok, true);
    });

    after(async () => {
      await store.close();
      await factory.cleanup();
    });

    it('pings, and keeps the first value of a setting', async () => {
      await store.ping();
      const name = `setting-${randomUUID()}`;
      assert.equal(await store.getSetting(name), undefined);
      assert.equal(await store.initSetting(name, 'first'), 'first');
      assert.equal(await store.initSetting(name, 'second'), 'first');
      assert.equal(await store.getSetting(name), 'first');
    });

    it('refuses a second user of the same name, and pages users', async () => {
      const duplicate = await store.createUser({ id: randomUUID(), name: `alice-${alice}`, createdAt: at() });
      assert.deepEqual(duplicate, { ok: false, reason: 'conflict' });
      assert.equal((await store.getUser(alice))?.name, `alice-${alice}`);
      assert.equal(await store.getUser('no-such-user'), undefined);
      const first = await store.listUsers({ limit: 1 });
      assert.equal(first.items.length, 1);
      assert.ok(first.nextCursor);
      const rest = await store.listUsers({ limit: 100, cursor: first.nextCursor });
      assert.ok(!rest.items.some((user) => user.id === first.items[0]!.id));
      await assert.rejects(store.listUsers({ limit: 1, cursor: 'nonsense' }), InvalidCursorError);
    });

    it('finds keys by hash only while they are not revoked, and only their owner revokes them', async () => {
      const key = await store.createApiKey({ id: randomUUID(), userId: alice, role: 'user', name: 'laptop', prefix: 'tjs_abcd', hash: `h-${randomUUID()}`, createdAt: at() });
      assert.equal(key.userId, alice);
      assert.equal(key.revokedAt, null);
      const hash = `h-${randomUUID()}`;
      const second = await store.createApiKey({ id: randomUUID(), userId: alice, role: 'user', name: 'ci', prefix: 'tjs_efgh', hash, createdAt: at() });
      assert.equal((await store.findApiKey(hash))?.id, second.id);
      assert.equal(await store.revokeApiKey(bob, second.id, at(5)), false, "another user cannot revoke alice's key");
      assert.equal(await store.revokeApiKey(alice, second.id, at(5)), true);
      assert.equal(await store.revokeApiKey(alice, second.id, at(6)), false, 'a key is revoked once');
      assert.equal(await store.findApiKey(hash), undefined);
      const keys = await store.listApiKeys(alice);
      assert.equal(keys.find((k) => k.id === second.id)?.revokedAt, at(5));
      await store.touchApiKey(key.id, at(9));
      assert.equal((await store.listApiKeys(alice)).find((k) => k.id === key.id)?.lastUsedAt, at(9));
      assert.deepEqual(await store.listApiKeys(bob), []);
    });

    it('counts live admin keys', async () => {
      const before = await store.countAdminKeys();
      await store.createApiKey({ id: randomUUID(), userId: null, role: 'admin', name: 'bootstrap', prefix: 'tjs_admn', hash: `h-${randomUUID()}`, createdAt: at() });
      assert.equal(await store.countAdminKeys(), before + 1);
    });

    it('creates functions under a per-user quota with names unique per user', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `quota-${owner}`, createdAt: at() });
      const created = await store.createFunction(newFunction(owner, 'one'), { maxPerUser: 2 });
      assert.equal(created.ok, true);
      assert.deepEqual(await store.createFunction(newFunction(owner, 'one'), { maxPerUser: 2 }), { ok: false, reason: 'conflict' });
      assert.equal((await store.createFunction(newFunction(owner, 'two'), { maxPerUser: 2 })).ok, true);
      assert.deepEqual(await store.createFunction(newFunction(owner, 'three'), { maxPerUser: 2 }), { ok: false, reason: 'quota' });
      // Another user may use the same name.
      assert.equal((await store.createFunction(newFunction(bob, 'one'), { maxPerUser: 2 })).ok, true);
    });

    it('keeps every version of a function, and shows a function only to its owner', async () => {
      const created = await store.createFunction(newFunction(alice, 'versioned'), { maxPerUser: 100 });
      assert.ok(created.ok);
      const fn = created.value;
      assert.equal(fn.version, 1);
      assert.deepEqual(fn.allowedSecrets, ['token']);
      assert.equal(await store.getFunction(bob, fn.id), undefined);
      assert.equal(await store.updateFunction(bob, fn.id, { source: 'stolen' }, at(1)), undefined);
      assert.equal(await store.deleteFunction(bob, fn.id), false);

      const updated = await store.updateFunction(alice, fn.id, { source: 'export default () => 2', allowedHosts: [], form: 'module' }, at(10));
      assert.ok(updated?.ok);
      assert.equal(updated.value.version, 2);
      assert.equal(updated.value.description, fn.description, 'fields absent from the patch stay');
      const again = await store.updateFunction(alice, fn.id, { description: 'new words' }, at(20));
      assert.ok(again?.ok);
      assert.equal(again.value.version, 3);
      const stored = await store.getFunction(alice, fn.id);
      assert.equal(stored?.version, 3);
      assert.equal(stored?.source, 'export default () => 2');
      assert.equal(stored?.form, 'module');
      assert.equal(stored?.updatedAt, at(20));

      const versions = await store.listFunctionVersions(alice, fn.id);
      assert.deepEqual(versions.map((v) => v.version), [1, 2, 3]);
      assert.equal((await store.getFunctionVersion(alice, fn.id, 1))?.source, 'export default () => 1');
      assert.deepEqual((await store.getFunctionVersion(alice, fn.id, 1))?.allowedHosts, ['api.example.com']);
      assert.equal(await store.getFunctionVersion(bob, fn.id, 1), undefined);
      assert.deepEqual(await store.listFunctionVersions(bob, fn.id), []);

      const other = await store.createFunction(newFunction(alice, 'taken'), { maxPerUser: 100 });
      assert.ok(other.ok);
      assert.deepEqual(await store.updateFunction(alice, fn.id, { name: 'taken' }, at(30)), { ok: false, reason: 'conflict' });
      assert.equal((await store.getFunction(alice, fn.id))?.version, 3, 'a refused update changes nothing');
    });

    it('makes an older version active without changing any version; the next change is numbered after the newest', async () => {
      const created = await store.createFunction(newFunction(alice, 'rolled'), { maxPerUser: 100 });
      assert.ok(created.ok);
      const fn = created.value;
      assert.ok((await store.updateFunction(alice, fn.id, { source: 'export default () => 2', timeoutMs: 2000, allowedSecrets: [] }, at(10)))?.ok);
      const before = await store.listFunctionVersions(alice, fn.id);

      const active = await store.activateFunctionVersion(alice, fn.id, 1, at(20));
      assert.equal(active?.version, 1);
      assert.equal(active?.source, 'export default () => 1');
      assert.deepEqual(active?.allowedSecrets, ['token'], 'the whole code of version 1: source, limits and lists');
      assert.equal(active?.timeoutMs, fn.timeoutMs);
      assert.equal(active?.updatedAt, at(20));
      assert.equal(active?.name, fn.name);
      assert.deepEqual(await store.getFunction(alice, fn.id), active);
      assert.deepEqual(await store.listFunctionVersions(alice, fn.id), before, 'no history rewritten');

      assert.equal(await store.activateFunctionVersion(alice, fn.id, 9, at(30)), undefined, 'no such version');
      assert.equal(await store.activateFunctionVersion(bob, fn.id, 2, at(30)), undefined, 'not his');
      assert.equal((await store.getFunction(alice, fn.id))?.version, 1);

      const next = await store.updateFunction(alice, fn.id, { description: 'after the rollback' }, at(40));
      assert.ok(next?.ok);
      assert.equal(next.value.version, 3, 'numbered after the newest, not after the active one');
      assert.equal(next.value.source, 'export default () => 1', 'a change builds on the active version');
      assert.deepEqual((await store.listFunctionVersions(alice, fn.id)).map((v) => v.version), [1, 2, 3]);
    });

    it('keeps a set of modules and the env with each version, and a rollback brings them back', async () => {
      const modules = { 'lib/z.js': 'export const z = 26;', 'lib/a.js': 'export const a = 1;' };
      const created = await store.createFunction(
        newFunction(alice, 'modular', { source: "import { a } from './lib/a.js'; export default () => a;", modules, entry: 'main.js', env: { B: '2', A: 'one' }, deterministic: true }),
        { maxPerUser: 100 },
      );
      assert.ok(created.ok);
      assert.deepEqual(created.value.modules, modules);
      assert.deepEqual(Object.keys(created.value.modules!), ['lib/z.js', 'lib/a.js'], 'modules keep their order');
      assert.equal(created.value.entry, 'main.js');
      assert.deepEqual(created.value.env, { B: '2', A: 'one' });
      const changed = await store.updateFunction(alice, created.value.id, { source: 'export default () => 0', modules: null, entry: null, env: {}, deterministic: false }, at(10));
      assert.ok(changed?.ok);
      assert.deepEqual([changed.value.modules, changed.value.entry, changed.value.env], [null, null, {}]);
      const first = await store.getFunctionVersion(alice, created.value.id, 1);
      assert.deepEqual([first?.modules, first?.entry, first?.env], [modules, 'main.js', { B: '2', A: 'one' }]);
      const back = await store.activateFunctionVersion(alice, created.value.id, 1, at(20));
      assert.deepEqual([back?.modules, back?.entry, back?.env, back?.deterministic], [modules, 'main.js', { B: '2', A: 'one' }, true], 'the whole code of version 1');
    });

    it('keeps the console lines of a running execution for followers on other nodes, once each, until they are deleted', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `lines-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'talker'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const id = randomUUID();
      const made = await store.createExecution(
        { id, userId: owner, functionId: fn.value.id, functionVersion: 1, async: true, params: {}, createdAt: at(1), phase: 'started', nodeId: 'node-a', leaseExpiresAt: at(60_000) },
        { maxActivePerUser: 10 },
      );
      assert.ok(made.ok);
      const line = (n: number) => ({ level: 'log' as const, message: `line ${n} ✓`, time: 1000 + n });
      await store.appendLogLines(id, 0, [line(0), line(1)]);
      await store.appendLogLines(id, 2, [line(2)]);
      await store.appendLogLines(id, 1, [{ ...line(1), message: 'again' }, line(2)]);
      assert.deepEqual(await store.listLogLines(id, 0, 100), [line(0), line(1), line(2)], 'a line already stored is kept');
      assert.deepEqual(await store.listLogLines(id, 1, 1), [line(1)]);
      assert.deepEqual(await store.listLogLines(id, 3, 100), []);
      await store.appendLogLines(randomUUID(), 0, [line(0)]);
      await store.deleteLogLines(id);
      assert.deepEqual(await store.listLogLines(id, 0, 100), []);
    });

    it('changes a function only in the state the caller expects, when it names one (If-Match)', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `ifmatch-${owner}`, createdAt: at() });
      const made = await store.createFunction(newFunction(owner, 'expected'), { maxPerUser: 100 });
      assert.ok(made.ok);
      const first = { version: made.value.version, updatedAt: made.value.updatedAt };
      const changed = await store.updateFunction(owner, made.value.id, { description: 'first' }, at(10), first);
      assert.ok(changed?.ok);
      assert.deepEqual(await store.updateFunction(owner, made.value.id, { description: 'stale' }, at(20), first), { ok: false, reason: 'stale' });
      const stored = await store.getFunction(owner, made.value.id);
      assert.equal(stored?.description, 'first', 'a stale change changes nothing');
      assert.deepEqual((await store.listFunctionVersions(owner, made.value.id)).map((v) => v.version), [1, 2], 'and makes no version');
      const now = await store.updateFunction(owner, made.value.id, { description: 'second' }, at(30), { version: stored!.version, updatedAt: stored!.updatedAt });
      assert.ok(now?.ok && now.value.version === 3);
    });

    it('pages functions per user', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `pager-${owner}`, createdAt: at() });
      for (const name of ['a', 'b', 'c']) await store.createFunction(newFunction(owner, name), { maxPerUser: 100 });
      const first = await store.listFunctions(owner, { limit: 2 });
      assert.deepEqual(first.items.map((f) => f.name), ['a', 'b']);
      const second = await store.listFunctions(owner, { limit: 2, cursor: first.nextCursor! });
      assert.deepEqual(second.items.map((f) => f.name), ['c']);
      assert.equal(second.nextCursor, null);
      assert.deepEqual((await store.listFunctions(randomUUID(), { limit: 5 })).items, []);
    });

    it('stores secret ciphertext with versions, a quota and an audit trail', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `secrets-${owner}`, createdAt: at() });
      const bytes = new Uint8Array([0, 1, 2, 250, 255]);
      const first = await store.putSecret(owner, 'token', bytes, at(1), { id: randomUUID(), keyId: 'key-1' }, { maxPerUser: 2 });
      assert.ok(first.ok);
      assert.equal(first.value.created, true);
      assert.equal(first.value.meta.version, 1);
      const second = await store.putSecret(owner, 'token', new Uint8Array([9]), at(2), { id: randomUUID(), keyId: 'key-1' }, { maxPerUser: 2 });
      assert.ok(second.ok);
      assert.equal(second.value.created, false);
      assert.equal(second.value.meta.version, 2);
      assert.equal(second.value.meta.createdAt, at(1));
      assert.equal(second.value.meta.updatedAt, at(2));
      assert.deepEqual([...(await store.getSecretCiphertext(owner, 'token'))!], [9]);
      assert.equal(await store.getSecretCiphertext(bob, 'token'), undefined);
      assert.equal(await store.getSecretMeta(bob, 'token'), undefined);

      assert.ok((await store.putSecret(owner, 'other', bytes, at(3), { id: randomUUID(), keyId: null }, { maxPerUser: 2 })).ok);
      assert.deepEqual(await store.putSecret(owner, 'third', bytes, at(3), { id: randomUUID(), keyId: null }, { maxPerUser: 2 }), { ok: false, reason: 'quota' });
      // Replacing an existing secret is not limited by the count.
      assert.ok((await store.putSecret(owner, 'other', bytes, at(4), { id: randomUUID(), keyId: null }, { maxPerUser: 2 })).ok);
      assert.deepEqual((await store.listSecrets(owner)).map((s) => s.name), ['other', 'token']);

      await store.recordSecretReads(owner, 'exec-1', ['token'], at(5));
      assert.equal(await store.deleteSecret(bob, 'token', at(6), { id: randomUUID(), keyId: null }), false);
      assert.equal(await store.deleteSecret(owner, 'token', at(6), { id: randomUUID(), keyId: 'key-1' }), true);
      assert.equal(await store.deleteSecret(owner, 'token', at(7), { id: randomUUID(), keyId: 'key-1' }), false);
      assert.equal(await store.getSecretMeta(owner, 'token'), undefined);

      const audit = await store.listSecretAudit(owner, { limit: 10, name: 'token' });
      assert.deepEqual(
        audit.items.map((entry) => [entry.action, entry.keyId, entry.executionId]),
        [
          ['delete', 'key-1', null],
          ['read', null, 'exec-1'],
          ['update', 'key-1', null],
          ['create', 'key-1', null],
        ],
      );
      const page = await store.listSecretAudit(owner, { limit: 2 });
      assert.equal(page.items.length, 2);
      const rest = await store.listSecretAudit(owner, { limit: 10, cursor: page.nextCursor! });
      assert.equal(page.items.length + rest.items.length, 6);
      assert.deepEqual((await store.listSecretAudit(bob, { limit: 10 })).items, []);
    });

    it('records executions as running before they run, within the per-user concurrency quota', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `exec-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'runner'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const base = { userId: owner, functionId: fn.value.id, functionVersion: 1, params: { x: 1 }, createdAt: at(1) };
      const sync = await store.createExecution({ ...base, id: randomUUID(), async: false, phase: 'started', nodeId: 'node-a', leaseExpiresAt: at(60_000) }, { maxActivePerUser: 2 });
      assert.ok(sync.ok);
      assert.equal(sync.value.status, 'running');
      assert.equal(sync.value.phase, 'started');
      assert.deepEqual(sync.value.params, { x: 1 });
      const queued = await store.createExecution({ ...base, id: randomUUID(), async: true, phase: 'queued', nodeId: null, leaseExpiresAt: null }, { maxActivePerUser: 2 });
      assert.ok(queued.ok);
      assert.equal(queued.value.async, true);
      assert.deepEqual(
        await store.createExecution({ ...base, id: randomUUID(), async: true, phase: 'queued', nodeId: null, leaseExpiresAt: null }, { maxActivePerUser: 2 }),
        { ok: false, reason: 'quota' },
      );
      assert.equal(await store.getExecution(bob, sync.value.id), undefined);

      assert.equal(await store.countQueued() >= 1, true);
      const claimed = await store.claimQueued('node-a', at(60_000), 10);
      assert.ok(claimed.some((e) => e.id === queued.value.id && e.phase === 'started'));
      assert.deepEqual(await store.claimQueued('node-b', at(60_000), 10), [], 'a claimed execution is not claimed twice');

      assert.equal(await store.completeExecution(sync.value.id, outcome(), 1000), true);
      assert.equal(await store.completeExecution(sync.value.id, outcome({ status: 'error' }), 1000), false, 'completed once');
      const done = await store.getExecution(owner, sync.value.id);
      assert.equal(done?.status, 'success');
      assert.equal(done?.phase, 'done');
      assert.deepEqual(done?.result, { b: 1, a: [1, 'two', null] });
      assert.equal(JSON.stringify(done?.result), '{"b":1,"a":[1,"two",null]}', 'key order is kept');
      assert.deepEqual(done?.logs, [{ level: 'log', message: 'hello', time: 1 }]);
      assert.equal(done?.durationMs, 1.5);
      assert.equal(done?.memoryUsedBytes, 1024);
      const counted = await store.getFunction(owner, fn.value.id);
      assert.equal(counted?.executionCount, 1);
      assert.equal(counted?.lastExecutionAt, at(2));

      // Now below the quota again.
      assert.ok((await store.createExecution({ ...base, id: randomUUID(), async: true, phase: 'queued', nodeId: null, leaseExpiresAt: null }, { maxActivePerUser: 2 })).ok);
    });

    it('interrupts started executions of a dead node, or whose lease expired, and leaves queued ones', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `crash-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'crashy'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const base = { userId: owner, functionId: fn.value.id, functionVersion: 1, params: {}, createdAt: at(1), async: true };
      const limit = { maxActivePerUser: 100 };
      const mine = await store.createExecution({ ...base, id: randomUUID(), phase: 'started', nodeId: `dead-${owner}`, leaseExpiresAt: at(10_000_000_000) }, limit);
      const expired = await store.createExecution({ ...base, id: randomUUID(), phase: 'started', nodeId: `other-${owner}`, leaseExpiresAt: at(5) }, limit);
      const alive = await store.createExecution({ ...base, id: randomUUID(), phase: 'started', nodeId: `other-${owner}`, leaseExpiresAt: at(10_000_000_000) }, limit);
      const queued = await store.createExecution({ ...base, id: randomUUID(), phase: 'queued', nodeId: null, leaseExpiresAt: null }, limit);
      assert.ok(mine.ok && expired.ok && alive.ok && queued.ok);
      const error = { code: 'INTERRUPTED' as const, message: 'the server stopped' };
      assert.deepEqual(await store.interruptExecutions({ nodeId: `dead-${owner}` }, error, at(100)), { interrupted: 1, released: 0 });
      assert.ok((await store.interruptExecutions({ expiredBefore: at(50) }, error, at(100))).interrupted >= 1);
      const statuses = await Promise.all([mine, expired, alive, queued].map((e) => store.getExecution(owner, e.ok ? e.value.id : '')));
      assert.deepEqual(statuses.map((e) => [e?.status, e?.phase, e?.error?.code ?? null]), [
        ['error', 'done', 'INTERRUPTED'],
        ['error', 'done', 'INTERRUPTED'],
        ['running', 'started', null],
        ['queued', 'queued', null],
      ]);
      await store.renewLeases(`other-${owner}`, at(20));
      assert.ok((await store.interruptExecutions({ expiredBefore: at(50) }, error, at(100))).interrupted >= 1, 'a renewed lease can still expire');
      assert.equal((await store.getExecution(owner, alive.ok ? alive.value.id : ''))?.status, 'error');
      assert.equal(await store.completeExecution(mine.ok ? mine.value.id : '', outcome(), 1000), false, 'an interrupted execution stays interrupted');
    });

    it('tells the scheduler who waits in the queue, and claims the queued executions of one user, oldest first', async () => {
      const [ann, ben] = [randomUUID(), randomUUID()];
      const fns: Record<string, string> = {};
      for (const user of [ann, ben]) {
        await store.createUser({ id: user, name: `fair-${user}`, createdAt: at() });
        const fn = await store.createFunction(newFunction(user, 'fair'), { maxPerUser: 100 });
        assert.ok(fn.ok);
        fns[user] = fn.value.id;
      }
      const queue = async (user: string, offsetMs: number) => {
        const created = await store.createExecution(
          { id: randomUUID(), userId: user, functionId: fns[user]!, functionVersion: 1, params: {}, createdAt: at(offsetMs), async: true, phase: 'queued', nodeId: null, leaseExpiresAt: null },
          { maxActivePerUser: 100 },
        );
        assert.ok(created.ok);
        return created.value.id;
      };
      // Queued in this order: ann, ann, ben, ann; a started execution is not queued.
      const a1 = await queue(ann, 10);
      const a2 = await queue(ann, 20);
      const b1 = await queue(ben, 30);
      const a3 = await queue(ann, 40);
      assert.ok((await store.createExecution({ id: randomUUID(), userId: ben, functionId: fns[ben]!, functionVersion: 1, params: {}, createdAt: at(5), async: false, phase: 'started', nodeId: 'node-a', leaseExpiresAt: at(60_000) }, { maxActivePerUser: 100 })).ok);
      const mine = async () => (await store.queuedByUser()).filter((q) => q.userId === ann || q.userId === ben).sort((x, y) => x.oldestAt.localeCompare(y.oldestAt));
      assert.deepEqual(await mine(), [
        { userId: ann, queued: 3, oldestAt: at(10) },
        { userId: ben, queued: 1, oldestAt: at(30) },
      ]);

      const first = await store.claimQueued('node-a', at(60_000), 2, ann);
      assert.deepEqual(first.map((e) => [e.id, e.phase, e.userId]), [[a1, 'started', ann], [a2, 'started', ann]], 'oldest first, only the one user');
      assert.deepEqual(await store.claimQueued('node-a', at(60_000), 5, randomUUID()), [], 'a user without queued work gets nothing');
      assert.deepEqual(await mine(), [
        { userId: ben, queued: 1, oldestAt: at(30) },
        { userId: ann, queued: 1, oldestAt: at(40) },
      ]);
      const rest = await store.claimQueued('node-b', at(60_000), 5, ben);
      assert.deepEqual(rest.map((e) => e.id), [b1]);
      assert.deepEqual((await store.claimQueued('node-b', at(60_000), 5, ann)).map((e) => e.id), [a3]);
      assert.deepEqual(await mine(), []);
      assert.deepEqual(await store.claimQueued('node-b', at(60_000), 5, ann), [], 'a claimed execution is not claimed twice');
    });

    it('keeps a sync execution waiting on its node out of the shared queue, starts it there, and requeues it when the node dies', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `pinned-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'pinned'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const node = `node-${owner}`;
      const base = { userId: owner, functionId: fn.value.id, functionVersion: 1, params: {}, createdAt: at(1), async: false, phase: 'queued' as const };
      const waiting = await store.createExecution({ ...base, id: randomUUID(), nodeId: node, leaseExpiresAt: at(10_000_000_000) }, { maxActivePerUser: 100 });
      const other = await store.createExecution({ ...base, id: randomUUID(), nodeId: node, leaseExpiresAt: at(5) }, { maxActivePerUser: 100 });
      assert.ok(waiting.ok && other.ok);
      assert.equal(waiting.value.status, 'queued');
      assert.equal(waiting.value.nodeId, node);
      assert.equal(waiting.value.trigger, 'api');
      assert.deepEqual((await store.queuedByUser()).filter((q) => q.userId === owner), [], 'not in the shared queue');
      assert.deepEqual(await store.claimQueued('node-x', at(60_000), 10, owner), [], 'no other node claims it');
      assert.equal(await store.startExecution(waiting.value.id, 'node-x', at(60_000), at(2)), false, 'only its node starts it');
      assert.equal(await store.startExecution(waiting.value.id, node, at(60_000), at(2)), true);
      assert.equal(await store.startExecution(waiting.value.id, node, at(60_000), at(2)), false, 'started once');
      const started = await store.getExecution(owner, waiting.value.id);
      assert.equal(started?.status, 'running');
      assert.equal(started?.startedAt, at(2));
      const page = await store.listExecutions(owner, fn.value.id, { limit: 10, status: 'queued' });
      assert.deepEqual(page.items.map((e) => e.id), [other.value.id], 'the status filter knows queued from running');
      assert.deepEqual((await store.listExecutions(owner, fn.value.id, { limit: 10, status: 'running' })).items.map((e) => e.id), [waiting.value.id]);

      // Its node's lease runs out: the one that never started goes to the shared queue, unharmed.
      const error = { code: 'INTERRUPTED' as const, message: 'the server stopped' };
      const settled = await store.interruptExecutions({ expiredBefore: at(50) }, error, at(100));
      assert.ok(settled.released >= 1);
      const requeued = await store.getExecution(owner, other.value.id);
      assert.deepEqual([requeued?.status, requeued?.nodeId, requeued?.error], ['queued', null, null]);
      assert.deepEqual((await store.claimQueued('node-x', at(60_000), 10, owner)).map((e) => e.id), [other.value.id], 'another node runs it');
      // The started one ends INTERRUPTED when its node is settled, never a queued one.
      assert.deepEqual(await store.interruptExecutions({ nodeId: node }, error, at(100)), { interrupted: 1, released: 0 });
    });

    it('registers nodes, refuses a live duplicate id, and frees the id on a clean stop or a stale heartbeat', async () => {
      const id = `node-${randomUUID()}`;
      const first = { id, instance: randomUUID(), version: '1.0.0', at: at(1000), slots: 10 };
      assert.deepEqual(await store.registerNode(first, at(0)), { ok: true });
      assert.equal(await store.heartbeatNode(id, first.instance, at(2000), { running: 3, draining: false }), true);
      const listed = (await store.listNodes()).find((n) => n.id === id);
      assert.deepEqual(listed && { ...listed }, { id, instance: first.instance, version: '1.0.0', startedAt: at(1000), heartbeatAt: at(2000), stoppedAt: null, draining: false, running: 3, slots: 10 });

      const second = { ...first, instance: randomUUID(), at: at(3000) };
      if (!store.exclusive) {
        // Heartbeat at 2000 is after the stale line at 1500: live, refused.
        assert.deepEqual(await store.registerNode(second, at(1500)), { ok: false, reason: 'live', heartbeatAt: at(2000) });
      }
      // Stale (its heartbeat is before the line): taken over; the first no longer holds it.
      assert.deepEqual(await store.registerNode(second, at(2500)), { ok: true });
      assert.equal(await store.heartbeatNode(id, first.instance, at(3500), { running: 0, draining: false }), false);
      await store.stopNode(id, first.instance, at(3600));
      assert.equal((await store.listNodes()).find((n) => n.id === id)?.stoppedAt, null, 'a former instance cannot stop the current one');
      await store.stopNode(id, second.instance, at(3700));
      assert.equal((await store.listNodes()).find((n) => n.id === id)?.stoppedAt, at(3700));
      // Stopped: free at once, however fresh its heartbeat.
      assert.deepEqual(await store.registerNode({ ...first, instance: randomUUID(), at: at(3800) }, at(0)), { ok: true });
    });

    it('remembers an idempotency key per user until it expires', async () => {
      const key = `key-${randomUUID()}`;
      const entry = { userId: alice, key, scope: 'POST /v1/functions', fingerprint: 'f1', resourceId: 'r1', createdAt: at(0), expiresAt: at(1000) };
      assert.deepEqual(await store.reserveIdempotencyKey(entry), { reserved: true });
      assert.deepEqual(await store.reserveIdempotencyKey({ ...entry, fingerprint: 'f2', resourceId: 'r2', createdAt: at(10) }), { reserved: false, existing: entry });
      assert.deepEqual(await store.reserveIdempotencyKey({ ...entry, userId: bob, resourceId: 'r3' }), { reserved: true }, 'keys are per user');
      await store.releaseIdempotencyKey(bob, key);
      assert.deepEqual(await store.reserveIdempotencyKey({ ...entry, userId: bob, resourceId: 'r4' }), { reserved: true }, 'a released key is free');
      // Expired: replaced by the next request with it.
      const later = { ...entry, fingerprint: 'f5', resourceId: 'r5', createdAt: at(1000), expiresAt: at(2000) };
      assert.deepEqual(await store.reserveIdempotencyKey(later), { reserved: true });
      assert.ok((await store.pruneIdempotencyKeys(at(2000))) >= 2);
      assert.deepEqual(await store.reserveIdempotencyKey(entry), { reserved: true }, 'pruned');
      await store.pruneIdempotencyKeys(at(10_000));
    });

    it('fires each tick of a schedule once, records its execution with the tick, and skips a tick over the quota', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `cron-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'cron'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const id = randomUUID();
      const created = await store.createSchedule(
        { id, userId: owner, functionId: fn.value.id, cron: '* * * * *', timezone: 'UTC', params: { b: 1, a: 2 }, enabled: true, nextAt: at(60_000), createdAt: at() },
        { maxPerUser: 1 },
      );
      assert.ok(created.ok);
      assert.equal(JSON.stringify(created.value.params), '{"b":1,"a":2}');
      assert.deepEqual(
        await store.createSchedule({ ...created.value, id: randomUUID() }, { maxPerUser: 1 }),
        { ok: false, reason: 'quota' },
      );
      assert.equal(await store.getSchedule(bob, fn.value.id, id), undefined, 'only its owner sees it');
      assert.deepEqual((await store.listSchedules(owner, fn.value.id)).map((x) => x.id), [id]);
      assert.deepEqual((await store.dueSchedules(at(59_999), 10)).filter((x) => x.id === id), [], 'not due before its tick');
      assert.deepEqual((await store.dueSchedules(at(60_000), 10)).filter((x) => x.id === id).map((x) => x.nextAt), [at(60_000)]);

      const execution = (n: number) => ({ id: randomUUID(), userId: owner, functionId: fn.value.id, functionVersion: 1, async: true, params: { n }, createdAt: at(60_001), phase: 'queued' as const, nodeId: null, leaseExpiresAt: null, trigger: 'schedule' as const });
      // Two nodes race for the same tick: one fires it.
      const [one, two] = await Promise.all([
        store.fireTick(id, at(60_000), at(120_000), execution(1), { maxActivePerUser: 100 }),
        store.fireTick(id, at(60_000), at(120_000), execution(2), { maxActivePerUser: 100 }),
      ]);
      const fired = [one, two].filter((outcome) => outcome.fired);
      assert.equal(fired.length, 1);
      assert.deepEqual([one, two].filter((outcome) => !outcome.fired), [{ fired: false, reason: 'taken' }]);
      const record = fired[0]!.fired ? fired[0]!.execution : undefined;
      assert.deepEqual([record?.trigger, record?.scheduleId, record?.scheduledAt, record?.status], ['schedule', id, at(60_000), 'queued']);
      const after = await store.getSchedule(owner, fn.value.id, id);
      assert.deepEqual([after?.nextAt, after?.lastFiredAt, after?.lastExecutionId, after?.lastOutcome], [at(120_000), at(60_000), record?.id, 'queued']);

      // Over the quota: the tick passes (next one set), nothing is recorded but the outcome.
      assert.deepEqual(await store.fireTick(id, at(120_000), at(180_000), execution(3), { maxActivePerUser: 1 }), { fired: false, reason: 'quota' });
      assert.deepEqual([(await store.getSchedule(owner, fn.value.id, id))?.nextAt, (await store.getSchedule(owner, fn.value.id, id))?.lastOutcome], [at(180_000), 'skipped: quota']);

      // Disabled: never due, and its tick cannot fire.
      const paused = await store.updateSchedule(owner, fn.value.id, id, { enabled: false, nextAt: null }, at(2));
      assert.deepEqual([paused?.enabled, paused?.nextAt, paused?.cron, paused?.updatedAt], [false, null, '* * * * *', at(2)]);
      assert.deepEqual((await store.dueSchedules(at(10_000_000), 100)).filter((x) => x.id === id), []);
      const changed = await store.updateSchedule(owner, fn.value.id, id, { cron: '0 * * * *', timezone: 'Europe/Berlin', params: { c: 3 } }, at(3));
      assert.deepEqual([changed?.cron, changed?.timezone, changed?.params, changed?.enabled], ['0 * * * *', 'Europe/Berlin', { c: 3 }, false]);
      assert.equal(await store.updateSchedule(bob, fn.value.id, id, { enabled: true }, at(4)), undefined);
      assert.equal(await store.deleteSchedule(owner, fn.value.id, id), true);
      assert.equal(await store.deleteSchedule(owner, fn.value.id, id), false);
    });

    it('stores webhooks with their sealed secret, finds one by id alone, and audits refusals per owner', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `hook-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'hooked'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const hook = { id: `h${randomUUID().replaceAll('-', '')}`, userId: owner, functionId: fn.value.id, auth: 'hmac' as const, secret: new Uint8Array([1, 2, 3]), ratePerMinute: 60, createdAt: at() };
      const created = await store.createHook(hook, { maxPerUser: 1 });
      assert.ok(created.ok);
      assert.deepEqual(await store.createHook({ ...hook, id: `h${randomUUID().replaceAll('-', '')}` }, { maxPerUser: 1 }), { ok: false, reason: 'quota' });
      assert.deepEqual(await store.findHook(hook.id), hook);
      assert.deepEqual((await store.listHooks(owner, fn.value.id)).map((h) => h.id), [hook.id]);
      assert.deepEqual(await store.listHooks(bob, fn.value.id), []);
      await store.recordHookRejection({ hookId: hook.id, at: at(1), reason: 'bad signature', remote: '127.0.0.1' });
      await store.recordHookRejection({ hookId: hook.id, at: at(2), reason: 'wrong token', remote: '127.0.0.1' });
      assert.deepEqual((await store.listHookRejections(owner, hook.id, 10)).map((r) => r.reason), ['wrong token', 'bad signature']);
      assert.deepEqual(await store.listHookRejections(bob, hook.id, 10), [], "only the owner reads a hook's audit");
      assert.equal(await store.deleteHook(bob, fn.value.id, hook.id), false);
      assert.equal(await store.deleteHook(owner, fn.value.id, hook.id), true);
      assert.equal(await store.findHook(hook.id), undefined);
    });

    it('lists a function\'s executions newest first, with filters and paging, and prunes old history', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `history-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'history'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = randomUUID();
        ids.push(id);
        const created = await store.createExecution(
          { id, userId: owner, functionId: fn.value.id, functionVersion: 1, async: false, params: { i }, createdAt: at(i * 1000), phase: 'started', nodeId: 'n', leaseExpiresAt: at(99_999) },
          { maxActivePerUser: 100 },
        );
        assert.ok(created.ok);
        if (i < 4) await store.completeExecution(id, outcome({ status: i % 2 === 0 ? 'success' : 'error', error: i % 2 === 0 ? null : { code: 'RUNTIME_ERROR', message: 'x' } }), 3);
      }
      // Keep 3 finished: the oldest finished one (i = 0) is gone; the running one stays.
      assert.equal(await store.getExecution(owner, ids[0]!), undefined);
      const all = await store.listExecutions(owner, fn.value.id, { limit: 10 });
      assert.deepEqual(all.items.map((e) => e.id), [ids[4], ids[3], ids[2], ids[1]]);
      const errors = await store.listExecutions(owner, fn.value.id, { limit: 10, status: 'error' });
      assert.deepEqual(errors.items.map((e) => e.id), [ids[3], ids[1]]);
      const windowed = await store.listExecutions(owner, fn.value.id, { limit: 10, since: at(2000), until: at(3000) });
      assert.deepEqual(windowed.items.map((e) => e.id), [ids[3], ids[2]]);
      const page = await store.listExecutions(owner, fn.value.id, { limit: 3 });
      assert.equal(page.items.length, 3);
      const next = await store.listExecutions(owner, fn.value.id, { limit: 3, cursor: page.nextCursor! });
      assert.deepEqual(next.items.map((e) => e.id), [ids[1]]);
      assert.equal(next.nextCursor, null);
      assert.deepEqual((await store.listExecutions(bob, fn.value.id, { limit: 10 })).items, []);
    });

    it('keeps the receipt an execution was completed with, exactly', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `receipts-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'signed', { deterministic: true }), { maxPerUser: 100 });
      assert.ok(fn.ok);
      assert.equal(fn.value.deterministic, true);
      const changed = await store.updateFunction(owner, fn.value.id, { deterministic: false }, at(1));
      assert.ok(changed?.ok && changed.value.deterministic === false && changed.value.version === 2);
      assert.equal((await store.getFunction(owner, fn.value.id))?.deterministic, false);
      assert.deepEqual((await store.listFunctionVersions(owner, fn.value.id)).map((v) => v.deterministic), [true, false]);
      const made = await store.createExecution(
        { id: randomUUID(), userId: owner, functionId: fn.value.id, functionVersion: 1, async: false, params: { n: 1 }, createdAt: at(), phase: 'started', nodeId: 'node-a', leaseExpiresAt: at(60_000) },
        { maxActivePerUser: 100 },
      );
      assert.ok(made.ok);
      assert.equal(made.value.receipt, null, 'no receipt while running');
      const receipt = {
        alg: 'Ed25519' as const,
        publicKey: 'k'.repeat(43),
        keyId: 'a'.repeat(64),
        claims: { executionId: made.value.id, functionVersion: 1, limits: { timeoutMs: 1000, memoryMb: 64 }, resultSha256: 'b'.repeat(64), errorCode: null } as never,
        signature: 's'.repeat(86),
      };
      assert.equal(await store.completeExecution(made.value.id, outcome({ receipt }), 1000), true);
      const done = await store.getExecution(owner, made.value.id);
      assert.deepEqual(done?.receipt, receipt);
      const listed = await store.listExecutions(owner, fn.value.id, { limit: 1 });
      assert.deepEqual(listed.items[0]?.receipt, receipt);
      assert.equal(await store.setExecutionReceipt(made.value.id, { ...receipt, signature: 't'.repeat(86) }), false, 'a receipt is never replaced');
      assert.deepEqual((await store.getExecution(owner, made.value.id))?.receipt, receipt);

      // An execution ended by interruptExecutions has none until one is set, once.
      const cut = await store.createExecution(
        { id: randomUUID(), userId: owner, functionId: fn.value.id, functionVersion: 1, async: false, params: {}, createdAt: at(), phase: 'started', nodeId: `gone-${owner}`, leaseExpiresAt: at(60_000) },
        { maxActivePerUser: 100 },
      );
      assert.ok(cut.ok);
      assert.equal(await store.setExecutionReceipt(cut.value.id, receipt), false, 'not while running');
      assert.deepEqual(await store.interruptExecutions({ nodeId: `gone-${owner}` }, { code: 'INTERRUPTED', message: 'x' }, at(5)), { interrupted: 1, released: 0 });
      assert.equal((await store.getExecution(owner, cut.value.id))?.receipt, null);
      assert.equal(await store.setExecutionReceipt(cut.value.id, receipt), true);
      assert.equal(await store.setExecutionReceipt(cut.value.id, receipt), false);
      assert.deepEqual((await store.getExecution(owner, cut.value.id))?.receipt, receipt);
    });

    it("keeps each node's signing keys over time: one current per node, earlier ones retired", async () => {
      const node = `node-${randomUUID()}`;
      const key = (keyId: string, activatedAt: string, sealed: Uint8Array | null) => ({
        nodeId: node,
        keyId,
        publicKey: `pk-${keyId}`,
        sealedPrivateKey: sealed,
        origin: sealed ? ('generated' as const) : ('environment' as const),
        createdAt: activatedAt,
        activatedAt,
        retiredAt: null,
      });
      const mine = async () => (await store.listSigningKeys()).filter((k) => k.nodeId === node);
      await store.activateSigningKey(key('one', at(10), new Uint8Array([1, 2, 3])));
      assert.deepEqual(await mine(), [key('one', at(10), new Uint8Array([1, 2, 3]))]);
      await store.activateSigningKey(key('two', at(20), null));
      assert.deepEqual(
        (await mine()).map((k) => [k.keyId, k.activatedAt, k.retiredAt, k.origin]),
        [
          ['one', at(10), at(20), 'generated'],
          ['two', at(20), null, 'environment'],
        ],
      );
      // Back to the first key: current again, its first activation and its sealed key kept.
      await store.activateSigningKey(key('one', at(30), null));
      const again = await mine();
      assert.deepEqual(again.map((k) => [k.keyId, k.activatedAt, k.retiredAt]), [
        ['one', at(10), null],
        ['two', at(20), at(30)],
      ]);
      assert.deepEqual(again[0]?.sealedPrivateKey, new Uint8Array([1, 2, 3]));
      const other = `node-${randomUUID()}`;
      await store.activateSigningKey({ ...key('one', at(40), null), nodeId: other });
      assert.equal((await mine()).filter((k) => k.retiredAt === null).length, 1, "another node's key retires nothing here");
    });

    it('deletes a function with its versions and executions, and a user with everything', async () => {
      const owner = randomUUID();
      await store.createUser({ id: owner, name: `gone-${owner}`, createdAt: at() });
      const fn = await store.createFunction(newFunction(owner, 'doomed'), { maxPerUser: 100 });
      assert.ok(fn.ok);
      const execution = await store.createExecution(
        { id: randomUUID(), userId: owner, functionId: fn.value.id, functionVersion: 1, async: true, params: {}, createdAt: at(), phase: 'queued', nodeId: null, leaseExpiresAt: null },
        { maxActivePerUser: 100 },
      );
      assert.ok(execution.ok);
      assert.equal(await store.deleteFunction(owner, fn.value.id), true);
      assert.equal(await store.getExecution(owner, execution.value.id), undefined);
      assert.deepEqual(await store.listFunctionVersions(owner, fn.value.id), []);
      await store.putSecret(owner, 's', new Uint8Array([1]), at(), { id: randomUUID(), keyId: null }, { maxPerUser: 5 });
      assert.equal(await store.deleteUser(owner), true);
      assert.equal(await store.getUser(owner), undefined);
      assert.deepEqual(await store.listSecrets(owner), []);
      assert.equal(await store.deleteUser(owner), false);
    });
  });
}
