// Executors: where guest code runs (supervised processes) and the interface the service uses.
export { ExecutorPool, type ExecutorPoolOptions, type ExecutorPoolStats } from './pool.ts';
export type { Executor } from './executor.ts';
