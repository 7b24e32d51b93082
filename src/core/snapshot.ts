// The startup snapshot every sandbox is made from: a V8 heap in which the runtime has already
// installed the capabilities and hardened the built-ins (guest/snapshot.js), so that no sandbox
// builds that heap itself (what each way costs: docs/bench.md, "Where a sandbox's time goes").
// One snapshot per process and capability set, built on first use from our own files only,
// before any guest code runs in this process: a snapshot holds compiled code, so it must never
// come from anywhere else.
import ivm from 'isolated-vm';
import { guestScript, type Capability, type GuestScript } from './capability.ts';

export const internalFilePrefix = 'teejs:internal/';

const primordials = guestScript(new URL('./guest/primordials.js', import.meta.url));
const runtime = guestScript(new URL('./guest/runtime.js', import.meta.url));
const bytes = guestScript(new URL('./guest/bytes.js', import.meta.url));
const envelope = guestScript(new URL('./guest/envelope.js', import.meta.url));
const harden = guestScript(new URL('./guest/harden.js', import.meta.url));
const driver = guestScript(new URL('./guest/snapshot.js', import.meta.url));
const warmup = guestScript(new URL('./guest/warmup.js', import.meta.url));
const probe = guestScript(new URL('./guest/probe.js', import.meta.url));
const intrinsics = guestScript(new URL('./guest/intrinsics.js', import.meta.url));

// By content, so that engines with the same capabilities share one; by array identity first,
// so that finding it costs nothing per sandbox.
const snapshots = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
const byList = new WeakMap<readonly Capability[], ivm.ExternalCopy<ArrayBuffer>>();
/** What V8 adds to each context made from a snapshot: keys (well-known symbols as "@@name") per object path. */
type V8Change = { path: string[]; added: string[] };
let v8Changes: V8Change[] | null = null;

/**
 * Which data properties of the frozen prototypes become override accessors (guest/harden.js):
 * `null`, the rule derived from the intrinsics with its few hot exceptions (always, outside the
 * benchmark); `'all'`, the rule without exceptions; or an explicit plan, prototype path to keys
 * or '*' (`{}` tames nothing). Every choice freezes the same intrinsics: none reopens a write.
 */
export type OverrideTaming = null | 'all' | Readonly<Record<string, readonly string[] | '*'>>;
let overrideTaming: OverrideTaming = null;

/** For the benchmark's comparison only, in a process of its own, before its first snapshot. */
export function chooseOverrideTaming(choice: OverrideTaming): void {
  if (snapshots.size > 0) throw new Error('the override taming is chosen before the first startup snapshot');
  overrideTaming = choice;
}

/** The startup snapshot for this set of capabilities (built once per process). */
export function startupSnapshot(capabilities: readonly Capability[]): ivm.ExternalCopy<ArrayBuffer> {
  const known = byList.get(capabilities);
  if (known !== undefined) return known;
  const key = JSON.stringify(capabilities.map((c) => [c.name, c.guest, c.globals, c.lazyGlobals ?? null, c.limits]));
  let snapshot = snapshots.get(key);
  if (snapshot === undefined) {
    snapshot = build(capabilities);
    snapshots.set(key, snapshot);
  }
  byList.set(capabilities, snapshot);
  return snapshot;
}

/**
 * Each of the runtime's files is one function expression; run as `__teejsParts.<name> = <file>`
 * (on the file's first line, so its line numbers stay its own), it leaves that function where
 * guest/snapshot.js picks it up. Scripts rather than eval, so that the warm-up's compiled code is
 * shared with the snapshot's context.
 */
function part(name: string, script: GuestScript, lazy = false): ivm.SnapshotScriptInfo {
  return { code: `globalThis.__teejsParts.${name} = ${lazy ? unparenthesized(script.guestSource) : script.guestSource}`, filename: script.guestFilename };
}

/**
 * A lazy capability's installer without the parentheses around its function expression. V8
 * compiles a parenthesised function at once (it guesses it is about to be called), and a
 * snapshot keeps all compiled code: every sandbox then deserialised the bytecode of installers
 * that most executions never run (web, encoding, url and fetch: 131 KB of the snapshot, about
 * 0.35 ms per sandbox, docs/bench.md). Unparenthesised, it stays uncompiled in the snapshot and
 * is compiled in the sandbox that first reads one of its globals. The parentheses become spaces,
 * so every line and column stays where it was.
 */
function unparenthesized(source: string): string {
  const open = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*\(/.exec(source);
  const close = /\)\s*;?\s*$/.exec(source);
  if (!open || !close || close.index <= open[0].length) return source;
  const at = open[0].length - 1;
  return `${source.slice(0, at)} ${source.slice(at + 1, close.index)} ${source.slice(close.index + 1)}`;
}

function build(capabilities: readonly Capability[]): ivm.ExternalCopy<ArrayBuffer> {
  v8Changes ??= probeV8Changes();
  const options = {
    internalFilePrefix,
    installers: capabilities.map((capability) => ({
      name: capability.name,
      parts: capability.guest.length,
      // The bootstrap refuses an installer that exposes anything else (guest/runtime.js).
      globals: [...capability.globals],
      lazy: capability.lazyGlobals ? [...capability.lazyGlobals] : null,
      limits: capability.limits,
    })),
    v8Changes,
    overrides: overrideTaming,
  };
  return ivm.Isolate.createSnapshot(
    [
      {
        code: `globalThis.__teejsSnapshotInput = ${JSON.stringify({ options })}; globalThis.__teejsParts = {};`,
        filename: `${internalFilePrefix}snapshot-input.js`,
      },
      part('primordials', primordials),
      part('runtime', runtime),
      part('bytes', bytes),
      part('envelopes', envelope),
      part('intrinsics', intrinsics),
      part('harden', harden),
      ...capabilities.flatMap((capability, i) => capability.guest.map((script, j) => part(`installer${i}_${j}`, script, capability.lazyGlobals !== undefined))),
      { code: driver.guestSource, filename: driver.guestFilename },
    ],
    warmup.guestSource,
  );
}

/**
 * What V8 adds to each context it makes from a snapshot (guest/probe.js), measured on this V8
 * rather than listed by hand: freezing one of the objects it adds to makes V8 abort the process,
 * and the list changes with V8's shipping features.
 */
function probeV8Changes(): V8Change[] {
  const snapshot = ivm.Isolate.createSnapshot([
    { code: 'globalThis.__teejsParts = {};', filename: `${internalFilePrefix}probe-input.js` },
    part('intrinsics', intrinsics),
    { code: probe.guestSource, filename: probe.guestFilename },
  ]);
  const isolate = new ivm.Isolate({ snapshot });
  try {
    const context = isolate.createContextSync();
    const changes = JSON.parse(context.evalSync('__teejsProbe()') as string) as unknown;
    const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (!Array.isArray(changes) || !changes.every((change) => strings(change?.path) && strings(change?.added))) {
      throw new Error('the snapshot probe returned something other than changes by property path');
    }
    return changes as V8Change[];
  } finally {
    isolate.dispose();
    snapshot.release();
  }
}
