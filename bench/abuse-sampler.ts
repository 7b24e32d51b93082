// The noisy-neighbour benchmark's memory sampler: resident memory of a whole process tree (the
// service process and all its descendants), read from /proc every ~20 ms. It runs in a worker
// thread of its own, with a blocking loop, so that the benchmark's HTTP clients cannot delay
// it. It also guards the machine: when the tree would take the memory other work needs, it
// kills the tree (SIGKILL) and says so, rather than let the kernel's OOM killer pick a victim.
//
// Started by abuse-proc.ts; stopped through a shared flag; answers with every sample.
import { readdirSync, readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

export interface SamplerInput {
  rootPid: number;
  intervalMs: number;
  /** How often to scan all of /proc for descendants that are not direct children. */
  scanEveryMs: number;
  /** Kill the tree when the machine's available memory falls below this... */
  minAvailableBytes: number;
  /** ...or when the tree holds more than this. */
  maxTreeBytes: number;
  /** [0] = 1: stop. [1]: the latest tree RSS in MB (read by the main thread). */
  control: SharedArrayBuffer;
}

export interface TreeSample {
  /** Epoch milliseconds. */
  t: number;
  /** Sum of the tree's RSS, bytes. */
  total: number;
  /** RSS of each live process of the tree, bytes, in the order of `pids`. */
  pids: number[];
  rss: number[];
}

export interface ProcessSeen {
  pid: number;
  ppid: number;
  /** The process's command line, shortened. */
  command: string;
  firstSeen: number;
  lastSeen: number;
}

export interface SamplerOutput {
  samples: TreeSample[];
  processes: ProcessSeen[];
  /** Set when the sampler killed the tree to protect the machine. */
  safetyKill: { t: number; reason: string } | null;
  /** Samples that came later than 2 intervals after the previous one (a busy machine). */
  lateSamples: number;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function rssBytes(pid: number): number | null {
  const status = readText(`/proc/${pid}/status`);
  if (status === null) return null;
  // A zombie (ended, not yet reaped) has no VmRSS: it holds no memory any more.
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return match ? Number(match[1]) * 1024 : null;
}

function parentOf(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

function commandOf(pid: number): string {
  const raw = readText(`/proc/${pid}/cmdline`) ?? '';
  const parts = raw.split('\0').filter(Boolean);
  // The script a node process runs says what it is (server, executor); its path does not matter.
  const script = parts.find((part) => /\.(ts|js|mjs)$/.test(part));
  return script ? script.split('/').slice(-2).join('/') : (parts[0]?.split('/').pop() ?? '?');
}

function memAvailableBytes(): number {
  const match = /MemAvailable:\s+(\d+)\s+kB/.exec(readText('/proc/meminfo') ?? '');
  return match ? Number(match[1]) * 1024 : Number.POSITIVE_INFINITY;
}

function directChildren(pid: number): number[] {
  const text = readText(`/proc/${pid}/task/${pid}/children`);
  return text === null ? [] : text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Every descendant of root, by the parent ids of all processes. */
function scanDescendants(root: number): Array<{ pid: number; ppid: number }> {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = parents.get(ppid);
    if (list) list.push(pid);
    else parents.set(ppid, [pid]);
  }
  const found: Array<{ pid: number; ppid: number }> = [];
  const queue = [root];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const child of parents.get(parent) ?? []) {
      found.push({ pid: child, ppid: parent });
      queue.push(child);
    }
  }
  return found;
}

function run(input: SamplerInput): SamplerOutput {
  const control = new Int32Array(input.control, 0, 2);
  const latest = new Float64Array(input.control, 8, 1);
  const known = new Map<number, ProcessSeen>();
  const live = new Set<number>();
  const samples: TreeSample[] = [];
  let safetyKill: SamplerOutput['safetyKill'] = null;
  let lastScan = 0;
  let lastMemCheck = 0;
  let lateSamples = 0;
  let previous = 0;

  const remember = (pid: number, ppid: number, now: number) => {
    if (known.has(pid)) return;
    known.set(pid, { pid, ppid, command: commandOf(pid), firstSeen: now, lastSeen: now });
    live.add(pid);
  };
  remember(input.rootPid, process.pid, Date.now());

  while (Atomics.load(control, 0) === 0) {
    const now = Date.now();
    if (previous && now - previous > input.intervalMs * 2) lateSamples++;
    previous = now;
    if (now - lastScan >= input.scanEveryMs) {
      lastScan = now;
      for (const { pid, ppid } of scanDescendants(input.rootPid)) remember(pid, ppid, now);
    } else {
      for (const pid of directChildren(input.rootPid)) remember(pid, input.rootPid, now);
    }
    const pids: number[] = [];
    const rss: number[] = [];
    let total = 0;
    for (const pid of live) {
      const bytes = rssBytes(pid);
      if (bytes === null) {
        live.delete(pid);
        continue;
      }
      known.get(pid)!.lastSeen = now;
      pids.push(pid);
      rss.push(bytes);
      total += bytes;
    }
    samples.push({ t: now, total, pids, rss });
    latest[0] = total / 2 ** 20;

    if (safetyKill === null && (total > input.maxTreeBytes || now - lastMemCheck >= 100)) {
      lastMemCheck = now;
      const available = memAvailableBytes();
      const reason =
        total > input.maxTreeBytes
          ? `the service's process tree held ${Math.round(total / 2 ** 20)} MB (limit ${Math.round(input.maxTreeBytes / 2 ** 20)} MB)`
          : available < input.minAvailableBytes
            ? `the machine had ${Math.round(available / 2 ** 20)} MB available (floor ${Math.round(input.minAvailableBytes / 2 ** 20)} MB)`
            : null;
      if (reason) {
        safetyKill = { t: now, reason };
        for (const pid of live) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
    if (live.size === 0) break; // the tree is gone
    const wait = input.intervalMs - (Date.now() - now);
    if (wait > 0) Atomics.wait(control, 0, 0, wait);
  }
  return { samples, processes: [...known.values()], safetyKill, lateSamples };
}

if (parentPort) parentPort.postMessage(run(workerData as SamplerInput));
