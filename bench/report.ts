// Writes one run's results: <mode>.json (everything), <mode>.md (tables a person reads, ratios
// next to the raw numbers, the issue's targets) and <mode>.svg (the chart).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './chart.ts';
import { mb, soakGrowth } from './memory.ts';
import type { BenchResults, Cell } from './model.ts';
import { checkIssue14, checkTargets, floorOf, type TargetCheck } from './targets.ts';

export type { BenchResults, Cell, CpuComparison, SystemEntry } from './model.ts';

export async function writeReports(results: BenchResults, directory: string): Promise<string[]> {
  const files = {
    json: join(directory, `${results.mode}.json`),
    md: join(directory, `${results.mode}.md`),
    svg: join(directory, `${results.mode}.svg`),
  };
  writeFileSync(files.json, `${JSON.stringify({ ...results, targets: targetSets(results), issue14: checkIssue14(results) }, null, 2)}\n`);
  writeFileSync(files.md, markdown(results));
  writeFileSync(files.svg, await renderChart(results));
  return Object.values(files);
}

function targetSets(results: BenchResults): Record<string, TargetCheck[]> {
  return { 'teejs-pool': checkTargets(results, 'teejs-pool'), 'teejs-core-warm': checkTargets(results, 'teejs-core-warm') };
}

const n = (value: number, digits = 2) => value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function markdown(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [];
  out.push(`# teejs benchmark: ${results.mode} run, ${m.date.slice(0, 16).replace('T', ' ')} UTC`, '');
  out.push(
    `Machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}. Node ${m.node}, isolated-vm ${m.isolatedVm}, ` +
      `quickjs-emscripten ${m.quickjs}. Commit ${m.commit}${m.srcDirty ? ' plus uncommitted changes under src/' : ''}. ` +
      `Load average (1, 5, 15 min) ${m.loadAverageAtStart.join(', ')} at the start, ${results.loadAverageAtEnd.join(', ')} at the end ` +
      `(a machine shared with other work gives noisy absolute numbers; compare the ratios, measured side by side). ` +
      `The run took ${n(results.durationMs / 1000, 0)} s.`,
    '',
  );
  if (results.plan.quickSkips) out.push(`**Quick mode**: counts scaled down; ${results.plan.quickSkips}; the soak is ${results.plan.soak.total.toLocaleString('en')} executions, not 100,000.`, '');

  out.push('## Systems', '', '| system | status | notes |', '| --- | --- | --- |');
  for (const s of results.systems) {
    const notes = [s.note, s.reason, s.config ? `config ${JSON.stringify(s.config)}` : undefined, s.stats ? `counters at the end ${JSON.stringify(s.stats)}` : undefined].filter(Boolean).join('; ');
    out.push(`| ${s.label} (\`${s.id}\`) | ${s.status === 'ok' ? 'ran' : '**MISSING**'} | ${notes} |`);
  }
  out.push('');

  out.push('## Issue 14 targets, for the executor pool', '', '| target | measured | holds? | by how much |', '| --- | --- | --- | --- |');
  for (const check of checkIssue14(results)) {
    const holds = check.holds === null ? 'not measured' : check.holds ? 'yes' : '**no**';
    out.push(`| ${check.target} | ${check.measured} | ${holds} | ${check.byHowMuch} |`);
  }
  out.push('');
  const floor = floorOf(results);
  if (floor) {
    out.push(
      `Bare floor in this run (CPU ms per sandbox, sequential, mean of ${(results.floor ?? []).length} measurements): a sandbox from the startup snapshot, attached, disposed ` +
        `**${n(floor.sandboxCpuMs, 3)}**; isolate + context from the snapshot ${n(floor.snapshotContextCpuMs, 3)}; plain isolated-vm isolate + context ${n(floor.bareCpuMs, 3)}. ` +
        `Our context costs ${n(floor.defaultContextCpuMs, 3)} ms more to deserialise than an empty one, and isolated-vm deserialises it twice per isolate ` +
        '(its own default context, made in every `new Isolate`, besides ours): an isolated-vm whose default context were an empty one would save at most that much per sandbox ' +
        '(a build patched so, measured once: about 0.25 ms on an Intel Xeon, docs/bench.md).',
      '',
    );
  }
  const cpuRows = results.cells.filter((c) => c.cpu && c.workload === 'hello');
  if (cpuRows.length) {
    out.push('CPU per answered hello-world request while each cell was measured (ms; this process, plus the executor processes for the pool) and warm-pool hits:', '');
    out.push('| system | c | CPU ms / request | of which host | warm hits |', '| --- | --- | --- | --- | --- |');
    const paced = (results.paced ?? []).map((p) => ({ ...p, concurrency: `1, think ${p.thinkMs} ms` }));
    for (const c of [...cpuRows, ...paced]) {
      const label = results.systems.find((s) => s.id === c.system)?.label ?? c.system;
      const warm = c.warm ? `${n((100 * c.warm.hits) / Math.max(1, c.warm.hits + c.warm.misses), 1)}% of ${c.warm.hits + c.warm.misses}` : 'n/a';
      out.push(`| ${label} | ${c.concurrency} | ${n(c.cpu!.perRequestMs, 3)} | ${c.cpu!.childrenPerRequestMs === null ? 'all' : n(c.cpu!.hostPerRequestMs, 3)} | ${warm} |`);
    }
    out.push('');
  }

  for (const [systemId, checks] of Object.entries(targetSets(results))) {
    const label = results.systems.find((s) => s.id === systemId)?.label ?? systemId;
    const heading =
      systemId === 'teejs-pool'
        ? `## Issue 4 targets, for ${label}`
        : `### The same targets for ${label} (reference: the targets are set for the executor pool)`;
    out.push(heading, '', '| target | measured | holds? | by how much |', '| --- | --- | --- | --- |');
    for (const check of checks) {
      const holds = check.holds === null ? 'not measured' : check.holds ? 'yes' : '**no**';
      out.push(`| ${check.target} | ${check.measured} | ${holds} | ${check.byHowMuch} |`);
    }
    out.push('');
  }

  out.push('## Latency and throughput', '');
  out.push(
    'Closed loop: concurrency N = N requests in flight at once, each worker sending its next request when the last one answered. ' +
      'Latency is per request as the caller sees it (queueing included): p50 / p99 in ms. Throughput: answered requests per second.',
    '',
  );
  const concurrencies = results.plan.concurrencies;
  for (const workload of results.workloads) {
    out.push(`### ${workload.label} (\`${workload.id}\`, params ${JSON.stringify(workload.params)}, ${workload.memoryMb} MB limit)`, '');
    out.push(`| system | ${concurrencies.map((c) => `c=${c} p50 / p99 ms | c=${c} req/s`).join(' | ')} |`);
    out.push(`| --- | ${concurrencies.map(() => '--- | ---').join(' | ')} |`);
    for (const system of results.systems) {
      const row = concurrencies.map((c) => cellText(results.cells.find((x) => x.workload === workload.id && x.system === system.id && x.concurrency === c)));
      if (row.every((text) => text === 'n/a | n/a')) continue;
      out.push(`| ${system.label} | ${row.join(' | ')} |`);
    }
    out.push('');
    const ratios = ratioRows(results, workload.id);
    if (ratios.length) {
      out.push(`Throughput ratios (same concurrency, same run):`, '', `| ratio | ${concurrencies.map((c) => `c=${c}`).join(' | ')} |`, `| --- | ${concurrencies.map(() => '---').join(' | ')} |`, ...ratios, '');
    }
  }

  if (results.cpu.length) {
    out.push('## CPU-bound work against plain Node', '');
    out.push(
      'The CPU workloads at concurrency 1. "Compute" is the function’s own timing (Date.now inside it, median); "end to end" is the p50 latency. ' +
        'Speed 1.00× = as fast as the same code called directly in this Node process, where its JIT stays warm from call to call; ' +
        'every fresh isolate (and every fresh node:vm context’s new function objects) starts it cold. ' +
        '"Plain Node, fresh worker per call" is the same code run once in a new worker thread: Node’s first run of it, in a fresh isolate with Node’s own heap settings, ' +
        'so the gap between it and plain Node is what any fresh isolate pays (a cold JIT), and the rest is the isolates’ configuration and teejs itself.',
      '',
      '| workload | system | compute ms | compute speed | of which fib ms (speed) | of which JSON ms (speed) | end-to-end p50 ms | end-to-end speed |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    const times = (value: number | null) => (value === null ? 'n/a' : `${n(value)}×`);
    for (const c of results.cpu) {
      const label = results.systems.find((s) => s.id === c.system)?.label ?? c.system;
      out.push(
        `| ${c.workload} | ${label} | ${c.computeMedianMs} | ${times(c.computeSpeed)} | ${c.fibMedianMs} (${times(c.fibSpeed)}) | ` +
          `${c.jsonMedianMs} (${times(c.jsonSpeed)}) | ${n(c.endToEndP50Ms)} | ${n(c.endToEndSpeed)}× |`,
      );
    }
    out.push('');
  }

  out.push('## Memory', '');
  if (results.idle) {
    const i = results.idle;
    out.push(
      `Idle warm isolates: ${i.count} bootstrapped teejs sandboxes held at once add **${n(mb(i.teejsRssPerIsolateBytes))} MB RSS each** ` +
        `(created in ${n(i.teejsCreateMs)} ms each, one after another); plain isolated-vm isolates with an empty context add ${n(mb(i.plainRssPerIsolateBytes))} MB each ` +
        `(V8 heap of one: ${n(mb(i.plainHeapTotalBytes))} MB total, ${n(mb(i.plainHeapUsedBytes))} MB used). ` +
        `A teejs isolate's heap in use after a hello world: ${i.teejsHeapUsedAfterHelloBytes === null ? 'n/a' : `${n(mb(i.teejsHeapUsedAfterHelloBytes))} MB`}.`,
      '',
    );
  }
  const soaks = Object.entries(results.soaks);
  if (soaks.length) {
    const { early, total, concurrency } = results.plan.soak;
    out.push(
      `RSS over many executions (hello world, c=${concurrency}): sampled after ${early.toLocaleString('en')} and after ${total.toLocaleString('en')} executions. ` +
        'Each system runs its soak in a process of its own. Host = that process (also after a forced GC); executors = its executor processes, summed. ' +
          'Growth counts the host and the executors each on its own (one shrinking does not offset the other growing).',
      '',
      `| system | host MB at ${early.toLocaleString('en')} | host MB at ${total.toLocaleString('en')} | host after GC | executors MB at ${early.toLocaleString('en')} | executors MB at ${total.toLocaleString('en')} | growth | failures | time |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [id, s] of soaks) {
      const label = results.systems.find((x) => x.id === id)?.label ?? id;
      if ('missing' in s) {
        out.push(`| ${label} | missing: ${s.missing} | | | | | | | |`);
        continue;
      }
      const growth = soakGrowth(s).counted;
      out.push(
        `| ${label} | ${n(mb(s.atEarly.hostBytes), 1)} | ${n(mb(s.atEnd.hostBytes), 1)} | ${n(mb(s.atEarly.hostAfterGcBytes), 1)} → ${n(mb(s.atEnd.hostAfterGcBytes), 1)} | ` +
          `${n(mb(s.atEarly.childBytes), 1)} (${s.atEarly.children}) | ${n(mb(s.atEnd.childBytes), 1)} (${s.atEnd.children}) | ${growth >= 0 ? '+' : ''}${n(mb(growth), 1)} | ` +
          `${s.errors}${s.firstError ? ` (${s.firstError})` : ''} | ${n(s.durationMs / 1000, 0)} s |`,
      );
    }
    out.push('');
    const measured = soaks.flatMap(([id, s]) => ('missing' in s ? [] : [{ id, s }]));
    const marks = measured[0]?.s.series.map((point) => point.executions) ?? [];
    if (marks.length > 2) {
      out.push(
        'The same, along the way (MB; host + executors for the pool; a leak keeps growing, warm-up and allocator caches level off):',
        '',
        `| system | ${marks.map((mark) => mark.toLocaleString('en')).join(' | ')} |`,
        `| --- | ${marks.map(() => '---').join(' | ')} |`,
      );
      for (const { id, s } of measured) {
        const label = results.systems.find((x) => x.id === id)?.label ?? id;
        const at = (point: (typeof s.series)[number]) =>
          point.children ? `${n(mb(point.hostBytes), 1)} + ${n(mb(point.childBytes), 1)}` : n(mb(point.hostBytes), 1);
        out.push(`| ${label} | ${s.series.map(at).join(' | ')} |`);
      }
      out.push('');
    }
  }

  const problems = results.cells.filter((c) => c.status === 'errors' || c.status === 'failed' || c.status === 'skipped');
  if (problems.length) {
    out.push('## Failures and skipped cells', '', '| workload | system | c | status | detail |', '| --- | --- | --- | --- | --- |');
    for (const c of problems) {
      const detail = c.stats ? `${c.stats.errors} of ${c.stats.count} failed; first: ${c.stats.firstError}` : (c.reason ?? '');
      out.push(`| ${c.workload} | ${c.system} | ${c.concurrency} | ${c.status} | ${detail.replaceAll('|', '\\|').replaceAll('\n', ' ')} |`);
    }
    out.push('');
  }
  out.push(`Chart: [${results.mode}.svg](${results.mode}.svg). Raw numbers: [${results.mode}.json](${results.mode}.json).`, '');
  return out.join('\n');
}

function cellText(cell: Cell | undefined): string {
  if (!cell || cell.status === 'not-applicable') return 'n/a | n/a';
  if (cell.status === 'missing') return 'missing | missing';
  if (cell.status === 'skipped') return 'skipped | skipped';
  const s = cell.stats!;
  if (cell.status === 'failed') return `**failed** | **failed**`;
  const flag = cell.status === 'errors' ? ` (**${s.errors} failed**)` : '';
  return `${n(s.p50Ms)} / ${n(s.p99Ms)}${flag} | ${n(s.throughput, s.throughput >= 100 ? 0 : 1)}`;
}

function ratioRows(results: BenchResults, workload: string): string[] {
  const thr = (system: string, c: number) => {
    const cell = results.cells.find((x) => x.workload === workload && x.system === system && x.concurrency === c);
    return cell?.stats && cell.status === 'ok' ? cell.stats.throughput : null;
  };
  const rows: string[] = [];
  for (const mine of ['teejs-pool', 'teejs-core-warm', 'teejs-core']) {
    for (const other of ['isolated-vm', 'node-vm']) {
      const values = results.plan.concurrencies.map((c) => {
        const a = thr(mine, c);
        const b = thr(other, c);
        return a !== null && b !== null ? `${n(a / b)}×` : 'n/a';
      });
      if (values.every((v) => v === 'n/a')) continue;
      const label = (id: string) => results.systems.find((s) => s.id === id)?.label ?? id;
      rows.push(`| ${label(mine)} ÷ ${label(other)} | ${values.join(' | ')} |`);
    }
  }
  return rows;
}
