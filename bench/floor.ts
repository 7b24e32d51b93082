// The bare floor of one teejs execution, measured in the benchmark's own run so that every
// system's CPU per request can be set against it under the same machine load: a sandbox's
// isolate made from the same startup snapshot, attached to its host channel (Sandbox.create,
// foreground, as an executor makes one when an execution waits for it), then disposed; nothing
// runs in it. Beside it, isolated-vm's own floor (a bare isolate, a context, dispose), and the
// same from an empty startup snapshot of our own (its default context is as small as a bare
// one's): set against ours it bounds what isolated-vm's second deserialisation of our context
// (its own default context, made in every `new Isolate`) costs, which only a change to
// isolated-vm could remove (an upper bound: a patched build saved less, docs/bench.md). CPU is the whole process's (isolated-vm works on threads of its own
// too), sequential, medians of batches.
import ivm from 'isolated-vm';
import { Engine } from '../src/core/engine.ts';
import { Sandbox } from '../src/core/sandbox.ts';
import { startupSnapshot } from '../src/core/snapshot.ts';

export interface FloorMeasurement {
  /** Sandbox.create (snapshot isolate, context, attach) + dispose: CPU ms per sandbox. */
  sandboxCpuMs: number;
  /** new Isolate + createContext + dispose from our startup snapshot, no attach. */
  snapshotContextCpuMs: number;
  /** The same from a startup snapshot with (almost) nothing in it. */
  emptySnapshotContextCpuMs: number;
  /** new Isolate from our snapshot + dispose, no context of ours (isolated-vm still makes its default one). */
  snapshotIsolateCpuMs: number;
  emptySnapshotIsolateCpuMs: number;
  /** Plain isolated-vm: new Isolate + createContext + dispose, no snapshot. */
  bareCpuMs: number;
  batches: number;
  perBatch: number;
}

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round = (value: number) => Math.round(value * 1000) / 1000;

let emptySnapshot: ivm.ExternalCopy<ArrayBuffer> | null = null;

/** Medians over `batches` batches of `perBatch` sandboxes of each kind, the kinds interleaved. */
export async function measureFloor(batches: number, perBatch: number): Promise<FloorMeasurement> {
  // The default engine's capabilities: the snapshot every teejs system in this run uses.
  const capabilities = new Engine({ signingKey: null }).capabilities;
  const snapshot = startupSnapshot(capabilities);
  emptySnapshot ??= ivm.Isolate.createSnapshot([{ code: 'globalThis.teejsEmpty = true;' }]);
  const empty = emptySnapshot;
  const kinds: Record<Exclude<keyof FloorMeasurement, 'batches' | 'perBatch'>, () => unknown> = {
    sandboxCpuMs: async () => (await Sandbox.create({ memoryMb: 128, capabilities })).dispose(),
    snapshotContextCpuMs: () => {
      const isolate = new ivm.Isolate({ memoryLimit: 128, snapshot });
      isolate.createContextSync();
      isolate.dispose();
    },
    emptySnapshotContextCpuMs: () => {
      const isolate = new ivm.Isolate({ memoryLimit: 128, snapshot: empty });
      isolate.createContextSync();
      isolate.dispose();
    },
    snapshotIsolateCpuMs: () => new ivm.Isolate({ memoryLimit: 128, snapshot }).dispose(),
    emptySnapshotIsolateCpuMs: () => new ivm.Isolate({ memoryLimit: 128, snapshot: empty }).dispose(),
    bareCpuMs: () => {
      const isolate = new ivm.Isolate({ memoryLimit: 128 });
      isolate.createContextSync();
      isolate.dispose();
    },
  };
  const samples = new Map<string, number[]>();
  for (const run of Object.values(kinds)) for (let i = 0; i < 10; i++) await run(); // warm the code paths
  for (let batch = 0; batch < batches; batch++) {
    for (const [name, run] of Object.entries(kinds)) {
      const before = cpuMs();
      for (let i = 0; i < perBatch; i++) await run();
      const list = samples.get(name) ?? [];
      list.push((cpuMs() - before) / perBatch);
      samples.set(name, list);
    }
  }
  const result = Object.fromEntries([...samples].map(([name, list]) => [name, round(median(list))]));
  return { ...(result as Omit<FloorMeasurement, 'batches' | 'perBatch'>), batches, perBatch };
}
