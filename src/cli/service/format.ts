// Readable output of the service commands. Everything a function produced (logs, results,
// error messages) goes through printable(): a guest cannot drive the user's terminal.
import type { Execution } from '../../client/index.ts';
import { printable } from '../report.ts';

/** Columns padded to their widest cell; no line ends in spaces. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((row) => row.map(printable));
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]?.length ?? 0)));
  return `${all.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n')}\n`;
}

/** The report of one execution, as `teejs run` prints one: logs, then the result or the error. */
export function formatExecution(execution: Execution): string {
  const lines: string[] = [];
  for (const entry of execution.logs) lines.push(`${entry.level.padEnd(5)} ${printable(entry.message)}`);
  if (execution.logs.length > 0) lines.push('');
  if (execution.status === 'success') lines.push('result', printable(JSON.stringify(execution.result, null, 2) ?? 'undefined'));
  else if (execution.error) {
    lines.push(`error ${execution.error.code}: ${printable(execution.error.message)}`);
    lines.push(...(execution.error.stack?.split('\n').slice(1) ?? []).map(printable));
  }
  for (const call of execution.network) lines.push(printable(`fetch ${call.method} ${call.url} -> ${call.blocked ? `blocked: ${call.blocked}` : call.status}`));
  lines.push(`${execution.status}${durationText(execution)}, execution ${execution.executionId} (version ${execution.functionVersion})`);
  return `${lines.join('\n')}\n`;
}

function durationText(execution: Execution): string {
  if (execution.durationMs === null) return '';
  const cpu = execution.cpuTimeMs === null ? '' : ` (cpu ${execution.cpuTimeMs.toFixed(1)} ms)`;
  return ` in ${execution.durationMs.toFixed(1)} ms${cpu}`;
}

/** An execution's log lines, then how it ended: `TIME ID LEVEL message`. */
export function logLines(execution: Execution): string {
  return execution.logs.map((entry) => logLine(execution.executionId, entry)).join('') + endLine(execution);
}

type Entry = Execution['logs'][number];

/** One console line of an execution. */
export function logLine(executionId: string, entry: Entry): string {
  return `${new Date(entry.time).toISOString()} ${executionId.slice(0, 8)} ${entry.level.padEnd(5)} ${printable(entry.message)}\n`;
}

/** How an execution ended. */
export function endLine(execution: Execution): string {
  const end = execution.finishedAt ?? execution.createdAt;
  const outcome = execution.status === 'error' && execution.error ? `error ${execution.error.code}: ${execution.error.message}` : execution.status;
  return `${end} ${execution.executionId.slice(0, 8)} end   ${printable(outcome)}${durationText(execution)}\n`;
}

/** The same, one JSON object per line (--json). */
export function logRecords(execution: Execution): string {
  return execution.logs.map((entry) => logRecord(execution.executionId, entry)).join('') + endRecord(execution);
}

export function logRecord(executionId: string, entry: Entry): string {
  return `${JSON.stringify({ executionId, time: new Date(entry.time).toISOString(), level: entry.level, message: entry.message })}\n`;
}

export function endRecord(execution: Execution): string {
  return `${JSON.stringify({ executionId: execution.executionId, time: execution.finishedAt ?? execution.createdAt, end: execution.status, error: execution.error, durationMs: execution.durationMs })}\n`;
}
