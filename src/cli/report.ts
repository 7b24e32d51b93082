// The readable report of `teejs run` without --json: logs, then the result or the error.
import type { ExecutionResult } from '../core/index.ts';

// Guest text goes to a terminal: control characters (escape sequences, OSC 52 clipboard writes,
// carriage returns that overwrite lines) are shown escaped, never interpreted.
const controlCharacters = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function printable(text: string): string {
  return text.replace(controlCharacters, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function formatReport(result: ExecutionResult, color: boolean): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const entry of result.logs) {
    const level = entry.level === 'error' ? paint(31, entry.level) : entry.level === 'warn' ? paint(33, entry.level) : paint(2, entry.level);
    lines.push(`${level.padEnd(color ? 14 : 5)} ${printable(entry.message)}`);
  }
  if (result.logs.length > 0) lines.push('');
  if (result.status === 'success') {
    lines.push(paint(32, 'result'), printable(JSON.stringify(result.result, null, 2)));
  } else if (result.error) {
    lines.push(`${paint(31, `error ${result.error.code}`)}: ${printable(result.error.message)}`);
    const frames = result.error.stack?.split('\n').slice(1) ?? [];
    if (frames.length > 0) lines.push(...frames.map(printable));
  }
  for (const call of result.network) {
    lines.push(paint(2, printable(`fetch ${call.method} ${call.url} -> ${call.blocked ? `blocked: ${call.blocked}` : call.status}`)));
  }
  lines.push(
    paint(
      2,
      `${result.status} in ${result.durationMs.toFixed(1)} ms (cpu ${result.cpuTimeMs.toFixed(1)} ms, heap ${(result.memoryUsedBytes / 1048576).toFixed(1)} MB), execution ${result.executionId}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
