// One system's RSS soak in a process of its own (started by run.ts), so that the RSS measured is
// that system's alone: the main benchmark process also holds the other systems, QuickJS's
// WebAssembly memory and what earlier measurements left behind.
// Usage: node --no-node-snapshot bench/soak.ts <system id> '<plan as JSON>'; prints the result
// as JSON on stdout, progress on stderr.
import { soak, type SoakPlan } from './memory.ts';
import { systems } from './systems/index.ts';
import { workloads } from './workloads/index.ts';

const [systemId, planJson] = process.argv.slice(2);
const system = systems.find((s) => s.id === systemId);
if (!system || !planJson) throw new Error(`usage: soak.ts <${systems.map((s) => s.id).join('|')}> <plan JSON>`);
const plan = JSON.parse(planJson) as SoakPlan;
const hello = workloads.find((w) => w.id === 'hello')!;

const runner = await system.start();
let answer: unknown;
if ('missing' in runner) {
  answer = runner;
} else {
  const total = plan.total.toLocaleString('en');
  answer = await soak(runner, hello, plan, (done) => process.stderr.write(`  ${system.id}: ${done.toLocaleString('en')} / ${total}\n`));
  await runner.close();
}
// Exit from the write's callback: exiting at once can cut a piped write short.
process.stdout.write(`${JSON.stringify(answer)}\n`, () => process.exit(0));
