// The noisy-neighbour benchmark's reports: abuse.json (everything), abuse.md (tables and the
// targets), abuse.svg (the quiet tenant's latency, the process tree's memory and the abusive
// executions' overruns over time, phases shaded), and a summary on stdout.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import type { AbuseResults, LatencySummary } from './abuse-analysis.ts';

const MB = 2 ** 20;
const mb = (bytes: number | null) => (bytes === null ? 'n/a' : Math.round(bytes / MB).toLocaleString('en'));
const ms = (value: number | null) => (value === null ? 'n/a' : value.toLocaleString('en', { maximumFractionDigits: 1 }));
const holdsText = (holds: boolean | null) => (holds === null ? 'not measured' : holds ? 'holds' : '**fails**');

export async function writeAbuseReports(results: AbuseResults, directory: string): Promise<string[]> {
  const sharing = results.boundRule.sharing;
  const stem = `${results.mode === 'full' ? 'abuse' : 'abuse-quick'}${sharing === 'tenant' ? '' : `-${sharing}`}`;
  const files = { json: join(directory, `${stem}.json`), md: join(directory, `${stem}.md`), svg: join(directory, `${stem}.svg`) };
  writeFileSync(files.json, `${compactJson(results)}\n`);
  writeFileSync(files.md, markdown(results, stem));
  writeFileSync(files.svg, await renderAbuseChart(results));
  return Object.values(files);
}

/** Objects indented to two levels; anything deeper (an execution, a point, a sample) on one line. */
export function compactJson(value: unknown, depth = 0): string {
  if (depth >= 2 || value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const pad = ' '.repeat(depth + 1);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => `${pad}${compactJson(item, depth + 1)}`).join(',\n')}\n${' '.repeat(depth)}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${pad}${JSON.stringify(key)}: ${compactJson(item, depth + 1)}`).join(',\n')}\n${' '.repeat(depth)}}`;
}

function when(results: AbuseResults): string {
  const m = results.machine;
  return (
    `${m.date.slice(0, 16).replace('T', ' ')} UTC; ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}; Node ${m.node}, isolated-vm ${m.isolatedVm}; ` +
    `commit ${m.commit}${m.srcDirty ? ' plus uncommitted changes under src/' : ''}; load average (1, 5, 15 min) ${m.loadAverageAtStart.join(', ')} at the start, ${results.loadAverageAtEnd.join(', ')} at the end`
  );
}

function latencyRow(name: string, s: LatencySummary, baseline: LatencySummary): string {
  const ratio = s.p99Ms !== null && baseline.p99Ms ? ` (${(s.p99Ms / baseline.p99Ms).toFixed(2)}×)` : '';
  const slow = s.slowTimeShare === null ? 'n/a' : `${Math.round(s.slowTimeShare * 100)}%`;
  return `| ${name} | ${s.count} | ${ms(s.p50Ms)} | ${ms(s.p90Ms)} | ${ms(s.p99Ms)}${ratio} | ${ms(s.maxMs)} | ${ms(s.durationP50Ms)} | ${slow} | ${s.failures} |`;
}

export function markdownTables(results: AbuseResults): string[] {
  const out: string[] = [];
  out.push('| target | measured | verdict |', '| --- | --- | --- |');
  for (const t of results.targets) out.push(`| ${t.target} | ${t.measured.replaceAll('|', '\\|')} | ${holdsText(t.holds)} |`);
  out.push('');
  const q = results.quietByPhase;
  out.push(
    "The quiet tenant's hello world: one closed loop, latency as the client sees it (ms), by the phase a request was sent in; the ratio is p99 against the baseline's. " +
      'A closed loop sends few requests while it waits, so the percentiles understate waiting: "slow time" is the time spent in requests slower than 2× the baseline p99, as a share of the phase.',
    '',
    '| phase | requests | p50 | p90 | p99 | max | durationMs p50 (the service\'s own) | slow time | failures |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    latencyRow('baseline (alone)', q.baseline, q.baseline),
    latencyRow('abuse', q.abuse, q.baseline),
    latencyRow('drain (the last abusive executions finish)', q.drain, q.baseline),
    latencyRow('**abuse and drain (the target)**', q.storm, q.baseline),
    latencyRow('settle (alone again)', q.settle, q.baseline),
    '',
  );
  out.push(
    'How the abusive executions ended (during the storm, and each memory bomb once alone). Overrun = durationMs - timeoutMs, as the service reports them; ' +
      'for `MEMORY_LIMIT`, the time from the start; wall = as the client saw it, queueing included:',
    '',
    '| kind | tenant | limits | executions | ended with | as expected | TIMEOUT overrun p50 / max ms | MEMORY_LIMIT after p50 / max ms | worst overrun ms | wall p50 / max s | memoryUsedBytes max MB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const k of results.kindSummaries) {
    const codes = Object.entries(k.codes).map(([code, n]) => `${n} ${code}`).join(', ') || 'none';
    const wall = `${ms(k.wallP50Ms === null ? null : k.wallP50Ms / 1000)} / ${ms(k.wallMaxMs === null ? null : k.wallMaxMs / 1000)}`;
    out.push(
      `| ${k.kind} | ${k.tenant} | ${k.timeoutMs / 1000} s, ${k.memoryMb} MB | ${k.executions}${k.refused ? ` (+${k.refused} refused 429)` : ''} | ${codes} | ${k.asExpected} ${k.expected} | ` +
        `${ms(k.timeoutOverrunP50Ms)} / ${ms(k.timeoutOverrunMaxMs)} | ${ms(k.memoryLimitP50Ms)} / ${ms(k.memoryLimitMaxMs)} | ${ms(k.worstOverrunMs)} | ${wall} | ${mb(k.maxMemoryUsedBytes)} |`,
    );
  }
  out.push('');
  if (results.solo.length) {
    out.push(
      'Each memory bomb alone (nothing else running), from its start as the service recorded it: when the executor that grew most while it ran stood the bomb\'s limit above its RSS at the start ' +
        "(\"crossed\"), and when the bomb ended; the same for the whole process tree (which also counts an executor started meanwhile):",
      '',
      '| bomb | ended with | waited ms | durationMs | executor grew MB | crossed after ms | ended after crossing ms | tree before MB | tree peak above MB | ended after the tree crossed ms |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const s of results.solo) {
      out.push(
        `| ${s.kind} | ${s.code} | ${ms(s.waitedMs)} | ${ms(s.durationMs)} | ${mb(s.executorGrowthBytes)} | ${s.crossedAfterMs === null ? 'never' : ms(s.crossedAfterMs)} | ` +
          `${s.endedAfterCrossingMs === null ? 'n/a' : ms(s.endedAfterCrossingMs)} | ${mb(s.preTreeBytes)} | ${mb(s.peakTreeDeltaBytes)} | ${s.treeEndedAfterCrossingMs === null ? 'never crossed' : ms(s.treeEndedAfterCrossingMs)} |`,
      );
    }
    out.push('');
  }
  const t = results.tree;
  out.push(
    `Resident memory (MB) of the whole process tree (the service and all its descendants): idle ${mb(t.idleBytes)}, peak during the storm ${mb(t.stormPeakBytes)}` +
      `${t.stormPeakAtS === null ? '' : ` (at ${t.stormPeakAtS} s)`}, settled after it ${mb(t.settledBytes)}, peak with the bombs alone ${mb(t.soloPeakBytes)}.`,
    '',
    `Each executor. Its bound: its idle size (for an executor started later, the typical idle size, ${mb(results.typicalIdleBytes)} MB) + 64 MB + the limits of the executions it may be running. ` +
      'Which execution runs in which executor is not visible from outside, so that is ' +
      (results.boundRule.sharing === 'tenant'
        ? `the largest sum of one user's executions in flight at that moment, at most ${results.boundRule.slots} of them (the user's share of the slots): executors are leased to one user at a time (\`--executor-sharing tenant\`), a claim this tests too. `
        : `the sum over every execution in flight at that moment, at most ${results.boundRule.slots} of them (the server's concurrency). `) +
      `An execution counts from its request until ${results.boundRule.tailMs} ms after its answer (its executor may give memory back, or be replaced, just after). ` +
      `Executors started during the run: ${results.executorStartMs.count}, each taking ${ms(results.executorStartMs.p50)} ms (median, at most ${ms(results.executorStartMs.max)}) from its first sample to 90% of the typical idle size.`,
    '',
  );
  return out;
}

/** One row per executor process seen. */
export function executorTable(results: AbuseResults): string[] {
  const out: string[] = [];
  out.push(
    '| executor pid | seen from–to s | idle MB | peak MB (at s) | worst distance to its bound MB (at s) | after the storm MB |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const e of results.executors) {
    const distance = e.worstExcessBytes > 0 ? `**${mb(e.worstExcessBytes)} above** ${mb(e.boundAtWorstBytes)}` : `${mb(-e.worstExcessBytes)} below ${mb(e.boundAtWorstBytes)}`;
    const settled = e.settledBytes === null ? 'gone' : `${mb(e.settledBytes)}${e.idleBytes === null ? ' (a replacement)' : ` (${e.settledBytes - e.idleBytes >= 0 ? '+' : ''}${mb(e.settledBytes - e.idleBytes)})`}`;
    out.push(`| ${e.pid} | ${e.firstSeenS}–${e.lastSeenS} | ${mb(e.idleBytes)} | ${mb(e.peakBytes)} (${e.peakAtS}) | ${distance} (${e.worstExcessAtS}, ${e.worstExcessPhase}) | ${settled} |`);
  }
  out.push('');
  return out;
}

function markdown(results: AbuseResults, stem: string): string {
  const out: string[] = [];
  const p = results.plan;
  out.push(`# teejs noisy-neighbour benchmark: ${results.mode} run`, '', `Measured ${when(results)}. The run took ${Math.round(results.durationMs / 1000)} s.`, '');
  if (results.srcChanges.length) out.push(`The service ran the working tree, with uncommitted changes under src/: ${results.srcChanges.map((f) => `\`${f}\``).join(', ')}.`, '');
  if (results.mode === 'quick') out.push('**Quick mode**: short phases and shorter limits; numbers for checking that the benchmark works, not for conclusions.', '');
  const c = results.config as { executors?: number; concurrency?: number; quotas?: { concurrentExecutionsPerUser?: number } };
  out.push(
    `The service: \`teejs serve\` in a child process with its defaults (up to ${c.executors} executor processes, ${c.concurrency} executions at once, ` +
      `${c.quotas?.concurrentExecutionsPerUser} running or queued per user), only the per-key rate limit raised (the quiet tenant's closed loop would exceed 600 a minute). ` +
      `Phases: idle ${p.idleMs / 1000} s (nothing runs), baseline ${p.baselineMs / 1000} s (the quiet tenant alone), abuse ${p.abuseMs / 1000} s (${results.tenants.map((t) => `${t.name}: ${t.loops} loops of ${t.kinds.join(', ')}`).join('; ')}), ` +
      `drain (the abusive loops stop issuing; their last executions finish), settle ${p.settleMs / 1000} s (the quiet tenant alone), rest ${p.restMs / 1000} s, then each memory bomb once alone. ` +
      `Memory: the RSS of every process of the service's tree read from /proc every ${p.sampleIntervalMs} ms (${results.samplerInfo ? `${results.samplerInfo.samples} samples, mean interval ${results.samplerInfo.meanIntervalMs} ms, ${results.samplerInfo.lateSamples} late by more than 2 intervals` : 'no samples'}).`,
    '',
  );
  if (results.samplerInfo?.safetyKill) out.push(`**The benchmark killed the service to protect the machine**: ${results.samplerInfo.safetyKill.reason}.`, '');
  if (results.serverDied) out.push(`**The server exited before the end** (${results.serverDied.signal ?? `code ${results.serverDied.code}`}). Its last output:`, '', '```', ...results.serverOutputTail.slice(-15), '```', '');
  out.push(...markdownTables(results), ...executorTable(results));
  const restarts = Object.entries(results.metricsAfter).filter(([name]) => name.startsWith('teejs_executor_restarts_total'));
  if (restarts.length) out.push(`Executor restarts reported by /metrics at the end: ${restarts.map(([name, value]) => `${name} ${value}`).join(', ')}.`, '');
  if (results.innocentFailures.examples.length) out.push("The quiet tenant's failures, e.g.:", '', ...results.innocentFailures.examples.map((e) => `- ${e.replaceAll('\n', ' ')}`), '');
  out.push(`Chart: [${stem}.svg](${stem}.svg). Raw numbers: [${stem}.json](${stem}.json).`, '');
  return out.join('\n');
}

export function printSummary(results: AbuseResults): void {
  const m = results.machine;
  const lines = [
    '',
    `teejs noisy-neighbour benchmark (${results.mode}), ${m.date.slice(0, 16).replace('T', ' ')} UTC`,
    `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}; commit ${m.commit}${m.srcDirty ? ' (+ uncommitted src/)' : ''}; load ${m.loadAverageAtStart.join(' ')} → ${results.loadAverageAtEnd.join(' ')}`,
    '',
    ...results.targets.map((t) => `  ${(t.holds === null ? 'n/a' : t.holds ? 'holds' : 'FAILS').padEnd(6)} ${t.target}\n         ${t.measured}`),
    '',
    `  quiet p50 / p99 ms: baseline ${ms(results.quietByPhase.baseline.p50Ms)} / ${ms(results.quietByPhase.baseline.p99Ms)}, ` +
      `abuse ${ms(results.quietByPhase.abuse.p50Ms)} / ${ms(results.quietByPhase.abuse.p99Ms)}, drain ${ms(results.quietByPhase.drain.p50Ms)} / ${ms(results.quietByPhase.drain.p99Ms)}, settle ${ms(results.quietByPhase.settle.p50Ms)} / ${ms(results.quietByPhase.settle.p99Ms)}`,
    `  process tree MB: idle ${mb(results.tree.idleBytes)}, storm peak ${mb(results.tree.stormPeakBytes)}, settled ${mb(results.tree.settledBytes)}, bombs alone peak ${mb(results.tree.soloPeakBytes)}`,
    ...results.kindSummaries.map(
      (k) => `  ${k.kind.padEnd(16)} ${String(k.executions).padStart(4)} runs: ${Object.entries(k.codes).map(([code, n]) => `${n} ${code}`).join(', ') || 'none'}; worst overrun ${ms(k.worstOverrunMs)} ms`,
    ),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const panelWidth = 900;
const panelHeight = 190;
const gap = 70;
const top = 24;

export async function renderAbuseChart(results: AbuseResults): Promise<string> {
  const s = results.series;
  const maxT = Math.max(1, ...s.quiet.map((p) => p.t), ...s.tree.map((p) => p.t), ...s.windows.map((w) => w.end));
  const shade: Record<string, string> = { baseline: '#e5f5e0', abuse: '#fcbba1', drain: '#fee0d2', settle: '#deebf7', solo: '#fdd0a2' };
  // Labels alternate between two heights, so that short phases' names do not overlap.
  const windows = s.windows.map((w, i) => ({ ...w, fill: shade[w.name] ?? '#eeeeee', labelY: i % 2 === 0 ? 11 : 23 }));
  const latencies = s.quiet.map((p) => p.ms);
  const decades: number[] = [];
  for (let v = 10 ** Math.floor(Math.log10(Math.min(...latencies, 1))); v <= Math.max(...latencies, 10) * 10; v *= 10) decades.push(v);
  const background = (): vega.Mark[] => [
    {
      type: 'rect',
      from: { data: 'windows' },
      encode: { enter: { x: { scale: 'x', field: 'start' }, x2: { scale: 'x', field: 'end' }, y: { value: 0 }, y2: { signal: 'height' }, fill: { field: 'fill' }, opacity: { value: 0.7 } } },
    },
    {
      type: 'text',
      from: { data: 'windows' },
      encode: { enter: { x: { scale: 'x', field: 'start', offset: 3 }, y: { field: 'labelY' }, text: { field: 'name' }, fontSize: { value: 10 }, fill: { value: '#555' } } },
    },
  ];
  const panel = (index: number, title: string, scales: vega.Scale[], axisTitle: string, marks: vega.Mark[], yAxis: Partial<vega.Axis> = {}): vega.GroupMark => ({
    type: 'group',
    encode: { enter: { x: { value: 0 }, y: { value: top + index * (panelHeight + gap) }, width: { value: panelWidth }, height: { value: panelHeight } } },
    signals: [
      { name: 'width', value: panelWidth },
      { name: 'height', value: panelHeight },
    ],
    title: { text: title, anchor: 'start', fontSize: 12, offset: 6 },
    scales,
    axes: [
      { orient: 'bottom', scale: 'x', title: 'seconds since the start of the warm-up', tickCount: 12 },
      { orient: 'left', scale: 'y', grid: true, title: axisTitle, tickCount: 6, format: ',~g', ...yAxis } as vega.Axis,
    ],
    marks: [...background(), ...marks],
  });
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: panelWidth,
    height: top + 3 * panelHeight + 2 * gap,
    padding: { left: 20, right: 230, top: 20, bottom: 20 },
    background: 'white',
    title: {
      text: `teejs noisy neighbours (${results.mode}), ${results.machine.date.slice(0, 16).replace('T', ' ')} UTC`,
      subtitle: `${results.machine.cores} cores, ${results.machine.cpuModel}, Node ${results.machine.node}, load ${results.machine.loadAverageAtStart[0]} → ${results.loadAverageAtEnd[0]}; commit ${results.machine.commit}`,
      anchor: 'start',
    },
    data: [
      { name: 'windows', values: windows },
      { name: 'quiet', values: s.quiet.map((p) => ({ ...p, outcome: p.ok ? 'success' : 'failed' })) },
      { name: 'tree', values: s.tree },
      { name: 'abusive', values: s.abusive },
    ],
    scales: [
      { name: 'x', type: 'linear', domain: [0, Math.ceil(maxT)], range: [0, panelWidth], zero: true },
      { name: 'outcome', type: 'ordinal', domain: ['success', 'failed'], range: ['#08519c', '#d62728'] },
      { name: 'process', type: 'ordinal', domain: { data: 'tree', field: 'process', sort: true }, range: { scheme: 'tableau10' } },
      { name: 'code', type: 'ordinal', domain: { data: 'abusive', field: 'code', sort: true }, range: { scheme: 'category10' } },
    ],
    legends: [
      { fill: 'outcome', title: 'quiet tenant', orient: 'none', legendX: panelWidth + 20, legendY: top, symbolType: 'circle' },
      { stroke: 'process', title: 'resident memory', orient: 'none', legendX: panelWidth + 20, legendY: top + panelHeight + gap, symbolType: 'stroke' },
      { fill: 'code', title: 'abusive, ended with', orient: 'none', legendX: panelWidth + 20, legendY: top + 2 * (panelHeight + gap), symbolType: 'circle' },
    ],
    marks: [
      panel(
        0,
        "Quiet tenant: hello world latency (ms, log scale), per request at the time it was sent",
        [{ name: 'y', type: 'log', domain: [decades[0]!, decades.at(-1)!], range: 'height' }],
        'latency ms',
        [
          {
            type: 'symbol',
            from: { data: 'quiet' },
            encode: { enter: { x: { scale: 'x', field: 't' }, y: { scale: 'y', field: 'ms' }, size: { value: 9 }, fill: { scale: 'outcome', field: 'outcome' }, opacity: { value: 0.6 } } },
          },
        ],
        { values: decades },
      ),
      panel(
        1,
        'Resident memory (MB): the whole process tree, the server, and the largest executor at each moment (max per 200 ms)',
        [{ name: 'y', type: 'linear', domain: { data: 'tree', field: 'mb' }, range: 'height', nice: true, zero: true }],
        'RSS MB',
        [
          {
            type: 'group',
            from: { facet: { name: 'byProcess', data: 'tree', groupby: 'process' } },
            marks: [
              {
                type: 'line',
                from: { data: 'byProcess' },
                encode: {
                  enter: {
                    x: { scale: 'x', field: 't' },
                    y: { scale: 'y', field: 'mb' },
                    stroke: { scale: 'process', field: 'process' },
                    strokeWidth: { signal: "datum.process === 'whole tree' ? 2.5 : 1.2" },
                  },
                },
              },
            ],
          },
        ],
        { format: ',d' },
      ),
      panel(
        2,
        'Abusive executions: time past their time limit (durationMs - timeoutMs, seconds) at the moment each ended',
        [{ name: 'y', type: 'linear', domain: { data: 'abusive', field: 'overrunS' }, range: 'height', nice: true, zero: true }],
        'seconds past the limit',
        [
          {
            type: 'rule',
            encode: { enter: { x: { value: 0 }, x2: { signal: 'width' }, y: { scale: 'y', value: 0.25 }, stroke: { value: '#d62728' }, strokeDash: { value: [4, 3] } } },
          },
          {
            type: 'symbol',
            from: { data: 'abusive' },
            encode: {
              enter: {
                x: { scale: 'x', field: 't' },
                y: { scale: 'y', field: 'overrunS' },
                size: { value: 16 },
                fill: { scale: 'code', field: 'code' },
                opacity: { value: 0.7 },
                tooltip: { signal: "datum.kind + ': ' + datum.code + ', ' + datum.overrunS + ' s'" },
              },
            },
          },
        ],
      ),
    ],
  };
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  return view.toSVG();
}
