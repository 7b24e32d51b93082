// Following a running execution's console lines. The service streams them as Server-Sent Events
// at GET /v1/executions/{id}/logs (`id: N`, `event: log`, `data: <log entry>`, then `event: end`
// with `{ executionId, status }`, resuming after `Last-Event-ID`). EventSource cannot send the
// Authorization header, so the stream is read with fetch() and parsed here. A service without
// that route (404/405) is followed by polling the execution instead, whose logs arrive when it
// ends.
import type { Execution } from '../client/index.ts';
import { api, call, errorOf, origin } from './api.ts';
import { EventStreamParser } from './event-stream.ts';
import { storedKey } from './session.ts';

export interface LogLine {
  level: string;
  message: string;
  time: number;
}

export interface FollowHandlers {
  onLog: (line: LogLine, index: number) => void;
  /** How the lines arrive: 'live' (the stream) or 'polling'. */
  onMode?: (mode: 'live' | 'polling') => void;
}

const finished = (status: string) => status === 'success' || status === 'error';

/** Follows an execution until it ends; answers it as stored (result, logs, receipt...). */
export async function followExecution(executionId: string, handlers: FollowHandlers, signal: AbortSignal): Promise<Execution> {
  const streamed = await streamLogs(executionId, handlers, signal);
  if (!streamed) {
    handlers.onMode?.('polling');
    for (;;) {
      const execution = await call(api().GET('/v1/executions/{executionId}', { params: { path: { executionId } }, signal }));
      if (finished(execution.status)) return execution;
      await new Promise((resolve) => setTimeout(resolve, 500));
      signal.throwIfAborted();
    }
  }
  return call(api().GET('/v1/executions/{executionId}', { params: { path: { executionId } }, signal }));
}

/** Reads the stream to its end event; false when the service has no such route. */
async function streamLogs(executionId: string, handlers: FollowHandlers, signal: AbortSignal): Promise<boolean> {
  let lastId: string | undefined;
  let seen = -1;
  // A dropped connection is resumed after the last line seen, a few times at most.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${storedKey() ?? ''}` };
    if (lastId !== undefined) headers['last-event-id'] = lastId;
    let response: Response;
    try {
      response = await fetch(`${origin()}/v1/executions/${encodeURIComponent(executionId)}/logs`, { headers, signal, cache: 'no-store' });
    } catch (error) {
      if (signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    if (response.status === 404 || response.status === 405) {
      // No log stream on this service (or the execution is gone): polling says which.
      await response.body?.cancel();
      return false;
    }
    if (!response.ok || !response.body) {
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        body = undefined;
      }
      throw errorOf(response, body);
    }
    handlers.onMode?.('live');
    const parser = new EventStreamParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          if (event.event === 'log') {
            const index = Number(event.id);
            lastId = event.id;
            if (Number.isInteger(index) && index <= seen) continue;
            seen = Number.isInteger(index) ? index : seen + 1;
            handlers.onLog(JSON.parse(event.data) as LogLine, seen);
          } else if (event.event === 'end') {
            await reader.cancel();
            return true;
          }
        }
      }
    } catch (error) {
      if (signal.aborted) throw error;
    }
  }
  return false;
}
