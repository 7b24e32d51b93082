// quickjs-emscripten with a fresh runtime per call: QuickJS compiled to WebAssembly, with its
// own heap, a memory limit and an interrupt deadline. The WebAssembly module is loaded once
// (as any user would); the runtime and context are new for every call.
import { getQuickJS, shouldInterruptAfterDeadline, type QuickJSContext, type QuickJSHandle, type QuickJSWASMModule } from 'quickjs-emscripten';
import { asScript, benchSecret, type Workload } from '../workloads/index.ts';
import { describeError, type Outcome, type System } from './system.ts';

function runOnce(quickjs: QuickJSWASMModule, workload: Workload, script: string): Outcome {
  const logs: string[] = [];
  const runtime = quickjs.newRuntime();
  try {
    runtime.setMemoryLimit(workload.memoryMb * 1024 * 1024);
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + workload.timeoutMs));
    const vm = runtime.newContext();
    try {
      defineGlobals(vm, workload, logs);
      const evaluated = vm.evalCode(script, `${workload.id}.js`);
      if (evaluated.error) return failed(vm, evaluated.error, logs);
      const promise = evaluated.value;
      try {
        // The function is async: run its jobs until its promise settles.
        for (;;) {
          const state = vm.getPromiseState(promise);
          if (state.type === 'fulfilled') {
            const json = vm.getString(state.value);
            state.value.dispose();
            return { ok: true, result: JSON.parse(json), logs };
          }
          if (state.type === 'rejected') return failed(vm, state.error, logs);
          const jobs = runtime.executePendingJobs();
          if (jobs.error) return failed(vm, jobs.error, logs);
          if (jobs.value === 0) return { ok: false, error: 'the promise never settled', logs };
        }
      } finally {
        promise.dispose();
      }
    } finally {
      vm.dispose();
    }
  } catch (error) {
    return { ok: false, error: describeError(error), logs };
  } finally {
    runtime.dispose();
  }
}

function defineGlobals(vm: QuickJSContext, workload: Workload, logs: string[]): void {
  const console = vm.newObject();
  const log = vm.newFunction('log', (...args) => {
    logs.push(args.map((arg) => String(vm.dump(arg))).join(' '));
  });
  vm.setProp(console, 'log', log);
  vm.setProp(vm.global, 'console', console);
  const secrets = vm.newObject();
  const get = vm.newFunction('get', (name) => {
    const value = vm.getString(name) === benchSecret.name ? benchSecret.value : undefined;
    return value === undefined ? vm.undefined : vm.newString(value);
  });
  vm.setProp(secrets, 'get', get);
  vm.setProp(vm.global, 'secrets', secrets);
  const params = vm.newString(JSON.stringify(workload.params));
  vm.setProp(vm.global, '__params', params);
  const context = vm.newString(JSON.stringify({ functionId: workload.id, userId: benchSecret.userId }));
  vm.setProp(vm.global, '__context', context);
  for (const handle of [console, log, secrets, get, params, context]) handle.dispose();
}

function failed(vm: QuickJSContext, error: QuickJSHandle, logs: string[]): Outcome {
  const dumped = vm.dump(error) as { name?: string; message?: string } | string;
  error.dispose();
  const text = typeof dumped === 'object' && dumped !== null ? `${dumped.name}: ${dumped.message}` : String(dumped);
  return { ok: false, error: text, logs };
}

export const quickjs: System = {
  id: 'quickjs',
  label: 'QuickJS (wasm), fresh runtime',
  short: 'QuickJS',
  // Runs on the main thread: concurrent calls only queue.
  parallel: false,
  async start() {
    const module = await getQuickJS();
    const scripts = new Map<string, string>();
    const scriptFor = (workload: Workload) => {
      let script = scripts.get(workload.id);
      if (!script) {
        script = `${asScript(workload.source)}\nmain(JSON.parse(__params), JSON.parse(__context)).then((value) => JSON.stringify(value));\n`;
        scripts.set(workload.id, script);
      }
      return script;
    };
    return { run: async (workload) => runOnce(module, workload, scriptFor(workload)), close: async () => {} };
  },
};
