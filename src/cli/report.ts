// The readable report of `teejs run` without --json: logs, then the result or the error.
import type { ExecutionResult } from '../core/index.ts';

export function formatReport(result: ExecutionResult, color: boolean): string {
  const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const entry of result.logs) {
    const level = entry.level === 'error' ? paint(31, entry.level) : entry.level === 'warn' ? paint(33, entry.level) : paint(2, entry.level);
    lines.push(`${level.padEnd(color ? 14 : 5)} ${entry.message}`);
  }
  if (result.logs.length > 0) lines.push('');
  if (result.status === 'success') {
    lines.push(paint(32, 'result'), JSON.stringify(result.result, null, 2));
  } else if (result.error) {
    lines.push(`${paint(31, `error ${result.error.code}`)}: ${result.error.message}`);
    const frames = result.error.stack?.split('\n').slice(1) ?? [];
    if (frames.length > 0) lines.push(...frames);
  }
  for (const call of result.network) {
    lines.push(paint(2, `fetch ${call.method} ${call.url} -> ${call.blocked ? `blocked: ${call.blocked}` : call.status}`));
  }
  lines.push(
    paint(
      2,
      `${result.status} in ${result.durationMs.toFixed(1)} ms (cpu ${result.cpuTimeMs.toFixed(1)} ms, heap ${(result.memoryUsedBytes / 1048576).toFixed(1)} MB), execution ${result.executionId}`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
