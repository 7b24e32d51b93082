// The CPU-bound workload run once in a fresh Node worker thread per call: plain Node's first run
// of the code, in a new V8 isolate with Node's own heap settings and a cold JIT, as every
// per-call isolate starts. Next to `node-direct` (the same code, its JIT warm from call to call)
// it shows how much of the gap to plain Node any fresh isolate pays, and how much is left for
// the isolates' configuration and teejs's own runtime. No isolation worth the name (a worker
// shares the process): a speed reference only.
import { Worker } from 'node:worker_threads';
import { describeError, type System } from './system.ts';

// Runs the module's default export once with the params it is given, and posts the result back
// as JSON (by value, as every other system returns it).
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url)
  .then((module) => module.default(JSON.parse(workerData.params), JSON.parse(workerData.context)))
  .then((value) => parentPort.postMessage({ ok: true, json: JSON.stringify(value) }))
  .catch((error) => parentPort.postMessage({ ok: false, error: String(error && error.stack || error) }));
`;

export const nodeWorker: System = {
  id: 'node-worker',
  label: 'plain Node, fresh worker per call (first run)',
  short: 'Node worker',
  parallel: true,
  note: 'reference for the CPU-bound workloads only: a cold JIT in a fresh isolate with Node’s heap settings',
  only: ['cpu', 'cpu-large'],
  async start() {
    return {
      run: (workload) =>
        new Promise((resolve) => {
          const worker = new Worker(workerSource, {
            eval: true,
            workerData: {
              url: workload.url.href,
              params: JSON.stringify(workload.params),
              context: JSON.stringify({ functionId: workload.id }),
            },
          });
          let answered = false;
          const answer = (outcome: Parameters<typeof resolve>[0]) => {
            if (answered) return;
            answered = true;
            void worker.terminate().then(() => resolve(outcome));
          };
          worker.once('message', (message: { ok: boolean; json?: string; error?: string }) =>
            answer(message.ok ? { ok: true, result: JSON.parse(message.json ?? 'null'), logs: [] } : { ok: false, error: message.error, logs: [] }),
          );
          worker.once('error', (error) => answer({ ok: false, error: describeError(error), logs: [] }));
          worker.once('exit', (code) => answer({ ok: false, error: `worker exited with code ${code}`, logs: [] }));
        }),
      close: async () => {},
    };
  },
};
