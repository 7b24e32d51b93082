// Messages between the host and an executor process (Node IPC, structured clone). The host
// validates everything an executor sends: an executor runs untrusted code and is treated as
// possibly compromised.
import type { EngineOptions, ExecutionRequest, ExecutionResult, LogEntry, WarmPoolStats } from '../core/index.ts';

/** Engine settings an executor is started with: plain data only (it crosses a process boundary). */
export type ExecutorEngineOptions = Pick<EngineOptions, 'limits' | 'pool'> & Record<string, unknown>;

export type HostMessage =
  | { type: 'execute'; id: number; request: ExecutionRequest }
  | { type: 'secret'; id: number; value: string | null }
  | { type: 'shutdown' }
  | { type: 'ping'; id: number };

export type ExecutorMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: ExecutionResult; pool: WarmPoolStats | null }
  /**
   * Console lines of a running execution, in order, `first` the index of the first in its logs;
   * sent in small batches while it runs, all before its result. The host checks and bounds them.
   */
  | { type: 'logs'; id: number; first: number; entries: LogEntry[] }
  | { type: 'secret'; id: number; userId: string; name: string }
  | { type: 'pong'; id: number }
  /** After results: the warm pool has made the sandboxes they used up (the process is ready again). */
  | { type: 'prepared' };
