// A picture of the host's own realm taken before guest code runs, compared afterwards: guest code
// must never change the host's intrinsics, its global object or a canary the host keeps.
import assert from 'node:assert/strict';

const watched: Record<string, object> = {
  'Object.prototype': Object.prototype,
  'Array.prototype': Array.prototype,
  'Function.prototype': Function.prototype,
  'Promise.prototype': Promise.prototype,
  'Error.prototype': Error.prototype,
  'String.prototype': String.prototype,
  'JSON': JSON,
  'Object': Object,
  'Promise': Promise,
  'Error': Error,
  'Reflect': Reflect,
};

type Snapshot = Map<string, Map<PropertyKey, unknown>>;

function describeProperties(object: object): Map<PropertyKey, unknown> {
  const properties = new Map<PropertyKey, unknown>();
  for (const key of Reflect.ownKeys(object)) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key)!;
    properties.set(key, 'value' in descriptor ? descriptor.value : [descriptor.get, descriptor.set]);
  }
  properties.set('[[Prototype]]', Object.getPrototypeOf(object));
  return properties;
}

/** The value guest code would love to read or change if it ever reached the host. */
export const hostCanary = Object.freeze({ secret: 'host-canary-value' });

export class HostState {
  readonly #before: Snapshot;
  readonly #globals: PropertyKey[];

  constructor() {
    (globalThis as Record<string, unknown>).__teejsHostCanary = hostCanary;
    this.#before = new Map(Object.entries(watched).map(([name, object]) => [name, describeProperties(object)]));
    this.#globals = Reflect.ownKeys(globalThis);
  }

  /** Asserts that nothing the snapshot covers changed, and that the host still works. */
  assertUnchanged(): void {
    for (const [name, object] of Object.entries(watched)) {
      assert.deepEqual(describeProperties(object), this.#before.get(name), `host ${name} changed`);
    }
    assert.deepEqual(Reflect.ownKeys(globalThis), this.#globals, 'host global object changed');
    assert.equal((globalThis as Record<string, unknown>).__teejsHostCanary, hostCanary);
    assert.equal(hostCanary.secret, 'host-canary-value');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(JSON.stringify({ a: [1] }), '{"a":[1]}');
    assert.equal(typeof process.exit, 'function');
  }
}
