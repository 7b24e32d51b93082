// Following an execution's console lines live: GET /v1/executions/{id}/logs (Server-Sent
// Events), read with fetch, resumed after a lost connection with the id of the last line seen
// (Last-Event-ID), so each line is told once and in order. Used by `teejs logs --follow`.
import { TeejsApiError, type ClientConfig } from './index.ts';

export interface LogLine {
  type: 'log';
  /** The line's 0-based index in the execution's logs. */
  index: number;
  entry: { level: string; message: string; time: number };
}

export interface LogEnd {
  type: 'end';
  executionId: string;
  status: string;
}

export interface FollowOptions {
  /** Resume after this line index (the id of the last event seen). */
  lastEventId?: number;
  signal?: AbortSignal;
  /** Wait between reconnections; 1000 ms by default. */
  retryMs?: number;
  /** Reconnections in a row without a line before giving up (the last error is thrown); unbounded by default. */
  maxRetries?: number;
  /** Told of each lost connection before the next attempt. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Every line of the execution from `lastEventId + 1` on, then its end. An error answer (404,
 * 401...) throws a TeejsApiError at once; a lost connection is retried with the last id.
 */
export async function* followExecutionLogs(config: ClientConfig, executionId: string, options: FollowOptions = {}): AsyncGenerator<LogLine | LogEnd> {
  const doFetch = config.fetch ?? ((request: Request) => fetch(request));
  let last = options.lastEventId;
  let attempt = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const headers: Record<string, string> = { accept: 'text/event-stream', ...config.headers };
    if (config.apiKey !== undefined) headers.authorization = `Bearer ${config.apiKey}`;
    if (last !== undefined) headers['last-event-id'] = String(last);
    const url = `${config.baseUrl.replace(/\/$/, '')}/v1/executions/${encodeURIComponent(executionId)}/logs`;
    let failure: unknown;
    try {
      const response = await doFetch(new Request(url, { headers, ...(options.signal ? { signal: options.signal } : {}) }));
      if (!response.ok) {
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not the service's JSON: the status says enough.
        }
        throw new TeejsApiError(response.status, body, response.headers.get('x-request-id'));
      }
      if (!response.body) throw new TypeError('fetch failed: the answer has no body');
      for await (const event of serverSentEvents(response.body)) {
        if (event.event === 'log') {
          const index = Number(event.id);
          last = index;
          attempt = 0;
          yield { type: 'log', index, entry: JSON.parse(event.data) as LogLine['entry'] };
        } else if (event.event === 'end') {
          const end = JSON.parse(event.data) as { executionId: string; status: string };
          yield { type: 'end', executionId: end.executionId, status: end.status };
          return;
        }
      }
      failure = new TypeError('fetch failed: the stream ended before the execution did');
    } catch (error) {
      if (error instanceof TeejsApiError || options.signal?.aborted) throw error;
      failure = error;
    }
    attempt++;
    if (options.maxRetries !== undefined && attempt > options.maxRetries) throw failure;
    options.onRetry?.(failure, attempt);
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1000));
  }
}

interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/** The events of a text/event-stream body (comments skipped), per the HTML standard's parsing rules. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline;
    while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}
