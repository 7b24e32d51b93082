// GET /v1/executions/{executionId}/logs: an execution's console lines as Server-Sent Events,
// live while it runs, then `end`. The wire contract (the web console and `teejs logs --follow`
// rely on it):
//
//   id: N            N: the line's 0-based index in the execution's stored logs
//   event: log
//   data: {"level":"log","message":"…","time":…}   the same entry the stored logs hold
//
//   event: end
//   data: {"executionId":"…","status":"success"}   then the stream closes
//
// A client resumes after the line it saw last with the Last-Event-ID header (what EventSource
// sends when it reconnects) or ?lastEventId=N (the header wins: a reconnecting EventSource keeps
// the URL it started with). A finished execution replays its stored lines, then `end`. While
// nothing happens a comment (`: ping`) goes out every 15 s, so proxies keep the connection.
//
// Where the lines come from: the execution's node keeps them (live-logs.ts); a follower on
// another node (a cluster on PostgreSQL) reads the lines that node appends to the store, polling
// every half second, and wakes at once if the execution starts here. Each stream ends with the
// finished record: what it sends is exactly the stored logs, in order, each line once.
//
// Bounds: lines are bounded by the execution's log limits; a stream holds an index, and is a
// pull stream (Readable.from an async generator), so a slow client makes it wait and never makes
// the server buffer; a user has at most `maxStreamsPerUser` streams open at once (429 beyond).
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LogEntry } from '../../core/index.ts';
import type { ExecutionRecord } from '../../store/index.ts';
import { userIdOf } from '../auth/plugin.ts';
import type { ServiceContext } from '../context.ts';
import { ApiError, notFound } from '../errors.ts';
import { errors, Id, IntegerParam } from '../schemas.ts';

/** Mutable for tests only: how often a silent stream says `: ping`, and how often another node's lines are read. */
export const logStreamTimings = { heartbeatMs: 15_000, pollMs: 500 };

export const maxStreamsPerUser = 20;
/** Lines read from the store, and sent in one chunk, at a time. */
const batchLines = 100;

const Params = Type.Object({ executionId: Id });
const Query = Type.Object(
  { lastEventId: Type.Optional(IntegerParam({ minimum: 0, maximum: 999_999_999, description: 'resume after this line index (the Last-Event-ID header wins when both are given)' })) },
  { additionalProperties: false },
);
const Headers = Type.Object({
  'last-event-id': Type.Optional(Type.String({ maxLength: 40, description: 'resume after this line index: the id of the last event received' })),
});

export async function logStreamRoutes(app: FastifyInstance, { store, runner }: ServiceContext): Promise<void> {
  const open = new Map<string, number>();
  const streams = new Set<{ abort: AbortController; socket: { destroy(): void } | null }>();
  // A stream never holds a shutdown up: once the node drained its executions, followers are
  // cut, connection and all (a connection left idle after the server began closing would hold
  // the close until its keep-alive timeout), and reconnect (to another node) with their last id.
  app.addHook('preClose', async () => {
    for (const stream of streams) {
      stream.abort.abort();
      stream.socket?.destroy();
    }
  });

  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query>; Headers: Static<typeof Headers> }>(
    '/executions/:executionId/logs',
    {
      schema: {
        tags: ['executions'],
        operationId: 'streamExecutionLogs',
        summary: "An execution's console lines as Server-Sent Events: live while it runs, then `end`",
        description:
          'Each line is an event `log` whose id is its 0-based index in the execution\'s logs and whose data is the log entry as stored; the stream ends with an event `end` (data: executionId and status) and closes. ' +
          'A finished execution replays its lines, then `end`. Resume after a lost connection with Last-Event-ID (or ?lastEventId=N). ' +
          `A comment \`: ping\` every ${logStreamTimings.heartbeatMs / 1000} s while nothing happens; at most ${maxStreamsPerUser} streams per user at once.`,
        params: Params,
        querystring: Query,
        headers: Headers,
        response: {
          200: {
            description: 'text/event-stream: events `log` (id: line index; data: {level, message, time}), then `end` (data: {executionId, status})',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const userId = userIdOf(request);
      const { executionId } = request.params;
      const header = request.headers['last-event-id'];
      let after = request.query.lastEventId;
      if (header !== undefined && header.trim() !== '') {
        if (!/^\s*[0-9]{1,9}\s*$/.test(header)) throw new ApiError(400, 'VALIDATION_ERROR', 'headers/last-event-id must be the index of a log line (a whole number)');
        after = Number(header);
      }
      const execution = await store.getExecution(userId, executionId);
      if (!execution) throw notFound('execution');
      if ((open.get(userId) ?? 0) >= maxStreamsPerUser) {
        throw new ApiError(429, 'RATE_LIMITED', `at most ${maxStreamsPerUser} log streams open at once per user: close one first`, { headers: { 'retry-after': '5' } });
      }
      open.set(userId, (open.get(userId) ?? 0) + 1);
      const abort = new AbortController();
      const stream = { abort, socket: request.raw.socket ?? null };
      streams.add(stream);
      reply.raw.once('close', () => {
        abort.abort();
        streams.delete(stream);
        const left = (open.get(userId) ?? 1) - 1;
        if (left > 0) open.set(userId, left);
        else open.delete(userId);
      });
      const source = follow({ store, liveLogs: runner.liveLogs }, userId, execution, after === undefined ? 0 : after + 1, abort.signal);
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      return reply.send(Readable.from(source, { objectMode: false, highWaterMark: 16 * 1024 }));
    },
  );
}

interface Sources {
  store: ServiceContext['store'];
  liveLogs: ServiceContext['runner']['liveLogs'];
}

/** The stream's text, pulled chunk by chunk by the response. */
async function* follow({ store, liveLogs }: Sources, userId: string, first: ExecutionRecord, from: number, signal: AbortSignal): AsyncGenerator<string> {
  let next = from;
  let lastSent = Date.now();
  let record: ExecutionRecord | undefined = first;
  const heartbeatDue = () => lastSent + logStreamTimings.heartbeatMs - Date.now();
  // The first bytes at once: the client knows the stream is open.
  yield ': stream\n\n';
  while (!signal.aborted) {
    const live = liveLogs.get(first.id);
    if (live && !live.ended) {
      record = undefined;
      if (next < live.lines.length) {
        const end = Math.min(live.lines.length, next + batchLines);
        yield lineEvents(live.lines, next, end);
        next = end;
        lastSent = Date.now();
        continue;
      }
      await live.changed(Math.max(0, heartbeatDue()), signal);
    } else {
      record ??= await store.getExecution(userId, first.id);
      if (!record) return; // deleted meanwhile: nothing more to tell
      if (record.status === 'success' || record.status === 'error') {
        while (next < record.logs.length) {
          const end = Math.min(record.logs.length, next + batchLines);
          yield lineEvents(record.logs, next, end);
          next = end;
        }
        yield `event: end\ndata: ${JSON.stringify({ executionId: record.id, status: record.status })}\n\n`;
        return;
      }
      record = undefined;
      // Running on another node (or waiting in the queue): the lines it stored so far.
      const lines = store.exclusive ? [] : await store.listLogLines(first.id, next, batchLines);
      if (lines.length > 0) {
        yield lineEvents(lines, 0, lines.length, next);
        next += lines.length;
        lastSent = Date.now();
        continue;
      }
      await liveLogs.anyOpened(Math.max(0, Math.min(logStreamTimings.pollMs, heartbeatDue())), signal);
    }
    if (!signal.aborted && heartbeatDue() <= 0) {
      yield ': ping\n\n';
      lastSent = Date.now();
    }
  }
}

/** Events for lines[start..end), numbered from `firstIndex` (default: their own index). */
function lineEvents(lines: readonly LogEntry[], start: number, end: number, firstIndex = start): string {
  let text = '';
  for (let i = start; i < end; i++) text += `id: ${firstIndex + (i - start)}\nevent: log\ndata: ${JSON.stringify(lines[i])}\n\n`;
  return text;
}
