// What runs executions, seen from the service: the in-process Engine and the ExecutorPool of
// supervised processes both fit.
import type { ExecutionObserver, ExecutionRequest, ExecutionResult } from '../core/index.ts';

export interface Executor {
  /**
   * Runs one execution; never throws for anything the function or the request got wrong.
   * `observer` hears its console lines while it runs (live logs), each at most once, in order.
   */
  execute(request: ExecutionRequest, observer?: ExecutionObserver): Promise<ExecutionResult>;
  /** Finishes in-flight work and releases processes and isolates. */
  close(): Promise<void>;
}
