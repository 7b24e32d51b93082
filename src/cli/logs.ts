// `teejs logs NAME [--follow]` and `teejs executions NAME`: a function's recent executions, as
// log lines or as a table.
//
// --follow prints each line of a running execution as it happens: it follows the execution's
// live log stream (GET /v1/executions/{id}/logs, Server-Sent Events), and looks for new
// executions of the function every second. A lost connection is retried, not fatal: a stream
// resumes after the last line it printed (Last-Event-ID), so a line is printed once, in order.
import { setTimeout as sleep } from 'node:timers/promises';
import { followExecutionLogs, TeejsApiError, unwrap, waitForExecution, type Execution, type TeejsClient } from '../client/index.ts';
import { resolveCredentials } from './service/config.ts';
import { endLine, endRecord, logLine, logLines, logRecord, logRecords, table } from './service/format.ts';
import { asCommandError, commonOptions, connect, parseCommand, positionalArgs, printHelp, requireFunction, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const logsHelp = `Usage: teejs logs NAME [--follow] [--limit N] [--json]
       teejs logs --execution ID [--follow] [--json]

Prints the console output of your function NAME's most recent executions, oldest first, one
line each: TIME EXECUTION LEVEL MESSAGE, and an 'end' line with how the execution ended.
Executions still running are left out (with --follow, their lines are printed as they come).

Options:
  --limit N          how many recent executions to show, 1 to 100 (default 10)
  -f, --follow       keep printing, until interrupted (Ctrl-C): each line of a running
                     execution as it happens (the service's live log stream), and new
                     executions as they start (looked for every second). A lost connection
                     is retried every second, said so on stderr, and resumes after the last
                     line printed
  --execution ID     only the execution ID; with --follow, until it ends
  --json             one JSON object per line: { executionId, time, level, message }, then
                     { executionId, time, end, error, durationMs }
  -h, --help         this text

Exit status: 0 done (or interrupted while following), 1 the service refused, 2 usage error.
`;

export const executionsHelp = `Usage: teejs executions NAME [--limit N] [--status STATUS] [--json]

Lists your function NAME's executions, newest first: id, status, the version that ran, when,
how long, and the error code of a failed one.

Options:
  --limit N          how many, 1 to 100 (default 20)
  --status STATUS    only running, success or error
  --json             print the page as answered: { items: [Execution...], nextCursor }
  -h, --help         this text

Exit status: 0 listed, 1 the service refused, 2 usage error.
`;

const pollIntervalMs = 1000;

export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('logs', args, {
    ...commonOptions,
    follow: { type: 'boolean', short: 'f' },
    limit: { type: 'string' },
    execution: { type: 'string' },
  });
  if (values.help) return printHelp(logsHelp);
  const json = values.json === true;
  if (values.execution !== undefined) {
    if (positionals.length > 1) throw new UsageError(`logs: unexpected argument '${positionals[1]}' (try 'teejs logs --help')`);
    if (values.limit !== undefined) throw new UsageError("--limit is for a function's executions, not with --execution (try 'teejs logs --help')");
    return oneExecution(values.execution, values.follow === true, json);
  }
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "logs needs NAME, or --execution ID (try 'teejs logs --help')" : `logs: unexpected argument '${positionals[1]}' (try 'teejs logs --help')`);
  }
  const name = positionals[0]!;
  const limit = pageLimit(values.limit, 10);
  const { client, url } = connect();
  const fn = await withService(url, () => requireFunction(client, name));
  const print = (execution: Execution) => process.stdout.write(json ? logRecords(execution) : logLines(execution));

  const first = await withService(url, () => recent(client, fn.id, limit));
  const unfinished: string[] = [];
  for (const execution of first.toReversed()) {
    if (execution.status === 'running' || execution.status === 'queued') unfinished.push(execution.executionId);
    else print(execution);
  }
  if (!values.follow) return exitStatus.success;

  const followed = new Set<string>();
  const follow = (executionId: string) => {
    if (followed.has(executionId)) return;
    followed.add(executionId);
    void followLive(client, url, executionId, json).catch((error: unknown) => {
      const failure = asCommandError(error, url);
      process.stderr.write(`teejs: ${failure instanceof Error ? failure.message : String(failure)}\n`);
    });
  };
  for (const executionId of unfinished) follow(executionId);
  let seen = new Set(first.map((execution) => execution.executionId));
  let lost = false;
  for (;;) {
    await sleep(pollIntervalMs);
    try {
      const page = await recent(client, fn.id, 100);
      for (const execution of page.toReversed()) {
        if (seen.has(execution.executionId) || followed.has(execution.executionId)) continue;
        // New since the last look: its stream replays what it printed so far, live from there.
        follow(execution.executionId);
      }
      // Only the newest page can hold executions not seen yet: older ids need not be kept.
      seen = new Set(page.map((execution) => execution.executionId));
      for (const executionId of followed) if (!seen.has(executionId)) followed.delete(executionId);
      if (lost) process.stderr.write(`teejs: reconnected to ${url}\n`);
      lost = false;
    } catch (error) {
      const failure = asCommandError(error, url);
      if (!(failure instanceof CommandError) || !failure.message.startsWith('cannot reach')) throw failure;
      if (!lost) process.stderr.write(`teejs: ${failure.message}; retrying every ${pollIntervalMs / 1000} s\n`);
      lost = true;
    }
  }
}

/** `--execution ID`: its lines as stored, or (following) as they come until it ends. */
async function oneExecution(executionId: string, follow: boolean, json: boolean): Promise<number> {
  const { client, url } = connect();
  if (!follow) {
    const execution = await withService(url, () => unwrap(client.GET('/v1/executions/{executionId}', { params: { path: { executionId } } })));
    if (execution.status === 'running' || execution.status === 'queued') {
      process.stdout.write(json ? execution.logs.map((entry) => logRecord(executionId, entry)).join('') : execution.logs.map((entry) => logLine(executionId, entry)).join(''));
      process.stderr.write(`teejs: execution ${executionId} is still ${execution.status} (--follow prints its lines as they come)\n`);
    } else process.stdout.write(json ? logRecords(execution) : logLines(execution));
    return exitStatus.success;
  }
  await withService(url, () => followLive(client, url, executionId, json));
  return exitStatus.success;
}

/**
 * Prints an execution's lines from its live stream as they come, then how it ended. A lost
 * connection is retried every second with the last line's id; too many streams open at once
 * (429) falls back to printing the execution when it ends.
 */
async function followLive(client: TeejsClient, url: string, executionId: string, json: boolean): Promise<void> {
  const { apiKey } = resolveCredentials(process.env);
  let lost = false;
  try {
    for await (const item of followExecutionLogs({ baseUrl: url, apiKey, headers: { 'user-agent': 'teejs-cli' } }, executionId, {
      retryMs: pollIntervalMs,
      onRetry: (error) => {
        if (!lost) process.stderr.write(`teejs: lost the log stream of ${executionId.slice(0, 8)} (${describe(error, url)}); resuming every ${pollIntervalMs / 1000} s after the last line printed\n`);
        lost = true;
      },
    })) {
      if (lost) process.stderr.write(`teejs: resumed the log stream of ${executionId.slice(0, 8)}\n`);
      lost = false;
      if (item.type === 'log') process.stdout.write(json ? logRecord(executionId, item.entry as Execution['logs'][number]) : logLine(executionId, item.entry as Execution['logs'][number]));
      else {
        const execution = await unwrap(client.GET('/v1/executions/{executionId}', { params: { path: { executionId } } }));
        process.stdout.write(json ? endRecord(execution) : endLine(execution));
      }
    }
  } catch (error) {
    if (!(error instanceof TeejsApiError && error.status === 429)) throw error;
    const execution = await waitForExecution(client, executionId, { intervalMs: pollIntervalMs, timeoutMs: 24 * 3600_000 });
    process.stdout.write(json ? logRecords(execution) : logLines(execution));
  }
}

function describe(error: unknown, url: string): string {
  const failure = asCommandError(error, url);
  return failure instanceof Error ? failure.message : String(failure);
}

export async function executionsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('executions', args, { ...commonOptions, limit: { type: 'string' }, status: { type: 'string' } });
  if (values.help) return printHelp(executionsHelp);
  const [name] = positionalArgs('executions', positionals, ['NAME']) as [string];
  const limit = pageLimit(values.limit, 20);
  const status = values.status;
  if (status !== undefined && status !== 'running' && status !== 'success' && status !== 'error') throw new UsageError(`--status must be running, success or error, got '${status}'`);
  const { client, url } = connect();
  return withService(url, async () => {
    const fn = await requireFunction(client, name);
    const page = await unwrap(client.GET('/v1/functions/{id}/executions', { params: { path: { id: fn.id }, query: { limit, ...(status ? { status } : {}) } } }));
    if (values.json) writeJson(page);
    else if (page.items.length === 0) process.stdout.write(`no executions of ${name}${status ? ` with status ${status}` : ''}\n`);
    else {
      const rows = page.items.map((execution) => [
        execution.executionId,
        execution.status,
        String(execution.functionVersion),
        execution.createdAt,
        execution.durationMs === null ? '' : `${execution.durationMs.toFixed(1)} ms`,
        execution.error?.code ?? '',
      ]);
      process.stdout.write(table(['EXECUTION', 'STATUS', 'VERSION', 'CREATED', 'DURATION', 'ERROR'], rows));
    }
    return exitStatus.success;
  });
}

async function recent(client: TeejsClient, functionId: string, limit: number): Promise<Execution[]> {
  return (await unwrap(client.GET('/v1/functions/{id}/executions', { params: { path: { id: functionId }, query: { limit } } }))).items;
}

function pageLimit(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100) throw new UsageError(`--limit must be from 1 to 100, got '${text}'`);
  return Number(text);
}

