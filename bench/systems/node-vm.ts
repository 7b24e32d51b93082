// node:vm with a fresh context per call: NOT a security boundary (the guest reaches the host's
// Function constructor in one line), only a speed reference for "a new global per call".
import vm from 'node:vm';
import { asScript, benchSecret, type Workload } from '../workloads/index.ts';
import { describeError, type Outcome, type System } from './system.ts';

async function runOnce(workload: Workload, script: vm.Script): Promise<Outcome> {
  const logs: string[] = [];
  try {
    const context = vm.createContext({
      console: { log: (...args: unknown[]) => void logs.push(args.map(String).join(' ')) },
      secrets: { get: (name: string) => (name === benchSecret.name ? benchSecret.value : undefined) },
      __params: JSON.stringify(workload.params),
      __context: JSON.stringify({ functionId: workload.id, userId: benchSecret.userId }),
    });
    const json = (await script.runInContext(context, { timeout: workload.timeoutMs })) as string;
    return { ok: true, result: JSON.parse(json), logs };
  } catch (error) {
    return { ok: false, error: describeError(error), logs };
  }
}

export const nodeVm: System = {
  id: 'node-vm',
  label: 'node:vm, fresh context',
  short: 'node:vm',
  parallel: false,
  note: 'not a security boundary: a speed reference',
  async start() {
    // A vm.Script is independent of contexts, so a careful user compiles it once per source.
    const scripts = new Map<string, vm.Script>();
    const scriptFor = (workload: Workload) => {
      let script = scripts.get(workload.id);
      if (!script) {
        script = new vm.Script(
          `${asScript(workload.source)}\nmain(JSON.parse(__params), JSON.parse(__context)).then((value) => JSON.stringify(value));\n`,
          { filename: `${workload.id}.js` },
        );
        scripts.set(workload.id, script);
      }
      return script;
    };
    return { run: (workload) => runOnce(workload, scriptFor(workload)), close: async () => {} };
  },
};
