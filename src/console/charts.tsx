// Two small SVG charts drawn from a page of history (no chart library): executions and errors
// over time, and duration percentiles.
import type { Execution } from '../client/index.ts';
import { formatMs } from './ui.tsx';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function RunsChart({ executions }: { executions: Execution[] }) {
  const times = executions.map((e) => Date.parse(e.createdAt));
  if (times.length === 0) return null;
  const start = Math.min(...times);
  const end = Math.max(...times, start + 1);
  const bucketCount = 12;
  const width = (end - start) / bucketCount;
  const buckets = Array.from({ length: bucketCount }, () => ({ runs: 0, errors: 0 }));
  for (const execution of executions) {
    const index = Math.min(bucketCount - 1, Math.floor((Date.parse(execution.createdAt) - start) / width));
    buckets[index]!.runs += 1;
    if (execution.status === 'error') buckets[index]!.errors += 1;
  }
  const max = Math.max(...buckets.map((b) => b.runs), 1);
  const errors = executions.filter((e) => e.status === 'error').length;
  const barWidth = 100 / bucketCount;
  return (
    <figure class="chart">
      <figcaption>
        Executions over time: {executions.length} runs, {errors} errors ({new Date(start).toLocaleString()} to {new Date(end).toLocaleString()})
      </figcaption>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label={`Bar chart: ${executions.length} executions, ${errors} errors, in ${bucketCount} intervals`}>
        {buckets.map((bucket, index) => {
          const height = (bucket.runs / max) * 38;
          const errorHeight = (bucket.errors / max) * 38;
          return (
            <g key={index}>
              <rect class="bar-runs" x={index * barWidth + 0.5} y={40 - height} width={barWidth - 1} height={height} />
              <rect class="bar-errors" x={index * barWidth + 0.5} y={40 - errorHeight} width={barWidth - 1} height={errorHeight} />
            </g>
          );
        })}
      </svg>
      <p class="legend small">
        <span class="key key-runs" /> runs <span class="key key-errors" /> errors
      </p>
    </figure>
  );
}

export function DurationChart({ executions }: { executions: Execution[] }) {
  const durations = executions
    .map((e) => e.durationMs)
    .filter((d): d is number => typeof d === 'number')
    .sort((a, b) => a - b);
  if (durations.length === 0) return null;
  const rows = [50, 90, 99].map((p) => ({ label: `p${p}`, value: percentile(durations, p) }));
  const max = Math.max(...rows.map((r) => r.value), 0.001);
  return (
    <figure class="chart">
      <figcaption>Duration percentiles of the last {durations.length} finished runs</figcaption>
      <div class="hbars">
        {rows.map((row) => (
          <div class="hbar" key={row.label}>
            <span class="hbar-label">{row.label}</span>
            <svg viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
              <rect class="bar-runs" x="0" y="0" width={Math.max((row.value / max) * 100, 0.5)} height="6" />
            </svg>
            <span class="hbar-value">{formatMs(row.value)}</span>
          </div>
        ))}
      </div>
    </figure>
  );
}
