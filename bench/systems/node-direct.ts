// The CPU-bound workload run directly in this Node process: the baseline for "CPU-bound work
// inside teejs at least 0.9 times the speed of plain Node". No isolation at all.
import { type Workload } from '../workloads/index.ts';
import { describeError, type System } from './system.ts';

type Main = (params: unknown, context: unknown) => Promise<unknown>;

export const nodeDirect: System = {
  id: 'node-direct',
  label: 'plain Node (no isolation)',
  short: 'plain Node',
  parallel: false,
  note: 'baseline for the CPU-bound workloads only',
  only: ['cpu', 'cpu-large'],
  async start() {
    const modules = new Map<string, Main>();
    const mainOf = async (workload: Workload) => {
      let main = modules.get(workload.id);
      if (!main) {
        main = ((await import(workload.url.href)) as { default: Main }).default;
        modules.set(workload.id, main);
      }
      return main;
    };
    return {
      async run(workload) {
        try {
          // Params by value, as every other system gets them.
          const params = JSON.parse(JSON.stringify(workload.params)) as unknown;
          const result = JSON.parse(JSON.stringify(await (await mainOf(workload))(params, { functionId: workload.id })));
          return { ok: true, result, logs: [] };
        } catch (error) {
          return { ok: false, error: describeError(error), logs: [] };
        }
      },
      close: async () => {},
    };
  },
};
