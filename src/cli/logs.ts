// `teejs logs NAME [--follow]` and `teejs executions NAME`: a function's recent executions, as
// log lines or as a table.
//
// --follow polls the execution history (the service has no live log stream yet): a running
// execution's lines appear when it ends. A lost connection is retried, not fatal; an
// execution is printed once, however often it is seen.
import { setTimeout as sleep } from 'node:timers/promises';
import { unwrap, type Execution, type TeejsClient } from '../client/index.ts';
import { logLines, logRecords, table } from './service/format.ts';
import { asCommandError, commonOptions, connect, parseCommand, positionalArgs, printHelp, requireFunction, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const logsHelp = `Usage: teejs logs NAME [--follow] [--limit N] [--json]

Prints the console output of your function NAME's most recent executions, oldest first, one
line each: TIME EXECUTION LEVEL MESSAGE, and an 'end' line with how the execution ended.
Executions still running are left out (with --follow, they are printed when they end).

Options:
  --limit N      how many recent executions to show, 1 to 100 (default 10)
  -f, --follow   keep printing executions as they end, until interrupted (Ctrl-C). This polls
                 the execution history every second: the service has no live log stream yet,
                 so the lines of a running execution appear together when it ends. A lost
                 connection is retried every second, and said so on stderr
  --json         one JSON object per line: { executionId, time, level, message }, then
                 { executionId, time, end, error, durationMs }
  -h, --help     this text

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
  const { values, positionals } = parseCommand('logs', args, { ...commonOptions, follow: { type: 'boolean', short: 'f' }, limit: { type: 'string' } });
  if (values.help) return printHelp(logsHelp);
  const [name] = positionalArgs('logs', positionals, ['NAME']) as [string];
  const limit = pageLimit(values.limit, 10);
  const json = values.json === true;
  const { client, url } = connect();
  const fn = await withService(url, () => requireFunction(client, name));
  const print = (execution: Execution) => process.stdout.write(json ? logRecords(execution) : logLines(execution));

  const first = await withService(url, () => recent(client, fn.id, limit));
  const pending = new Set<string>();
  for (const execution of first.toReversed()) {
    if (execution.status === 'running') pending.add(execution.executionId);
    else print(execution);
  }
  if (!values.follow) return exitStatus.success;

  let seen = new Set(first.map((execution) => execution.executionId));
  let lost = false;
  for (;;) {
    await sleep(pollIntervalMs);
    try {
      const page = await recent(client, fn.id, 100);
      for (const execution of page.toReversed()) {
        if (seen.has(execution.executionId)) continue;
        if (execution.status === 'running') pending.add(execution.executionId);
        else print(execution);
      }
      for (const executionId of pending) {
        const execution = await unwrap(client.GET('/v1/executions/{executionId}', { params: { path: { executionId } } }));
        if (execution.status === 'running') continue;
        pending.delete(executionId);
        print(execution);
      }
      // Only the newest page can hold executions not seen yet: older ids need not be kept.
      seen = new Set([...page.map((execution) => execution.executionId), ...pending]);
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

