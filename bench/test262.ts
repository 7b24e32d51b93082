// How much standard JavaScript keeps working inside teejs: a seeded sample of the official
// conformance suite (tc39/test262, a checkout given by path; CI never needs one), each test run as
// the same strict module code in plain Node (a worker thread of its own) and inside teejs (the
// library, a fresh sandbox per test). Prints the share of Node's passes that teejs keeps and
// every loss grouped by cause. Method, filter and results: docs/compatibility.md.
//
//   npx node --no-node-snapshot bench/test262.ts --test262 DIR [--seed 1] [--sample 1200]
//     [--taming derived|derived-all|old-list|none] [--out results.json] [--list]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Engine } from '../src/core/index.ts';
import { chooseOverrideTaming } from '../src/core/snapshot.ts';
import { isTamingName, tamings } from './taming-plans.ts';

const { values: options } = parseArgs({
  options: {
    test262: { type: 'string' },
    seed: { type: 'string', default: '1' },
    sample: { type: 'string', default: '1200' },
    taming: { type: 'string', default: 'derived' },
    out: { type: 'string' },
    list: { type: 'boolean', default: false },
    only: { type: 'string' },
    paths: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (options.help || !options.test262) {
  process.stdout.write(`usage: npx node --no-node-snapshot bench/test262.ts --test262 DIR [options]
  --test262 DIR     a tc39/test262 checkout (its test/ and harness/ directories are read)
  --seed N          the sample's seed (default 1)
  --sample N        how many tests (default 1200), drawn from those the filter keeps
  --taming NAME     the override taming teejs runs with: ${Object.keys(tamings).join(', ')} (default derived, what teejs ships)
  --out FILE        write every test's outcome in both runtimes as JSON (to compare two runs)
  --list            print every loss, not only the counts
  --only PATH       run only this test (a path under test/), printing both outcomes
  --paths FILE      run the tests a JSON array of paths names instead of a sample
`);
  process.exit(options.help ? 0 : 2);
}
if (!isTamingName(options.taming)) {
  process.stderr.write(`--taming takes one of ${Object.keys(tamings).join(', ')}\n`);
  process.exit(2);
}
chooseOverrideTaming(tamings[options.taming]);

const root = options.test262;
const seed = Number(options.seed);
const sampleSize = Number(options.sample);
/** Per test, in each runtime: long enough for a loaded 2-core machine, short for a hang. */
const timeoutMs = 10_000;

// ---- which tests --------------------------------------------------------------------------------

interface Meta {
  includes: string[];
  flags: string[];
  features: string[];
  negative: { phase: string; type: string } | null;
}

/** The few frontmatter fields the filter and the wrapper need (test262's YAML, read by line). */
function frontmatter(source: string): Meta {
  const yaml = /\/\*---([\s\S]*?)---\*\//.exec(source)?.[1] ?? '';
  const list = (field: string): string[] => {
    const inline = new RegExp(`^${field}:\\s*\\[([^\\]]*)\\]`, 'm').exec(yaml);
    if (inline) return inline[1]!.split(',').map((item) => item.trim()).filter(Boolean);
    const block = new RegExp(`^${field}:\\s*\\n((?:\\s+-.*\\n?)+)`, 'm').exec(yaml);
    return block ? [...block[1]!.matchAll(/-\s*(\S+)/g)].map((match) => match[1]!) : [];
  };
  const negative = /^negative:\s*\n\s+phase:\s*(\S+)\s*\n\s+type:\s*(\S+)/m.exec(yaml) ?? /^negative:\s*\n\s+type:\s*(\S+)\s*\n\s+phase:\s*(\S+)/m.exec(yaml);
  let parsedNegative: Meta['negative'] = null;
  if (negative) {
    parsedNegative = negative[0].includes('phase:') && negative[0].indexOf('phase:') < negative[0].indexOf('type:')
      ? { phase: negative[1]!, type: negative[2]! }
      : { phase: negative[2]!, type: negative[1]! };
  }
  return { includes: list('includes'), flags: list('flags'), features: list('features'), negative: parsedNegative };
}

/** The suite's directories the sample is drawn from (staging holds unfinished proposals). */
const directories = ['built-ins', 'language', 'annexB', 'intl402'];
/**
 * Proposals plain Node 24 does not ship (checked with Node 24.21: the global or method is
 * missing, or the syntax does not parse). Their tests fail in Node as in teejs and say nothing
 * about what teejs keeps; without this filter Temporal alone would be an eighth of the sample.
 */
const unshippedFeatures = new Set([
  'Temporal', 'Intl.Era-monthcode', 'ShadowRealm', 'decorators', 'joint-iteration', 'upsert', 'Math.sumPrecise',
  'uint8array-base64', 'iterator-sequencing', 'immutable-arraybuffer', 'await-dictionary', 'import-defer',
  'source-phase-imports', 'source-phase-imports-module-source',
]);
/** Flags whose tests cannot be run as strict module code in a function, or need an agent. */
const excludedFlags = new Set(['module', 'raw', 'noStrict', 'CanBlockIsTrue', 'CanBlockIsFalse']);

const harnessCache = new Map<string, string>();
function harness(name: string): string {
  let text = harnessCache.get(name);
  if (text === undefined) {
    text = readFileSync(join(root, 'harness', name), 'utf8');
    harnessCache.set(name, text);
  }
  return text;
}

interface Test {
  path: string;
  source: string;
  meta: Meta;
  includes: string[];
}

/** Why the filter leaves a test out, or null when it is kept. */
function excluded(path: string, source: string, meta: Meta, includes: string[]): string | null {
  if (path.includes('_FIXTURE')) return 'fixture';
  const flag = meta.flags.find((f) => excludedFlags.has(f));
  if (flag) return `flag ${flag}`;
  const feature = meta.features.find((f) => unshippedFeatures.has(f));
  if (feature) return 'a proposal Node does not ship';
  if (meta.negative?.phase === 'resolution') return 'negative resolution (modules)';
  // $262 is the host's test hook (agents, other realms, detaching buffers, evalScript, gc):
  // neither plain Node nor teejs provides it.
  if (source.includes('$262') || includes.some((name) => harness(name).includes('$262'))) return 'needs $262';
  return null;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.js')) out.push(full);
  }
}

function candidates(): { kept: Test[]; left: Map<string, number>; total: number } {
  const files: string[] = [];
  for (const directory of directories) walk(join(root, 'test', directory), files);
  files.sort();
  const kept: Test[] = [];
  const left = new Map<string, number>();
  for (const file of files) {
    const path = relative(join(root, 'test'), file);
    const source = readFileSync(file, 'utf8');
    const meta = frontmatter(source);
    const includes = ['assert.js', 'sta.js', ...(meta.flags.includes('async') ? ['doneprintHandle.js'] : []), ...meta.includes];
    const why = excluded(path, source, meta, includes);
    if (why) left.set(why, (left.get(why) ?? 0) + 1);
    else kept.push({ path, source, meta, includes: [...new Set(includes)] });
  }
  return { kept, left, total: files.length };
}

/** mulberry32: a small seeded generator, so a seed names one sample on every machine. */
function random(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(items: readonly Test[], size: number, seedValue: number): Test[] {
  const pool = [...items];
  const next = random(seedValue);
  const count = Math.min(size, pool.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count).sort((a, b) => (a.path < b.path ? -1 : 1));
}

// ---- the wrapper: the same module source in both runtimes ---------------------------------------

/**
 * An ES module whose default export runs the harness and the test inside a function (strict,
 * as all module code), and answers "pass", "threw <constructor>: <message>", or the async
 * test's own report. `print` is the one host hook test262 needs (doneprintHandle.js).
 */
function wrap(test: Test): string {
  const body = [...test.includes.map(harness), test.source].join('\n');
  const isAsync = test.meta.flags.includes('async');
  return `export default async function () {
  let settle;
  const reported = new Promise((resolve) => { settle = resolve; });
  const describe = (e) => {
    try { return 'threw ' + ((e !== null && typeof e === 'object' && e.constructor && e.constructor.name) || typeof e) + ': ' + String(e && e.message); }
    catch { return 'threw (undescribable)'; }
  };
  const thrown = (function (print) {
    try {
      (function () {
${body}
      })();
      return null;
    } catch (e) {
      return describe(e);
    }
  })((message) => settle(String(message)));
  if (thrown !== null) return thrown;
  ${isAsync ? `const report = await reported;
  return report === 'Test262:AsyncTestComplete' ? 'pass' : report;` : `return 'pass';`}
}
`;
}

/** "pass" when the outcome is what the test expects (negative tests expect their error). */
function verdict(test: Test, outcome: string): 'pass' | 'fail' {
  const negative = test.meta.negative;
  if (!negative) return outcome === 'pass' ? 'pass' : 'fail';
  if (negative.phase === 'parse') return outcome === `parse ${negative.type}` ? 'pass' : 'fail';
  return outcome.startsWith(`threw ${negative.type}:`) ? 'pass' : 'fail';
}

// ---- the two runtimes ---------------------------------------------------------------------------

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let module;
  try {
    module = await import('data:text/javascript;base64,' + Buffer.from(workerData, 'utf8').toString('base64'));
  } catch (e) {
    parentPort.postMessage('parse ' + (e && e.name));
    return;
  }
  try {
    parentPort.postMessage(String(await module.default()));
  } catch (e) {
    parentPort.postMessage('threw outside the test: ' + String(e));
  }
})();
`;

/** Plain Node: a worker thread of its own per test, so each test has a fresh realm. */
function runInNode(source: string): Promise<string> {
  return new Promise((resolve) => {
    const worker = new Worker(workerSource, { eval: true, workerData: source, stdout: true, stderr: true });
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    let done = false;
    function finish(outcome: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    }
    worker.on('message', (message) => finish(String(message)));
    worker.on('error', (error) => finish(`worker error: ${error.message}`));
    worker.on('exit', () => finish('exited without an outcome'));
  });
}

const engine = new Engine({ limits: { timeoutMs, memoryMb: 128 } });

/** teejs: the library, a fresh sandbox per test, the same module source. */
async function runInTeejs(source: string): Promise<string> {
  const result = await engine.execute({ source, filename: 'test262.mjs', userId: 'test262', functionId: 'test262' });
  if (result.status === 'success') return String(result.result);
  const error = result.error!;
  if (error.code === 'SYNTAX_ERROR') return 'parse SyntaxError';
  return `${error.code}: ${error.message}`;
}

// ---- losses by cause ----------------------------------------------------------------------------

/** Globals teejs removes on purpose (harden.js): not ECMAScript, or of no use to a single-use sandbox. */
const removedGlobals = ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry'];

const lossGroups = {
  eval: 'eval and Function refused',
  removed: 'globals removed by design',
  import: 'import() refused (a function is one module)',
  limit: 'source over the size limit (100,000 bytes)',
  descriptor: 'descriptors that freezing changes',
  accessor: 'tamed properties seen as accessors in their descriptor',
  write: 'writes to the built-ins themselves',
  override: 'override mistake (inherited read-only property)',
  other: 'other',
} as const;
type LossGroup = keyof typeof lossGroups;

/** The first cause whose mark the teejs outcome (or the test's source) carries. */
function cause(test: Test, outcome: string): LossGroup {
  // (refuseCodeGeneration: the function constructors' replacements, whose own prototype is
  // Function.prototype rather than %Function%.)
  if (/Code generation from strings disallowed|Expected a SyntaxError but got a EvalError|refuseCodeGeneration/.test(outcome)) return 'eval';
  if (/^VALIDATION_ERROR: source is \d+ bytes, over the limit/.test(outcome)) return 'limit';
  if (removedGlobals.some((name) => outcome.includes(`${name} is not defined`))) return 'removed';
  if (/got a ReferenceError/.test(outcome) && removedGlobals.some((name) => test.source.includes(name))) return 'removed';
  if (/Not supported/.test(outcome) && /\bimport\s*\(/.test(test.source)) return 'import';
  // The taming turned a data property into an accessor pair: its descriptor has no value.
  if (/descriptor value should be|desc\.value Expected SameValue\(«undefined», «function/.test(outcome)) return 'accessor';
  if (/descriptor should (not )?be (writable|configurable)|to be (writable|configurable|extensible)|to have (writable|configurable):true|should be extensible|must be extensible|Expected TypeError, got|desc\.(writable|configurable) Expected SameValue\(«false», «true»\)/.test(outcome)) {
    return 'descriptor';
  }
  if (/Expected SameValue\(«false», «true»\)/.test(outcome) && /getOwnPropertyDescriptor[\s\S]*\.(configurable|writable)\b/.test(test.source)) return 'descriptor';
  // Integrity-level checks on a built-in: Object.isFrozen/isSealed/isExtensible answer otherwise.
  if (/^threw Test262Error/.test(outcome) && /Object\.(isFrozen|isSealed|isExtensible)\(/.test(test.source)) return 'descriptor';
  if (/of a frozen built-in|Cannot (add|define|delete|redefine) property|object is not extensible|(Array|Object)\.prototype\[\d+\] Expected/.test(outcome)) {
    return 'write';
  }
  // V8's message names the receiver, not where the read-only property is: a write to a built-in
  // (`Promise.resolve = f`, `Array.prototype[Symbol.iterator] = f`) and one to an object that
  // inherits the property read alike. The test's source tells them apart.
  const readOnly = /Cannot assign to read only property '([^']*)'/.exec(outcome);
  if (readOnly) return assignsToBuiltin(test.source, readOnly[1]!) ? 'write' : 'override';
  // A harness file that builds code from strings (subclasses, intrinsics found by source text)
  // and swallows the EvalError leaves the test without what it needs.
  if (test.includes.some((name) => codeFromStrings(name))) return 'eval';
  // A definition on a built-in that failed inside an assert.throws, noticed later.
  if (/^threw Test262Error/.test(outcome) && /Object\.definePropert(y|ies)\(\s*[A-Z][\w$]*(\.prototype)?\s*,/.test(test.source)) return 'write';
  return 'other';
}

/** Whether the source assigns `key` on a capitalised global or its prototype (`Math.PI = `, `Array.prototype[Symbol.iterator] = `). */
function assignsToBuiltin(source: string, key: string): boolean {
  const text = key.replace(/^Symbol\((.*)\)$/, '$1').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b[A-Z][\\w$]*(?:\\.prototype)?(?:\\.${text}\\b|\\[\\s*${text}\\s*\\])\\s*=(?!=)`).test(source);
}

const codeFromStrings = (name: string) => /\bnew Function\(|\beval\(/.test(harness(name));

// ---- run ----------------------------------------------------------------------------------------

async function pooled<T, R>(items: readonly T[], width: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return results;
}

async function main(): Promise<void> {
  const { kept, left, total } = candidates();
  const listed = options.only ? [options.only] : options.paths ? (JSON.parse(readFileSync(options.paths, 'utf8')) as string[]) : null;
  const chosen = listed ? kept.filter((test) => listed.includes(test.path)) : sample(kept, sampleSize, seed);
  if (chosen.length === 0) throw new Error(`no test to run${options.only ? ` (is ${options.only} filtered out?)` : ''}`);
  const width = Math.max(1, Math.min(2, availableParallelism()));
  process.stderr.write(`test262: ${total} files, ${kept.length} kept by the filter, ${chosen.length} sampled (seed ${seed}); taming ${options.taming}\n`);
  let finished = 0;
  const rows = await pooled(chosen, width, async (test) => {
    const source = wrap(test);
    const node = await runInNode(source);
    const teejs = await runInTeejs(source);
    finished++;
    if (finished % 100 === 0) process.stderr.write(`  ${finished}/${chosen.length}\n`);
    return { path: test.path, node, teejs, nodeVerdict: verdict(test, node), teejsVerdict: verdict(test, teejs), test };
  });
  await engine.drain();

  if (options.only) {
    for (const row of rows) process.stdout.write(`${row.path}\n  node:  ${row.nodeVerdict} (${row.node})\n  teejs: ${row.teejsVerdict} (${row.teejs})\n`);
    return;
  }
  const nodePasses = rows.filter((row) => row.nodeVerdict === 'pass');
  const both = nodePasses.filter((row) => row.teejsVerdict === 'pass');
  const losses = nodePasses.filter((row) => row.teejsVerdict !== 'pass');
  const gains = rows.filter((row) => row.nodeVerdict !== 'pass' && row.teejsVerdict === 'pass');
  const causes = new Map(losses.map((row) => [row.path, cause(row.test, row.teejs)]));
  const byGroup = new Map<LossGroup, typeof losses>();
  for (const row of losses) {
    const group = causes.get(row.path)!;
    byGroup.set(group, [...(byGroup.get(group) ?? []), row]);
  }

  const percent = (part: number, whole: number) => `${((part / Math.max(whole, 1)) * 100).toFixed(1)}%`;
  const lines = [
    `filter: ${total} test files; left out: ${[...left].map(([why, n]) => `${why} ${n}`).join(', ')}`,
    `sample: ${rows.length} tests (seed ${seed}), taming ${options.taming}`,
    `plain Node ${process.versions.node}: ${nodePasses.length} pass`,
    `teejs: ${both.length} of those pass (${percent(both.length, nodePasses.length)} kept); ${losses.length} lost${gains.length ? `; ${gains.length} pass in teejs only` : ''}`,
    'losses by cause:',
    ...Object.entries(lossGroups).map(([group, label]) => `  ${String(byGroup.get(group as LossGroup)?.length ?? 0).padStart(4)}  ${label}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (options.list) {
    for (const [group, label] of Object.entries(lossGroups)) {
      const groupRows = byGroup.get(group as LossGroup) ?? [];
      if (groupRows.length === 0) continue;
      process.stdout.write(`\n${label}:\n`);
      for (const row of groupRows) process.stdout.write(`  ${row.path}\n      ${row.teejs.slice(0, 240)}\n`);
    }
    if (gains.length) process.stdout.write(`\npass in teejs only:\n${gains.map((row) => `  ${row.path}: node ${row.node.slice(0, 200)}`).join('\n')}\n`);
  }
  if (options.out) {
    const outcomes = rows.map(({ path, node, teejs, nodeVerdict, teejsVerdict }) => ({
      path,
      node: nodeVerdict,
      teejs: teejsVerdict,
      cause: causes.get(path) ?? null,
      nodeOutcome: node,
      teejsOutcome: teejs,
    }));
    writeFileSync(options.out, `${JSON.stringify({ seed, sample: rows.length, taming: options.taming, node: process.versions.node, outcomes }, null, 1)}\n`);
  }
}

await main();
