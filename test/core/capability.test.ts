// A capability is declared once (src/core/capability.ts): its globals, the capabilities it comes
// after, its host operations by kind, its events and its limits. These tests hold the code of
// every capability to its declaration, so that the declaration cannot drift from what runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { defineCapability, operationKinds, orderCapabilities, type Capability, type ExecutionScope, type OperationKind } from '../../src/core/capability.ts';
import { Engine, Sandbox } from '../../src/core/index.ts';
import { slowCapability } from '../support/slow/index.ts';

const engine = new Engine({ capabilities: [slowCapability({ started: 0, released: 0 })] });
after(() => engine.close());

/** How a guest reaches each kind: `runtime.call('console.write', ...)` is a call. */
const runtimeMethods: Record<string, OperationKind | 'events'> = { call: 'calls', wait: 'waits', request: 'requests', notify: 'notices', listen: 'events' };

/** Every `runtime.<method>(...)` in a guest file: its kind and the operation it names (null: not a string literal). */
function operationUses(source: string): Array<{ kind: OperationKind | 'events'; op: string | null; at: string }> {
  const uses = [];
  for (const match of source.matchAll(/\bruntime\.(call|wait|request|notify|listen)\(\s*(?:'([^'\n]*)'|"([^"\n]*)"|([^\s,)]+))/g)) {
    const line = source.slice(0, match.index).split('\n').length;
    uses.push({ kind: runtimeMethods[match[1]!]!, op: match[2] ?? match[3] ?? null, at: `line ${line}: ${match[0]}` });
  }
  return uses;
}

function scopeForTest(): ExecutionScope {
  return {
    executionId: 'e',
    functionId: 'f',
    userId: 'u',
    deadline: Date.now() + 1000,
    maxTimers: 10,
    allowedSecrets: null,
    secretsRead: new Set(),
    logs: { write() {} },
    network: [],
    networkAllowHosts: null,
    signal: new AbortController().signal,
  };
}

describe('every capability matches its declaration', () => {
  for (const capability of engine.capabilities) {
    test(`${capability.name}: the operations its guest file names are declared, with their kind`, () => {
      const uses = capability.guest.flatMap((script) => operationUses(script.guestSource).map((use) => ({ ...use, at: `${script.guestFilename} ${use.at}` })));
      const used = new Map<string, Set<string>>();
      for (const use of uses) {
        assert.notEqual(use.op, null, `${use.at}: name the operation with a string literal`);
        const prefix = `${capability.name}.`;
        assert.ok(use.op!.startsWith(prefix), `${use.at}: another capability's operation`);
        const name = use.kind === 'events' ? use.op! : use.op!.slice(prefix.length);
        const declared = use.kind === 'events' ? capability.events : (capability.operations[use.kind] ?? []);
        assert.ok(declared.includes(name), `${use.at}: ${name} is not declared among its ${use.kind}`);
        if (!used.has(use.kind)) used.set(use.kind, new Set());
        used.get(use.kind)!.add(name);
      }
      // And nothing is declared that no guest code uses.
      for (const kind of operationKinds) {
        assert.deepEqual([...(used.get(kind) ?? [])].sort(), [...(capability.operations[kind] ?? [])].sort(), `${capability.name} ${kind}`);
      }
      assert.deepEqual([...(used.get('events') ?? [])].sort(), [...capability.events].sort(), `${capability.name} events`);
    });

    test(`${capability.name}: its host half serves exactly the declared operations`, () => {
      const instance = capability.start(scopeForTest(), { emit() {} });
      try {
        for (const kind of operationKinds) {
          const served = Object.keys(instance[kind] ?? {}).sort();
          assert.deepEqual(served, [...(capability.operations[kind] ?? [])].sort(), `${capability.name} ${kind}`);
          for (const name of served) assert.equal(typeof instance[kind]![name], 'function');
        }
      } finally {
        instance.close?.();
      }
    });
  }

  test('the globals of a sandbox are the declared ones, each installed by its capability', async () => {
    const declared = engine.capabilities.flatMap((capability) => [...capability.globals, ...(capability.lazyGlobals ?? [])]);
    const result = await engine.execute({
      source: `export default () => ${JSON.stringify(declared)}.map((name) => [name, typeof globalThis[name]])`,
    });
    assert.equal(result.status, 'success', JSON.stringify(result.error));
    // Reading a lazy global installs its capability, which checks what it exposed.
    for (const [name, type] of result.result as Array<[string, string]>) assert.notEqual(type, 'undefined', name);
  });
});

describe('orderCapabilities', () => {
  const stub = (name: string, after: string[] = []): Capability => ({
    name,
    guest: [],
    globals: [],
    after,
    operations: {},
    events: [],
    limits: {},
    start: () => ({}),
  });
  const names = (list: Capability[]) => list.map((capability) => capability.name);

  test('keeps the given order where nothing asks otherwise, and moves a capability after those it names', () => {
    assert.deepEqual(names(orderCapabilities([stub('a'), stub('b'), stub('c')])), ['a', 'b', 'c']);
    assert.deepEqual(names(orderCapabilities([stub('a', ['c']), stub('b'), stub('c')])), ['b', 'c', 'a']);
  });

  test('the engine installs every capability after those it names', () => {
    const placed = new Set<string>();
    for (const capability of engine.capabilities) {
      for (const before of capability.after) assert.ok(placed.has(before), `${capability.name} after ${before}`);
      placed.add(capability.name);
    }
    // Determinism first: the others capture its Math.random and Date.
    assert.equal(engine.capabilities[0]!.name, 'determinism');
  });

  test('refuses a name given twice, an unknown capability and a cycle', () => {
    assert.throws(() => orderCapabilities([stub('a'), stub('a')]), /given twice/);
    assert.throws(() => orderCapabilities([stub('a', ['x'])]), /comes after x, which is not installed/);
    assert.throws(() => orderCapabilities([stub('a', ['b']), stub('b', ['a'])]), /a cycle/);
    assert.throws(() => new Engine({ capabilities: [stub('console')] }), /given twice/);
  });
});

describe('a declaration the code contradicts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'teejs-capability-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const guestFile = (name: string, body: string) => {
    const file = path.join(dir, `${name}.js`);
    writeFileSync(file, `(function install(global, runtime, expose, limits) {\n'use strict';\n${body}\n});\n`);
    return pathToFileURL(file);
  };

  test('defineCapability refuses one that contradicts itself', () => {
    const guest = guestFile('empty', '');
    assert.throws(() => defineCapability({ name: 'x', guest, globals: ['a'], lazyGlobals: ['b'], start: () => ({}) }), /not both/);
    assert.throws(() => defineCapability({ name: 'x', guest, after: ['x'], start: () => ({}) }), /after itself/);
    assert.throws(() => defineCapability({ name: 'x', guest, events: ['y.fire'], start: () => ({}) }), /x\.<event>/);
    assert.throws(() => defineCapability({ name: 'x', guest, limits: { max: 1.5 }, start: () => ({}) }), /whole number/);
  });

  test('the snapshot build refuses an installer that exposes a global it does not declare', async () => {
    const capability = defineCapability({
      name: 'undeclared',
      guest: guestFile('undeclared', "expose('declared', 1); expose('extra', 2);"),
      globals: ['declared'],
      start: () => ({}),
    });
    await assert.rejects(
      Sandbox.create({ memoryMb: 64, capabilities: orderCapabilities([...engine.capabilities, capability]) }),
      /capability undeclared exposed \[declared, extra\] but declares \[declared\]/,
    );
  });

  test('a lazy installer that exposes other globals fails on first use, and never installs them', async () => {
    const capability = defineCapability({
      name: 'lazyWrong',
      guest: guestFile('lazy-wrong', "expose('lazyOne', 1);"),
      lazyGlobals: ['lazyOne', 'lazyTwo'],
      start: () => ({}),
    });
    const own = new Engine({ capabilities: [capability] });
    try {
      const result = await own.execute({ source: 'export default () => lazyOne' });
      assert.equal(result.status, 'error');
      assert.match(result.error!.message, /capability lazyWrong exposed \[lazyOne\] but declares \[lazyOne, lazyTwo\]/);
    } finally {
      await own.close();
    }
  });

  test('an installer gets its declared limits, frozen', async () => {
    const capability = defineCapability({
      name: 'bounded',
      guest: guestFile('bounded', "expose('bounds', { max: limits.max, frozen: Object.isFrozen(limits) });"),
      globals: ['bounds'],
      limits: { max: 42 },
      start: () => ({}),
    });
    const own = new Engine({ capabilities: [capability] });
    try {
      const result = await own.execute({ source: 'export default () => bounds' });
      assert.deepEqual(result.result, { max: 42, frozen: true });
    } finally {
      await own.close();
    }
  });

  test('installers share frozen primordials, captured before any guest code: a guest that replaces a built-in changes nothing', async () => {
    const capability = defineCapability({
      name: 'primordialsProbe',
      guest: guestFile(
        'primordials-probe',
        `const { ArrayPrototypePush, ObjectFreeze } = runtime.primordials;
        const values = Object.values(runtime.primordials);
        expose('probe', {
          frozen: Object.isFrozen(runtime.primordials) && Object.getPrototypeOf(runtime.primordials) === null,
          count: values.length,
          push(list, item) { ArrayPrototypePush(list, item); return list; },
          freeze: ObjectFreeze,
        });`,
      ),
      globals: ['probe'],
      start: () => ({}),
    });
    const own = new Engine({ capabilities: [capability] });
    try {
      const result = await own.execute({
        source: `export default () => {
          // Built-ins are frozen: a guest cannot replace Array.prototype.push; it can shadow it on its own array.
          const list = [];
          Object.defineProperty(list, 'push', { value: () => 'guest', writable: true });
          return { frozen: probe.frozen, many: probe.count > 50, pushed: probe.push(list, 1).length, freeze: probe.freeze === Object.freeze };
        }`,
      });
      assert.equal(result.status, 'success', JSON.stringify(result.error));
      assert.deepEqual(result.result, { frozen: true, many: true, pushed: 1, freeze: true });
    } finally {
      await own.close();
    }
  });
});
