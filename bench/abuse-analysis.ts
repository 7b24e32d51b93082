// The noisy-neighbour benchmark's numbers, from what abuse.ts recorded: the quiet tenant's
// latency per phase, innocent failures, how each abusive execution ended and how far past its
// limit, the process tree's and each executor's resident memory, and the issue's targets.
import type { MachineInfo } from './machine.ts';
import type { AbuseKind, AbuseLimits } from './abuse-payloads.ts';
import type { AbusePlan } from './abuse.ts';
import type { ProcessSeen, SamplerOutput, TreeSample } from './abuse-sampler.ts';

const MB = 2 ** 20;

export interface ExecutionSample {
  tenant: string;
  kind: string;
  timeoutMs: number;
  memoryMb: number;
  /** Epoch ms at the client. */
  sentAt: number;
  receivedAt: number;
  /** As the client saw it (queueing included). */
  latencyMs: number;
  httpStatus: number | null;
  status: 'success' | 'error' | null;
  /** The execution's error code; HTTP_<status>_<code> for a refused request; CLIENT_TIMEOUT or CONNECTION_ERROR. */
  code: string | null;
  durationMs: number | null;
  /** Epoch ms, as the server recorded them. */
  startedAt: number | null;
  finishedAt: number | null;
  memoryUsedBytes: number | null;
  detail: string | null;
}

export interface Window {
  start: number;
  end: number;
}

export interface Phases {
  warmup: Window;
  idle: Window;
  baseline: Window;
  abuse: Window;
  drain: Window;
  settle: Window;
  rest: Window;
  solo: Window;
}

export interface RawRun {
  mode: 'quick' | 'full';
  machine: MachineInfo;
  /** Uncommitted changes under src/ when the run started (the service runs the working tree). */
  srcChanges: string[];
  loadAverageAtEnd: number[];
  durationMs: number;
  plan: AbusePlan;
  limits: AbuseLimits;
  kinds: AbuseKind[];
  tenants: Array<{ name: string; kinds: string[]; loops: number }>;
  config: Record<string, unknown>;
  serverPid: number;
  /** Set when the server exited before the benchmark stopped it. */
  serverDied: { t: number; code: number | null; signal: string | null } | null;
  serverOutputTail: string[];
  phases: Partial<Phases>;
  quiet: ExecutionSample[];
  storm: ExecutionSample[];
  solo: Array<ExecutionSample & { preTreeBytes: number | null }>;
  sampler: SamplerOutput | null;
  metricsBefore: Record<string, number>;
  metricsAfter: Record<string, number>;
}

export interface LatencySummary {
  count: number;
  failures: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The service's own durationMs (the rest of the latency is waiting and HTTP), median. */
  durationP50Ms: number | null;
  /**
   * Time within the phase spent in requests slower than 2× the baseline p99, as a share of the
   * phase's length: a closed loop sends few requests while it waits, so percentiles alone
   * understate waiting.
   */
  slowTimeShare: number | null;
}

export interface KindSummary {
  kind: string;
  category: string;
  tenant: string;
  timeoutMs: number;
  memoryMb: number;
  expected: string;
  executions: number;
  /** Requests the service refused (429 over the quota): not executions. */
  refused: number;
  codes: Record<string, number>;
  asExpected: number;
  /** durationMs - timeoutMs of those that ended TIMEOUT. */
  timeoutOverrunP50Ms: number | null;
  timeoutOverrunMaxMs: number | null;
  /** durationMs (time from start) of those that ended MEMORY_LIMIT. */
  memoryLimitP50Ms: number | null;
  memoryLimitMaxMs: number | null;
  /** The largest durationMs - timeoutMs, whatever the ending. */
  worstOverrunMs: number | null;
  wallP50Ms: number | null;
  wallMaxMs: number | null;
  maxMemoryUsedBytes: number | null;
}

export interface ExecutorMemory {
  pid: number;
  command: string;
  firstSeenS: number;
  lastSeenS: number;
  /** Its median RSS in the idle window; null when it did not exist then (a replacement). */
  idleBytes: number | null;
  peakBytes: number;
  peakAtS: number;
  /** The most its RSS stood above idle + limits of the executions in flight + 64 MB (negative: below). */
  worstExcessBytes: number;
  worstExcessAtS: number;
  /** The phase that moment fell in. */
  worstExcessPhase: string;
  boundAtWorstBytes: number;
  /** Its median RSS in the second half of the rest window; null when it was gone by then. */
  settledBytes: number | null;
}

export interface SoloBomb {
  kind: string;
  code: string | null;
  durationMs: number | null;
  /** From the request to the execution's start (a slot, an executor). */
  waitedMs: number | null;
  memoryUsedBytes: number | null;
  /** The executor that grew most while it ran, and by how much. */
  executorPid: number | null;
  executorGrowthBytes: number | null;
  /** ms from the execution's start until that executor's RSS stood the limit above its RSS at the start. */
  crossedAfterMs: number | null;
  /** ms from that crossing to the execution's end. */
  endedAfterCrossingMs: number | null;
  /** The whole tree: its RSS at the start, its peak above that, and the end's distance from its crossing. */
  preTreeBytes: number | null;
  peakTreeDeltaBytes: number | null;
  treeEndedAfterCrossingMs: number | null;
}

export interface TargetCheck {
  target: string;
  measured: string;
  holds: boolean | null;
}

export interface Series {
  quiet: Array<{ t: number; ms: number; ok: boolean }>;
  tree: Array<{ t: number; mb: number; process: string }>;
  abusive: Array<{ t: number; overrunS: number; code: string; kind: string }>;
  /** Seconds from the start of the warm-up. */
  windows: Array<{ name: string; start: number; end: number }>;
}

export interface AbuseResults extends Omit<RawRun, 'quiet' | 'storm' | 'solo' | 'sampler'> {
  /**
   * By the phase a request was sent in: `abuse` is the abuse window proper, `drain` the time its
   * last abusive executions took to finish, `storm` both (what the target is judged on).
   */
  quietByPhase: Record<'baseline' | 'abuse' | 'drain' | 'storm' | 'settle', LatencySummary>;
  innocentFailures: { total: number; byCode: Record<string, number>; crashedOrInterrupted: number; examples: string[] };
  kindSummaries: KindSummary[];
  unanswered: number;
  tree: { idleBytes: number | null; stormPeakBytes: number | null; stormPeakAtS: number | null; soloPeakBytes: number | null; settledBytes: number | null };
  executors: ExecutorMemory[];
  boundRule: BoundRule;
  typicalIdleBytes: number | null;
  /** Executors started after the idle window: from their first sample to 90% of the typical idle size. */
  executorStartMs: { count: number; p50: number | null; max: number | null };
  solo: SoloBomb[];
  samplerInfo: { samples: number; lateSamples: number; meanIntervalMs: number | null; safetyKill: SamplerOutput['safetyKill']; processes: ProcessSeen[] } | null;
  targets: TargetCheck[];
  series: Series;
  /** Every execution, compact: [tenant, kind, sent s, latency ms, http, code or status, durationMs, memoryUsedBytes]. */
  executions: Array<[string, string, number, number, number | null, string, number | null, number | null]>;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const within = (t: number, w: Window | undefined) => w !== undefined && t >= w.start && t < w.end;

function latency(samples: ExecutionSample[], window?: Window, baselineP99?: number | null): LatencySummary {
  const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const r = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: samples.length,
    failures: samples.filter((s) => s.status !== 'success').length,
    p50Ms: r(percentile(sorted, 50)),
    p90Ms: r(percentile(sorted, 90)),
    p99Ms: r(percentile(sorted, 99)),
    maxMs: r(sorted.at(-1) ?? null),
    durationP50Ms: r(median(samples.map((s) => s.durationMs).filter((v): v is number => v !== null))),
    slowTimeShare:
      window && baselineP99
        ? Math.round(
            (samples
              .filter((s) => s.latencyMs > 2 * baselineP99)
              .reduce((sum, s) => sum + Math.max(0, Math.min(s.receivedAt, window.end) - Math.max(s.sentAt, window.start)), 0) /
              Math.max(1, window.end - window.start)) *
              100,
          ) / 100
        : null,
  };
}

/** durationMs - timeoutMs, by the server's own numbers (the larger of durationMs and finishedAt - startedAt). */
function overrun(sample: ExecutionSample): number | null {
  if (sample.durationMs === null) return null;
  const span = sample.startedAt !== null && sample.finishedAt !== null ? sample.finishedAt - sample.startedAt : 0;
  return Math.round((Math.max(sample.durationMs, span) - sample.timeoutMs) * 10) / 10;
}

const isExecution = (s: ExecutionSample) => s.httpStatus === 200;
const codeOf = (s: ExecutionSample) => s.code ?? (s.status === 'success' ? 'success' : (s.status ?? 'unknown'));

function summariseKind(kind: AbuseKind, tenant: string, samples: ExecutionSample[]): KindSummary {
  const executions = samples.filter(isExecution);
  const codes: Record<string, number> = {};
  for (const s of samples.filter((x) => x.httpStatus !== 429)) codes[codeOf(s)] = (codes[codeOf(s)] ?? 0) + 1;
  const sorted = (values: number[]) => values.sort((a, b) => a - b);
  const timeouts = sorted(executions.filter((s) => s.code === 'TIMEOUT').map((s) => overrun(s)!).filter((v) => v !== null));
  const memory = sorted(executions.filter((s) => s.code === 'MEMORY_LIMIT' && s.durationMs !== null).map((s) => s.durationMs!));
  const overruns = sorted(executions.map(overrun).filter((v): v is number => v !== null));
  const walls = sorted(executions.map((s) => s.latencyMs));
  const used = executions.map((s) => s.memoryUsedBytes).filter((v): v is number => v !== null);
  return {
    kind: kind.id,
    category: kind.category,
    tenant,
    timeoutMs: kind.timeoutMs,
    memoryMb: kind.memoryMb,
    expected: kind.expected,
    executions: executions.length,
    refused: samples.filter((s) => s.httpStatus === 429).length,
    codes,
    asExpected: executions.filter((s) => s.code === kind.expected).length,
    timeoutOverrunP50Ms: percentile(timeouts, 50),
    timeoutOverrunMaxMs: timeouts.at(-1) ?? null,
    memoryLimitP50Ms: percentile(memory, 50),
    memoryLimitMaxMs: memory.at(-1) ?? null,
    worstOverrunMs: overruns.at(-1) ?? null,
    wallP50Ms: percentile(walls, 50),
    wallMaxMs: walls.at(-1) ?? null,
    maxMemoryUsedBytes: used.length ? Math.max(...used) : null,
  };
}

/** How the benchmark bounds an executor's memory (see inFlightLimits). */
export interface BoundRule {
  /**
   * 'tenant': an executor runs one user's executions at a time (the service's claim, tested
   * too); 'execution': one execution at a time; 'shared': anyone's.
   */
  sharing: 'tenant' | 'execution' | 'shared';
  /** Executions one user runs at once at most (tenant), 1 (execution), or the server's concurrency (shared). */
  slots: number;
  tailMs: number;
}

/**
 * The most memory the executions an executor runs at time t may hold, seen from outside (which
 * execution runs in which executor is not visible): with tenant cordoning, the sum of the
 * limits of one user's executions in flight, at most `slots` of them, for the user with the
 * largest sum; with one execution per executor, the largest limit in flight; with shared
 * executors, the sum over every user's. An execution counts from its
 * request until `tailMs` after its answer (its executor may give memory back, or be replaced,
 * just after).
 */
function inFlightLimits(intervals: Array<{ tenant: string; from: number; to: number; bytes: number }>, rule: BoundRule): (t: number) => number {
  return (t) => {
    const byTenant = new Map<string, number[]>();
    for (const i of intervals) {
      if (i.from > t || t > i.to + rule.tailMs) continue;
      const key = rule.sharing === 'tenant' ? i.tenant : 'everyone';
      const list = byTenant.get(key);
      if (list) list.push(i.bytes);
      else byTenant.set(key, [i.bytes]);
    }
    let most = 0;
    for (const limits of byTenant.values()) {
      limits.sort((a, b) => b - a);
      most = Math.max(most, limits.slice(0, rule.slots).reduce((sum, bytes) => sum + bytes, 0));
    }
    return most;
  };
}

export function analyse(run: RawRun): AbuseResults {
  const { phases, quiet, storm, solo, sampler } = run;
  const origin = phases.warmup?.start ?? run.quiet[0]?.sentAt ?? Date.now();
  const seconds = (t: number) => Math.round((t - origin) / 10) / 100;
  const phaseAt = (t: number) => (Object.entries(phases) as Array<[string, Window]>).find(([, w]) => within(t, w))?.[0] ?? 'between phases';
  const stormWindow: Window | undefined = phases.abuse && { start: phases.abuse.start, end: phases.drain?.end ?? phases.abuse.end };

  // The quiet tenant.
  const quietIn = (w: Window | undefined) => quiet.filter((s) => within(s.sentAt, w));
  const baselineP99 = latency(quietIn(phases.baseline)).p99Ms;
  const summarise = (w: Window | undefined) => latency(quietIn(w), w, baselineP99);
  const quietByPhase = {
    baseline: summarise(phases.baseline),
    abuse: summarise(phases.abuse),
    drain: summarise(phases.drain),
    storm: summarise(stormWindow),
    settle: summarise(phases.settle),
  };
  const innocent = quiet.filter((s) => s.status !== 'success');
  const byCode: Record<string, number> = {};
  for (const s of innocent) byCode[codeOf(s)] = (byCode[codeOf(s)] ?? 0) + 1;
  const innocentFailures = {
    total: innocent.length,
    byCode,
    crashedOrInterrupted: innocent.filter((s) => s.code === 'EXECUTOR_CRASHED' || s.code === 'INTERRUPTED').length,
    examples: [...new Set(innocent.map((s) => `${codeOf(s)}: ${s.detail ?? ''}`))].slice(0, 5),
  };

  // The abusive executions, storm and solo together.
  const abusive = [...storm, ...solo];
  const kindSummaries = run.kinds.map((kind) => {
    const tenant = run.tenants.find((t) => t.kinds.includes(kind.id))?.name ?? '?';
    return summariseKind(kind, tenant, abusive.filter((s) => s.kind === kind.id));
  });
  const unanswered = abusive.filter((s) => s.httpStatus === null).length;

  // Memory.
  const samples: TreeSample[] = sampler?.samples ?? [];
  const root = run.serverPid;
  const inWindow = (w: Window | undefined, half = false) => {
    if (!w) return [];
    const from = half ? w.start + (w.end - w.start) / 2 : w.start;
    return samples.filter((s) => s.t >= from && s.t < w.end);
  };
  const rssOf = (sample: TreeSample, pid: number) => {
    const index = sample.pids.indexOf(pid);
    return index < 0 ? null : sample.rss[index]!;
  };
  const medianOf = (list: TreeSample[], pid: number) => median(list.map((s) => rssOf(s, pid)).filter((v): v is number => v !== null));
  const idleSamples = inWindow(phases.idle, true);
  const restSamples = inWindow(phases.rest, true);
  const stormSamples = inWindow(stormWindow);
  const soloSamples = inWindow(phases.solo);
  const peak = (list: TreeSample[]) => list.reduce<TreeSample | null>((best, s) => (best === null || s.total > best.total ? s : best), null);
  const stormPeak = peak(stormSamples);
  const tree = {
    idleBytes: median(idleSamples.map((s) => s.total)),
    stormPeakBytes: stormPeak?.total ?? null,
    stormPeakAtS: stormPeak ? seconds(stormPeak.t) : null,
    soloPeakBytes: peak(soloSamples)?.total ?? null,
    settledBytes: median(restSamples.map((s) => s.total)),
  };

  const executorsSeen = (sampler?.processes ?? []).filter((p) => p.pid !== root);
  const idleSizes = executorsSeen.map((p) => medianOf(idleSamples, p.pid)).filter((v): v is number => v !== null);
  const typicalIdleBytes = median(idleSizes);
  const concurrency = Number(run.config.concurrency) || 10;
  const share = Number(run.config.maxUserShare);
  const boundRule: BoundRule =
    run.config.executorSharing === 'tenant'
      ? { sharing: 'tenant', slots: Number.isFinite(share) && share > 0 ? Math.max(1, Math.floor(share * concurrency)) : concurrency, tailMs: 1000 }
      : run.config.executorSharing === 'execution'
        ? { sharing: 'execution', slots: 1, tailMs: 1000 }
        : { sharing: 'shared', slots: concurrency, tailMs: 1000 };
  const limitsAt = inFlightLimits(
    [...quiet, ...storm, ...solo].filter((s) => s.httpStatus !== 429).map((s) => ({ tenant: s.tenant, from: s.sentAt, to: s.receivedAt, bytes: s.memoryMb * MB })),
    boundRule,
  );
  const limitsPerSample = samples.map((s) => limitsAt(s.t));
  // How long executors started during the run took to reach 90% of the typical idle size (a
  // busy machine makes this long, and an execution waiting for a fresh executor waits as long).
  const startTimes: number[] = [];
  for (const p of executorsSeen) {
    if (!phases.idle || p.firstSeen <= phases.idle.end || typicalIdleBytes === null) continue;
    const ready = samples.find((x) => x.t >= p.firstSeen && (rssOf(x, p.pid) ?? 0) >= 0.9 * typicalIdleBytes);
    if (ready) startTimes.push(ready.t - p.firstSeen);
  }
  startTimes.sort((a, b) => a - b);
  const executorStartMs = { count: startTimes.length, p50: percentile(startTimes, 50), max: startTimes.at(-1) ?? null };
  const measuredUntil = phases.solo?.end ?? phases.rest?.end ?? Number.POSITIVE_INFINITY;
  const executors: ExecutorMemory[] = executorsSeen.map((p) => {
    const idleBytes = medianOf(idleSamples, p.pid);
    const base = idleBytes ?? typicalIdleBytes ?? 0;
    let peakBytes = 0;
    let peakAt = p.firstSeen;
    let worstExcess = Number.NEGATIVE_INFINITY;
    let worstAt = p.firstSeen;
    let boundAtWorst = 0;
    for (const [index, s] of samples.entries()) {
      const rss = rssOf(s, p.pid);
      if (rss === null || s.t > measuredUntil) continue; // not the shutdown
      if (rss > peakBytes) {
        peakBytes = rss;
        peakAt = s.t;
      }
      const bound = base + limitsPerSample[index]! + 64 * MB;
      if (rss - bound > worstExcess) {
        worstExcess = rss - bound;
        worstAt = s.t;
        boundAtWorst = bound;
      }
    }
    return {
      pid: p.pid,
      command: p.command,
      firstSeenS: seconds(p.firstSeen),
      lastSeenS: seconds(p.lastSeen),
      idleBytes,
      peakBytes,
      peakAtS: seconds(peakAt),
      worstExcessBytes: Number.isFinite(worstExcess) ? worstExcess : 0,
      worstExcessAtS: seconds(worstAt),
      worstExcessPhase: phaseAt(worstAt),
      boundAtWorstBytes: boundAtWorst,
      settledBytes: medianOf(restSamples, p.pid),
    };
  });

  // Each bomb alone: when did its memory cross the bomb's limit, and when did the bomb end? From
  // its start as the server recorded it (it may wait for a slot or an executor first). Two
  // views: the executor that grew most while it ran (against its own RSS at the start, or at
  // its first sample if it was started for this execution), and the whole tree (against the
  // tree at the start: an executor started meanwhile counts too).
  const soloBombs: SoloBomb[] = solo.map((s) => {
    const start = s.startedAt ?? s.sentAt;
    const end = s.finishedAt ?? s.receivedAt;
    const limit = s.memoryMb * MB;
    const during = samples.filter((x) => x.t >= start && x.t <= end + 100);
    const atStart = samples.filter((x) => x.t <= start).at(-1) ?? during[0];
    const treePre = atStart?.total ?? null;
    const treeCrossing = treePre === null ? undefined : during.find((x) => x.total >= treePre + limit);
    let executor: { pid: number; base: number; growth: number } | null = null;
    for (const pid of new Set(during.flatMap((x) => x.pids))) {
      if (pid === root) continue;
      const first = atStart && rssOf(atStart, pid) !== null ? rssOf(atStart, pid)! : rssOf(during.find((x) => rssOf(x, pid) !== null)!, pid)!;
      const growth = Math.max(...during.map((x) => rssOf(x, pid) ?? 0)) - first;
      if (!executor || growth > executor.growth) executor = { pid, base: first, growth };
    }
    const crossing = executor && during.find((x) => (rssOf(x, executor.pid) ?? 0) >= executor.base + limit);
    return {
      kind: s.kind,
      code: codeOf(s),
      durationMs: s.durationMs,
      waitedMs: s.startedAt === null ? null : s.startedAt - s.sentAt,
      memoryUsedBytes: s.memoryUsedBytes,
      executorPid: executor?.pid ?? null,
      executorGrowthBytes: executor?.growth ?? null,
      crossedAfterMs: crossing ? crossing.t - start : null,
      endedAfterCrossingMs: crossing ? end - crossing.t : null,
      preTreeBytes: treePre,
      peakTreeDeltaBytes: treePre === null || during.length === 0 ? null : Math.max(...during.map((x) => x.total)) - treePre,
      treeEndedAfterCrossingMs: treeCrossing ? end - treeCrossing.t : null,
    };
  });

  const targets = checkTargets({ run, quietByPhase, innocentFailures, kindSummaries, unanswered, executors, solo: soloBombs, storm, typicalIdleBytes });

  // Series for the chart.
  const windows = (['baseline', 'abuse', 'drain', 'settle', 'solo'] as const)
    .filter((name) => phases[name])
    .map((name) => ({ name, start: seconds(phases[name]!.start), end: seconds(phases[name]!.end) }));
  const bucketMs = 200; // each line: its largest value in each 200 ms
  const buckets = new Map<string, { t: number; mb: number; process: string }>();
  for (const s of samples) {
    const bucket = Math.floor((s.t - origin) / bucketMs);
    const put = (name: string, bytes: number) => {
      const key = `${name}|${bucket}`;
      const mb = Math.round((bytes / MB) * 10) / 10;
      const existing = buckets.get(key);
      if (!existing || existing.mb < mb) buckets.set(key, { t: (bucket * bucketMs) / 1000, mb, process: name });
    };
    put('whole tree', s.total);
    let largest = 0;
    s.pids.forEach((pid, i) => {
      if (pid === root) put('server', s.rss[i]!);
      else largest = Math.max(largest, s.rss[i]!);
    });
    put('largest executor', largest);
  }
  const series: Series = {
    quiet: quiet.map((s) => ({ t: seconds(s.sentAt), ms: Math.max(0.1, s.latencyMs), ok: s.status === 'success' })),
    tree: [...buckets.values()].sort((a, b) => a.t - b.t),
    abusive: abusive
      .filter(isExecution)
      .map((s) => ({ t: seconds(s.finishedAt ?? s.receivedAt), overrunS: Math.round((overrun(s) ?? 0) / 10) / 100, code: codeOf(s), kind: s.kind })),
    windows,
  };

  const { quiet: _q, storm: _s, solo: _o, sampler: _p, ...rest } = run;
  const meanInterval = samples.length > 1 ? (samples.at(-1)!.t - samples[0]!.t) / (samples.length - 1) : null;
  return {
    ...rest,
    quietByPhase,
    innocentFailures,
    kindSummaries,
    unanswered,
    tree,
    executors,
    boundRule,
    typicalIdleBytes,
    executorStartMs,
    solo: soloBombs,
    samplerInfo: sampler && {
      samples: samples.length,
      lateSamples: sampler.lateSamples,
      meanIntervalMs: meanInterval === null ? null : Math.round(meanInterval * 10) / 10,
      safetyKill: sampler.safetyKill,
      processes: sampler.processes,
    },
    targets,
    series,
    executions: [...quiet, ...storm, ...solo].map((s) => [s.tenant, s.kind, seconds(s.sentAt), s.latencyMs, s.httpStatus, codeOf(s), s.durationMs, s.memoryUsedBytes]),
  };
}

const mbText = (bytes: number | null) => (bytes === null ? 'n/a' : `${Math.round(bytes / MB)} MB`);

function checkTargets(input: {
  run: RawRun;
  quietByPhase: AbuseResults['quietByPhase'];
  innocentFailures: AbuseResults['innocentFailures'];
  kindSummaries: KindSummary[];
  unanswered: number;
  executors: ExecutorMemory[];
  solo: SoloBomb[];
  storm: ExecutionSample[];
  typicalIdleBytes: number | null;
}): TargetCheck[] {
  const { run, quietByPhase, innocentFailures, kindSummaries, executors, solo } = input;
  const checks: TargetCheck[] = [];
  const base = quietByPhase.baseline.p99Ms;
  const during = quietByPhase.storm.p99Ms;
  checks.push({
    target: "quiet tenant's p99 while abusive executions run (abuse and drain) within 2× its baseline p99",
    measured:
      base === null || during === null
        ? 'not measured'
        : `${during} ms vs ${base} ms baseline: ${(during / base).toFixed(2)}×` +
          (quietByPhase.storm.slowTimeShare === null ? '' : `; ${Math.round(quietByPhase.storm.slowTimeShare * 100)}% of that time spent in requests slower than 2× the baseline p99`),
    holds: base === null || during === null ? null : during <= 2 * base,
  });
  checks.push({
    target: '0 innocent failures (the quiet tenant: any non-success, refused or unanswered request)',
    measured:
      innocentFailures.total === 0
        ? '0'
        : `${innocentFailures.total} (${Object.entries(innocentFailures.byCode).map(([code, n]) => `${n} ${code}`).join(', ')}), of which ${innocentFailures.crashedOrInterrupted} EXECUTOR_CRASHED/INTERRUPTED`,
    holds: innocentFailures.total === 0,
  });
  const bombs = kindSummaries.filter((k) => k.category === 'memory bomb');
  const bombRuns = bombs.reduce((n, k) => n + k.executions, 0);
  const bombsOk = bombs.reduce((n, k) => n + k.asExpected, 0);
  const bombCodes = bombs.map((k) => `${k.kind}: ${Object.entries(k.codes).map(([code, n]) => `${n} ${code}`).join(', ') || 'none'}`).join('; ');
  const late = solo.filter((s) => s.endedAfterCrossingMs !== null && s.endedAfterCrossingMs > 1000);
  const soloText = solo.map((s) => `${s.kind} ${s.code} ${s.endedAfterCrossingMs === null ? '(its executor never grew by the limit)' : `${s.endedAfterCrossingMs} ms after its executor crossed it`}`).join('; ');
  checks.push({
    target: 'every memory bomb ends MEMORY_LIMIT, within 1 s of crossing its limit',
    measured: `${bombsOk} of ${bombRuns} ended MEMORY_LIMIT (${bombCodes}). Alone: ${soloText || 'not run'}`,
    holds: bombRuns === 0 ? null : bombsOk === bombRuns && late.length === 0,
  });
  const worst = executors.reduce<ExecutorMemory | null>((w, e) => (w === null || e.worstExcessBytes > w.worstExcessBytes ? e : w), null);
  checks.push({
    target: "an executor's RSS below its idle size + the limits of the executions it runs + 64 MB",
    measured: worst
      ? `highest executor peak ${mbText(Math.max(...executors.map((e) => e.peakBytes)))}; worst: pid ${worst.pid} at ${worst.worstExcessAtS} s (${worst.worstExcessPhase}), ${mbText(Math.abs(worst.worstExcessBytes))} ${worst.worstExcessBytes > 0 ? 'above' : 'below'} its bound of ${mbText(worst.boundAtWorstBytes)}`
      : 'no executor seen',
    holds: worst ? executors.every((e) => e.worstExcessBytes <= 0) : null,
  });
  const present = executors.filter((e) => e.settledBytes !== null);
  const settledText = present
    .map((e) => (e.idleBytes === null ? `pid ${e.pid} (a replacement) ${mbText(e.settledBytes)}` : `pid ${e.pid} ${mbText(e.settledBytes)} vs ${mbText(e.idleBytes)} idle`))
    .join('; ');
  checks.push({
    target: 'after the storm every executor within 32 MB of its idle size (or replaced)',
    measured: settledText ? `${settledText}; typical idle size ${mbText(input.typicalIdleBytes)} (replacements are held to it)` : 'no executor measured after the storm',
    // A replacement is held to the typical idle size: replacing a bloated executor by another
    // bloated one would not be giving memory back.
    holds: present.length === 0 ? null : present.every((e) => e.settledBytes! - (e.idleBytes ?? input.typicalIdleBytes ?? 0) <= 32 * MB),
  });
  const worstOverrun = kindSummaries.reduce<number | null>((w, k) => (k.worstOverrunMs === null ? w : w === null ? k.worstOverrunMs : Math.max(w, k.worstOverrunMs)), null);
  const worstKind = kindSummaries.find((k) => k.worstOverrunMs === worstOverrun);
  checks.push({
    target: 'no execution outlives its deadline by more than 250 ms',
    measured:
      `worst durationMs - timeoutMs: ${worstOverrun === null ? 'n/a' : `${worstOverrun} ms (${worstKind?.kind})`}` +
      (input.unanswered ? `; ${input.unanswered} abusive request(s) not answered within the client's ${run.plan.clientTimeoutMs / 1000} s` : ''),
    holds: worstOverrun === null ? null : worstOverrun <= 250 && input.unanswered === 0,
  });
  checks.push({
    target: 'the server never dies',
    measured: run.serverDied ? `it exited (${run.serverDied.signal ?? `code ${run.serverDied.code}`})` : 'it ran to the end',
    holds: run.serverDied === null,
  });
  return checks;
}
