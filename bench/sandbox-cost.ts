// Where a sandbox's time goes (`npm run bench -- --sandbox-cost`): the stages of one fresh
// sandbox, each measured alone, sequentially, on the thread that makes it (as an executor
// makes its sandboxes), in one run:
//   bare        new ivm.Isolate() + createContextSync() + dispose(): isolated-vm's own floor
//   snapshot    the same from teejs's startup snapshot (runtime, hardening, capabilities)
//   sandbox     Sandbox.create() (snapshot isolate, context, attach to the host channel, the
//               module entry compiled) + dispose(): the floor of a teejs execution
//   hello       Engine.execute() of hello world without a warm pool: everything an execution
//               costs, sandbox included
// (and the isolate alone, without a context, from each, which splits isolate from context).
// For each: wall time and CPU time of the whole process (isolated-vm runs some of its work on
// threads of its own), and the minor page faults the process took (a fresh heap's pages are
// touched for the first time), as medians over `runs`. The snapshot's size is reported too.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ivm from 'isolated-vm';
import { Engine } from '../src/core/engine.ts';
import { Sandbox } from '../src/core/sandbox.ts';
import { startupSnapshot } from '../src/core/snapshot.ts';
import { loadAverage, machineInfo } from './machine.ts';
import { percentile } from './measure.ts';

interface Stage {
  id: string;
  label: string;
  run: () => Promise<void> | void;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
  faults: number;
}

function minorFaults(): number {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.5);
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export async function runSandboxCost(options: { quick: boolean; out: string }): Promise<void> {
  const runs = options.quick ? 60 : 300;
  const machine = machineInfo();
  // No pool option: every execution makes its sandbox when it starts.
  const engine = new Engine();
  const capabilities = engine.capabilities;
  const snapshot = startupSnapshot(capabilities);
  const snapshotBytes = snapshot.copy().byteLength;
  const stages: Stage[] = [
    {
      id: 'bare-isolate',
      label: 'new Isolate + dispose, no context (isolated-vm alone)',
      run: () => new ivm.Isolate({ memoryLimit: 128 }).dispose(),
    },
    {
      id: 'snapshot-isolate',
      label: 'new Isolate from the startup snapshot + dispose, no context',
      run: () => new ivm.Isolate({ memoryLimit: 128, snapshot }).dispose(),
    },
    {
      id: 'bare',
      label: 'new Isolate + context + dispose (isolated-vm alone)',
      run: () => {
        const isolate = new ivm.Isolate({ memoryLimit: 128 });
        isolate.createContextSync();
        isolate.dispose();
      },
    },
    {
      id: 'snapshot',
      label: 'the same from the startup snapshot',
      run: () => {
        const isolate = new ivm.Isolate({ memoryLimit: 128, snapshot });
        isolate.createContextSync();
        isolate.dispose();
      },
    },
    {
      id: 'sandbox',
      label: 'Sandbox.create (snapshot, context, attach, module entry) + dispose',
      run: async () => {
        const sandbox = await Sandbox.create({ memoryMb: 128, capabilities });
        sandbox.dispose();
      },
    },
    {
      id: 'hello',
      label: 'Engine.execute of hello world (no warm pool)',
      run: async () => {
        const result = await engine.execute({ source: "export default (params) => ({ message: 'hello, ' + params.name })", params: { name: 'world' } });
        if (result.status !== 'success') throw new Error(`hello failed: ${JSON.stringify(result.error)}`);
      },
    },
  ];

  const results: Array<{ id: string; label: string; wallMs: number; cpuMs: number; faults: number; faultMb: number }> = [];
  for (const stage of stages) {
    for (let i = 0; i < Math.min(20, runs); i++) await stage.run(); // warm the code paths
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      const faults = minorFaults();
      const cpu = cpuMs();
      const wall = performance.now();
      await stage.run();
      samples.push({ wallMs: performance.now() - wall, cpuMs: cpuMs() - cpu, faults: minorFaults() - faults });
    }
    const faults = median(samples.map((s) => s.faults));
    results.push({
      id: stage.id,
      label: stage.label,
      wallMs: round(median(samples.map((s) => s.wallMs))),
      cpuMs: round(median(samples.map((s) => s.cpuMs))),
      faults,
      faultMb: round((faults * 4096) / 2 ** 20, 1),
    });
    process.stdout.write(`${stage.id.padEnd(9)} wall ${results.at(-1)!.wallMs} ms  cpu ${results.at(-1)!.cpuMs} ms  faults ${faults} (${results.at(-1)!.faultMb} MB)\n`);
  }
  await engine.close();

  const loadAverageAtEnd = loadAverage();
  const at = machine.date;
  const lines = [
    '# Where a sandbox\'s time goes',
    '',
    `Measured ${at.slice(0, 16).replace('T', ' ')} UTC; ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, isolated-vm ${machine.isolatedVm}, commit ${machine.commit}; load average ${machine.loadAverageAtStart.join(', ')} at the start, ${loadAverageAtEnd.join(', ')} at the end; ${runs} runs of each stage, sequential, medians. Startup snapshot: ${Math.round(snapshotBytes / 1024)} KB.`,
    '',
    '| stage | wall ms | CPU ms (process) | minor faults (MB first touched) |',
    '| --- | --- | --- | --- |',
    ...results.map((r) => `| ${r.label} | ${r.wallMs} | ${r.cpuMs} | ${r.faults} (${r.faultMb}) |`),
    '',
  ];
  mkdirSync(options.out, { recursive: true });
  const stem = options.quick ? 'sandbox-cost-quick' : 'sandbox-cost';
  writeFileSync(path.join(options.out, `${stem}.md`), lines.join('\n'));
  writeFileSync(path.join(options.out, `${stem}.json`), `${JSON.stringify({ at, machine, loadAverageAtEnd, runs, snapshotBytes, results }, null, 2)}\n`);
  process.stdout.write(`wrote ${stem}.md and ${stem}.json (snapshot ${Math.round(snapshotBytes / 1024)} KB)\n`);
}
