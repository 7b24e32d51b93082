// `npm run bench -- --taming`: what the override taming costs (docs/compatibility.md). Each
// choice (bench/taming-plans.ts) runs in a process of its own, since the snapshot is built once
// per process: the startup snapshot's size and build time, the time to make a sandbox from it,
// and ordinary operations on the tamed prototypes in a hot loop (bench/taming-guest.mjs, in a
// fresh sandbox per round, as executions run). The same operations run directly in Node too, with
// nothing frozen or tamed, as a reference. Writes taming.{md,json} (or taming-quick.*).
//
// Child usage: node --no-node-snapshot bench/taming.ts --child <taming name | node> '<plan JSON>'
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from './machine.ts';
import { isTamingName, tamings, type TamingName } from './taming-plans.ts';

interface Plan {
  sandboxes: number;
  rounds: number;
  scale: number;
}

interface ChoiceResult {
  choice: string;
  snapshotBytes: number | null;
  snapshotBuildMs: number | null;
  /** Sandbox.create through dispose, one at a time. */
  sandboxMedianMs: number | null;
  sandboxMeanMs: number | null;
  /** The process's CPU time (every thread) per sandbox: steadier than wall time on a busy machine. */
  sandboxCpuMs: number | null;
  /** Median over the rounds, nanoseconds per operation. */
  operations: Record<string, number>;
}

const guestUrl = new URL('./taming-guest.mjs', import.meta.url);
const choices: readonly (TamingName | 'node')[] = ['none', 'old-list', 'derived-all', 'derived', 'node'];

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function medianOperations(rounds: readonly Record<string, { nsPerOp: number }>[]): Record<string, number> {
  const names = Object.keys(rounds[0] ?? {});
  return Object.fromEntries(names.map((name) => [name, Math.round(median(rounds.map((r) => r[name]!.nsPerOp)) * 10) / 10]));
}

async function child(choice: string, plan: Plan): Promise<ChoiceResult> {
  if (choice === 'node') {
    const { default: main } = (await import(guestUrl.href)) as { default: (params: unknown) => Promise<Record<string, { nsPerOp: number }>> };
    const rounds = [];
    for (let i = 0; i < plan.rounds; i++) rounds.push(await main({ scale: plan.scale }));
    return { choice, snapshotBytes: null, snapshotBuildMs: null, sandboxMedianMs: null, sandboxMeanMs: null, sandboxCpuMs: null, operations: medianOperations(rounds) };
  }
  if (!isTamingName(choice)) throw new Error(`unknown taming ${choice}`);
  const { chooseOverrideTaming, startupSnapshot } = await import('../src/core/snapshot.ts');
  const { Engine, Sandbox } = await import('../src/core/index.ts');
  chooseOverrideTaming(tamings[choice]);
  const engine = new Engine({ limits: { timeoutMs: 120_000, memoryMb: 128 } });
  const built = performance.now();
  const snapshot = startupSnapshot(engine.capabilities);
  const snapshotBuildMs = performance.now() - built;
  const snapshotBytes = snapshot.copy().byteLength;

  const times: number[] = [];
  let cpu = process.cpuUsage();
  for (let i = 0; i < plan.sandboxes + 10; i++) {
    if (i === 10) cpu = process.cpuUsage();
    const started = performance.now();
    const sandbox = await Sandbox.create({ memoryMb: 128, capabilities: engine.capabilities });
    sandbox.dispose();
    if (i >= 10) times.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  const sandboxCpuMs = (used.user + used.system) / 1000 / plan.sandboxes;

  const source = readFileSync(guestUrl, 'utf8');
  const rounds = [];
  for (let i = 0; i < plan.rounds; i++) {
    const result = await engine.execute({ source, params: { scale: plan.scale }, filename: 'taming-guest.mjs', timeoutMs: 120_000 });
    if (result.status !== 'success') throw new Error(`the taming workload failed: ${JSON.stringify(result.error)}`);
    rounds.push(result.result as Record<string, { nsPerOp: number }>);
  }
  await engine.drain();
  return {
    choice,
    snapshotBytes,
    snapshotBuildMs: Math.round(snapshotBuildMs),
    sandboxMedianMs: Math.round(median(times) * 1000) / 1000,
    sandboxMeanMs: Math.round((times.reduce((a, b) => a + b, 0) / times.length) * 1000) / 1000,
    sandboxCpuMs: Math.round(sandboxCpuMs * 1000) / 1000,
    operations: medianOperations(rounds),
  };
}

async function inChild(choice: string, plan: Plan): Promise<ChoiceResult> {
  const script = new URL(import.meta.url).pathname;
  const proc = spawn(process.execPath, ['--no-node-snapshot', script, '--child', choice, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const [code, signal] = (await once(proc, 'exit')) as [number | null, string | null];
  try {
    const result = JSON.parse(output) as ChoiceResult;
    // Its answer is whole: a crash on the way out (seen at times in isolated-vm's teardown)
    // changes nothing measured, and is said.
    if (code !== 0) process.stderr.write(`  (the ${choice} process ended with ${signal ?? `exit code ${code}`} after answering)\n`);
    return result;
  } catch {
    throw new Error(`the ${choice} measurement ended with ${signal ?? `exit code ${code}`} and no answer`);
  }
}

function report(results: readonly ChoiceResult[], plan: Plan, quick: boolean): string {
  const machine = machineInfo();
  const teejs = results.filter((r) => r.choice !== 'node');
  const names = Object.keys(teejs[0]?.operations ?? {});
  const header = `| | ${results.map((r) => r.choice).join(' | ')} |\n|---|${results.map(() => '---:').join('|')}|`;
  const row = (label: string, value: (r: ChoiceResult) => string) => `| ${label} | ${results.map(value).join(' | ')} |`;
  const dash = '–';
  return [
    `# Override taming: cost${quick ? ' (quick)' : ''}`,
    '',
    `${machine.date.slice(0, 10)} · ${machine.cpuModel} · ${machine.cores} cores · Node ${machine.node} · ` +
      `${plan.sandboxes} sandboxes per choice, ${plan.rounds} rounds of the operations (median), scale ${plan.scale}.`,
    'Choices: `none` tames nothing; `old-list` is the hand-picked list teejs had; `derived-all` is the rule with no exception;',
    '`derived` is what teejs runs (the rule, hot exceptions kept as data); `node` runs the same operations directly in Node,',
    'nothing frozen. How to read it: docs/compatibility.md.',
    '',
    header,
    row('snapshot size (KB)', (r) => (r.snapshotBytes === null ? dash : (r.snapshotBytes / 1024).toFixed(0))),
    row('snapshot build (ms)', (r) => (r.snapshotBuildMs === null ? dash : String(r.snapshotBuildMs))),
    row('sandbox from snapshot, median (ms)', (r) => (r.sandboxMedianMs === null ? dash : r.sandboxMedianMs.toFixed(3))),
    row('sandbox from snapshot, mean (ms)', (r) => (r.sandboxMeanMs === null ? dash : r.sandboxMeanMs.toFixed(3))),
    row('sandbox from snapshot, CPU time (ms)', (r) => (r.sandboxCpuMs === null ? dash : r.sandboxCpuMs.toFixed(3))),
    ...names.map((name) => row(`${name} (ns/op)`, (r) => r.operations[name]?.toFixed(1) ?? dash)),
    '',
  ].join('\n');
}

export async function runTaming({ quick, out }: { quick: boolean; out: string }): Promise<void> {
  const plan: Plan = quick ? { sandboxes: 40, rounds: 3, scale: 0.25 } : { sandboxes: 300, rounds: 7, scale: 1 };
  const results: ChoiceResult[] = [];
  for (const choice of choices) {
    process.stderr.write(`taming ${choice}…\n`);
    results.push(await inChild(choice, plan));
  }
  const name = quick ? 'taming-quick' : 'taming';
  mkdirSync(out, { recursive: true });
  const markdown = report(results, plan, quick);
  writeFileSync(join(out, `${name}.md`), markdown);
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ machine: machineInfo(), plan, results }, null, 2)}\n`);
  process.stdout.write(markdown);
}

if (process.argv[2] === '--child') {
  const result = await child(process.argv[3]!, JSON.parse(process.argv[4]!) as Plan);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}
