// teejs itself, three ways: the in-process core making a sandbox per call (cold), the core with
// its warm pool, and the executor pool of supervised processes (the production setup).
import { Engine, InMemorySecretStore, type ExecutionRequest, type ExecutionResult } from '../../src/core/index.ts';
import { benchSecret, type Workload } from '../workloads/index.ts';
import { describeError, type Outcome, type Runner, type System } from './system.ts';

const secrets = () => new InMemorySecretStore({ [benchSecret.userId]: { [benchSecret.name]: benchSecret.value } });

function request(workload: Workload): ExecutionRequest {
  return {
    source: workload.source,
    params: workload.params,
    userId: benchSecret.userId,
    functionId: workload.id,
    filename: `${workload.id}.mjs`,
    timeoutMs: workload.timeoutMs,
    memoryMb: workload.memoryMb,
  };
}

function outcome(result: ExecutionResult): Outcome {
  const logs = result.logs.map((entry) => entry.message);
  if (result.status === 'success') return { ok: true, result: result.result, logs };
  return { ok: false, error: `${result.error?.code}: ${result.error?.message}`, logs };
}

/** Every workload asks for 128 MB, so the warm pool's sandboxes fit all of them. */
const limits = { memoryMb: 128 };

export const teejsCore: System = {
  id: 'teejs-core',
  label: 'teejs core, cold',
  short: 'teejs cold',
  parallel: true,
  async start() {
    const engine = new Engine({ secrets: secrets(), limits });
    return {
      run: async (workload) => outcome(await engine.execute(request(workload))),
      close: () => engine.close(),
      config: { warmPool: false },
    };
  },
};

export const warmPoolSize = 8;

export const teejsCoreWarm: System = {
  id: 'teejs-core-warm',
  label: 'teejs core, warm pool',
  short: 'teejs warm',
  parallel: true,
  async start() {
    const engine = new Engine({ secrets: secrets(), limits, pool: { size: warmPoolSize } });
    await engine.warm();
    return {
      run: async (workload) => outcome(await engine.execute(request(workload))),
      close: () => engine.close(),
      config: { warmPool: { size: warmPoolSize, max: 'default' } },
      stats: () => ({ warmPool: engine.poolStats() }),
    };
  },
};

export const teejsPool: System = {
  id: 'teejs-pool',
  label: 'teejs executor pool',
  short: 'teejs pool',
  parallel: true,
  async start() {
    let executor: typeof import('../../src/executor/index.ts');
    try {
      // Loaded when started, so that a broken or absent pool shows as missing, not as a crash.
      executor = await import('../../src/executor/index.ts');
    } catch (error) {
      return { missing: `the executor pool (src/executor/index.ts) cannot be loaded: ${describeError(error).split('\n')[0]}` };
    }
    if (typeof executor.ExecutorPool?.start !== 'function') {
      return { missing: 'src/executor/index.ts exports no ExecutorPool.start' };
    }
    // Defaults on purpose (one executor per core, the default warm pool): the setup a service gets.
    const pool = await executor.ExecutorPool.start({ secrets: secrets() });
    const runner: Runner = {
      run: async (workload) => outcome(await pool.execute(request(workload))),
      close: () => pool.close(),
      config: { processes: pool.stats().executors.length, warm: 'default' },
      pids: () => pool.stats().executors.flatMap((e) => (e.pid === undefined ? [] : [e.pid])),
      stats: () => {
        const stats = pool.stats();
        return { restarts: stats.restarts, warmPools: stats.executors.map((e) => e.pool) };
      },
    };
    return runner;
  },
};
