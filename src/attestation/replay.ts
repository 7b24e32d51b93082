// Replay: re-runs a deterministic execution from its source and params, with the receipt's
// execution id, start time, identity and limits, and compares what it answers with what the
// receipt claims. Independent of any peer: only the runtime on this machine is trusted.
//
// Invariants:
// - Nothing runs unless the receipt says the execution was deterministic and the source and
//   params given hash to the receipt's: a replay of other code or inputs proves nothing.
// - The replay runs in an executor process, like teejs run, with no network (a deterministic
//   execution refuses fetch) and only the secrets the caller gives.
// - It never throws for a malformed result: problems are failure lines, as in verify.ts.
import path from 'node:path';
import { InMemorySecretStore, type ExecutionResult } from '../core/index.ts';
import { ExecutorPool } from '../executor/index.ts';
import { jcsSha256 } from './hash.ts';
import { paramsSha256, sourceSha256Of } from './receipt.ts';

export interface ReplayOptions {
  source: string;
  /** A function of several modules: the others by path, and the entry's path. */
  modules?: Readonly<Record<string, string>>;
  entry?: string;
  /** Shown in stack traces and used to tell TypeScript (.ts) from JavaScript. */
  filename?: string;
  params: unknown;
  /** Secret values the function reads, by name (the receipt names none of them). */
  secrets?: Record<string, string>;
}

export interface ReplayReport {
  ok: boolean;
  /** One line per problem, each starting with `replay:`. */
  failures: string[];
  /** What the replay answered, when it ran. */
  replayed: ExecutionResult | null;
}

export async function replayResult(result: unknown, options: ReplayOptions): Promise<ReplayReport> {
  const failures: string[] = [];
  const done = (replayed: ExecutionResult | null = null): ReplayReport => ({ ok: failures.length === 0, failures, replayed });
  const claims = (result as { receipt?: { claims?: Record<string, unknown> } } | null)?.receipt?.claims;
  if (claims === null || typeof claims !== 'object') {
    failures.push('replay: the result carries no receipt claims');
    return done();
  }
  if (claims.deterministic !== true) {
    failures.push('replay: the execution did not run deterministically, so its result cannot be reproduced');
    return done();
  }
  if (claims.sourceSha256 !== sourceSha256Of(options.source, options.modules, options.entry)) failures.push('replay: the source given is not the one that ran');
  if (claims.paramsSha256 !== paramsSha256(options.params)) failures.push('replay: the params given are not the ones the function got');
  const limits = (claims.limits ?? {}) as { timeoutMs?: unknown; memoryMb?: unknown };
  if (typeof claims.executionId !== 'string' || typeof claims.startedAt !== 'string' || typeof limits.timeoutMs !== 'number' || typeof limits.memoryMb !== 'number') {
    failures.push('replay: the receipt lacks the execution id, start time or limits a replay needs');
  }
  if (failures.length > 0) return done();

  const userId = String(claims.userId);
  const secrets = new InMemorySecretStore({ [userId]: { ...options.secrets } });
  const executors = await ExecutorPool.start({ secrets, processes: 1, spare: 0, warm: false, signingKey: null });
  let replayed: ExecutionResult;
  try {
    replayed = await executors.execute({
      source: options.source,
      ...(options.modules ? { modules: options.modules, entry: options.entry } : {}),
      ...(options.filename ? { filename: path.basename(options.filename) } : {}),
      params: options.params,
      executionId: claims.executionId as string,
      functionId: String(claims.functionId),
      userId,
      timeoutMs: limits.timeoutMs as number,
      memoryMb: limits.memoryMb as number,
      deterministic: true,
      startedAt: claims.startedAt as string,
    });
  } finally {
    await executors.close();
  }
  const errorCode = replayed.error?.code ?? null;
  if (replayed.status !== claims.status || errorCode !== claims.errorCode) {
    failures.push(`replay: the replay ended ${replayed.status}${errorCode ? ` (${errorCode})` : ''}, the receipt claims ${String(claims.status)}${claims.errorCode ? ` (${String(claims.errorCode)})` : ''}`);
  } else if (jcsSha256(replayed.result ?? null) !== claims.resultSha256) {
    failures.push('replay: the replayed result does not hash to the receipt\'s resultSha256');
  }
  return done(replayed);
}
