// The launcher (bin/teejs.js) owns its server: SIGKILL of the process a user or supervisor
// started takes the real server and its executors with it, and a restart on the same data
// directory works; SIGTERM and SIGINT to it still stop the server gracefully. Run for real,
// for each way the launcher can start the server: replacing itself (process.execve, Node 24
// without the flag), or spawning it with a pipe (a Node without execve: an older Node found
// on PATH, and Node 24 with execve taken away). Processes are found in /proc (Linux only).
// Margins are wide: these must pass with both cores busy.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateApiKey } from '../../src/service/auth/keys.ts';
import { Api } from '../service/helpers.ts';
import { nodeBin, projectRoot } from '../support/spawn.ts';

const launcherScript = fileURLToPath(new URL('../../bin/teejs.js', import.meta.url));
const adminKey = generateApiKey().key;
const startMs = 120_000;
const goneMs = 30_000;

interface Server {
  launcher: ChildProcess;
  api: Api;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `serve` through the launcher, run by `node` with `nodeArgs`; resolves once it listens. */
async function startServer(node: string, nodeArgs: readonly string[], dataDir: string): Promise<Server> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('TEEJS_') && name !== 'DATABASE_URL' && name !== 'NODE_OPTIONS') env[name] = value;
  env.TEEJS_ADMIN_KEY = adminKey;
  const launcher = spawn(
    node,
    [...nodeArgs, launcherScript, 'serve', '--data-dir', dataDir, '--port', '0', '--executors', '1', '--log-level', 'info', '--shutdown-grace', '30000'],
    { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => launcher.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in ${startMs} ms:\n${output}`)), startMs);
    const look = () => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    launcher.stdout!.on('data', look);
    void exited.then(() => reject(new Error(`the launcher exited before the server listened:\n${output}`)));
  });
  return { launcher, api: new Api(url), output: () => output, exited };
}

/** One execution, so that an executor process surely runs. */
async function runOnce(api: Api): Promise<void> {
  const user = await api.newUser(adminKey, `user-${Date.now()}`);
  const fn = await api.newFunction(user.key, { name: 'hello', source: 'export default () => "hello"' });
  const answer = await api.post(`/v1/functions/${fn.id}/executions`, user.key, {});
  assert.equal(answer.body?.status, 'success', answer.text);
}

interface Proc {
  pid: number;
  ppid: number;
  state: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(ppid), state: state! };
  } catch {
    return null;
  }
}

/** Alive: present and not a zombie (an orphan's zombie may wait for a reaper that never comes). */
function alive(pid: number): boolean {
  const proc = readProc(pid);
  return proc !== null && proc.state !== 'Z';
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** `pid` and every live process below it. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = readProc(Number(entry));
    if (!proc || proc.state === 'Z') continue;
    children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), proc.pid]);
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found.filter(alive);
}

/** The launcher's processes, by role. */
function roles(launcherPid: number): { server: number; executors: number[] } {
  const pids = tree(launcherPid);
  const server = pids.filter((pid) => commandLine(pid).some((arg) => arg.endsWith(path.join('src', 'cli', 'main.ts'))));
  const executors = pids.filter((pid) => commandLine(pid).some((arg) => arg.endsWith(path.join('src', 'executor', 'child.ts'))));
  assert.equal(server.length, 1, `one server process among ${pids.map((pid) => `${pid}: ${commandLine(pid).join(' ')}`).join('; ')}`);
  return { server: server[0]!, executors };
}

async function waitUntilGone(pids: readonly number[], withinMs: number): Promise<number> {
  const started = performance.now();
  while (pids.some(alive)) {
    if (performance.now() - started > withinMs) {
      assert.fail(`still running ${withinMs} ms later: ${pids.filter(alive).map((pid) => `${pid} ${commandLine(pid).slice(0, 4).join(' ')}`).join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return performance.now() - started;
}

/** An older Node on PATH (one without process.execve), if the machine has one. */
function olderNode(): string | undefined {
  const pinned = realpathSync(nodeBin);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'node');
    if (dir === '' || !existsSync(candidate) || realpathSync(candidate) === pinned) continue;
    const probe = spawnSync(candidate, ['-p', 'process.versions.node.split(".")[0] + " " + typeof process.execve'], { encoding: 'utf8', timeout: 30_000 });
    const [major, execve] = probe.stdout.trim().split(' ');
    if (probe.status === 0 && Number(major) >= 18 && Number(major) < 24 && execve === 'undefined') return candidate;
  }
  return undefined;
}

const older = olderNode();
const variants: Array<{ name: string; node: string | undefined; nodeArgs: string[]; replaces: boolean; stopWith: NodeJS.Signals }> = [
  { name: `an older Node (${older ?? 'none on PATH'}): spawned with a pipe`, node: older, nodeArgs: [], replaces: false, stopWith: 'SIGTERM' },
  { name: 'Node 24 without --no-node-snapshot: replaced in place', node: nodeBin, nodeArgs: [], replaces: true, stopWith: 'SIGINT' },
  // As npm scripts and npx run it: the flag is there, the server's heap flag is not yet.
  { name: 'Node 24 with --no-node-snapshot: replaced in place', node: nodeBin, nodeArgs: ['--no-node-snapshot'], replaces: true, stopWith: 'SIGTERM' },
  {
    name: 'Node 24 without process.execve: spawned with a pipe',
    node: nodeBin,
    nodeArgs: ['--import', 'data:text/javascript,delete process.execve'],
    replaces: false,
    stopWith: 'SIGINT',
  },
];

describe('the launcher owns its server', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  // Whatever a failed test leaves behind is ended: only processes it started, and only while
  // they still run teejs code (a pid may have been reused since).
  const started = new Set<number>();
  const dirs: string[] = [];
  after(() => {
    for (const pid of started) {
      if (alive(pid) && commandLine(pid).some((arg) => arg.startsWith(projectRoot))) process.kill(pid, 'SIGKILL');
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const track = (launcher: ChildProcess, found: { server: number; executors: number[] }) => {
    for (const pid of [launcher.pid!, found.server, ...found.executors]) started.add(pid);
    return found;
  };

  for (const variant of variants) {
    test(variant.name, { skip: variant.node === undefined && 'no older Node on PATH', timeout: 4 * startMs }, async (t) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-launcher-'));
      dirs.push(dataDir);
      const first = await startServer(variant.node!, variant.nodeArgs, dataDir);
      started.add(first.launcher.pid!);
      await runOnce(first.api);
      const { server, executors } = track(first.launcher, roles(first.launcher.pid!));
      assert.ok(executors.length >= 1, 'an executor runs');
      if (variant.replaces) assert.equal(server, first.launcher.pid, 'the launcher became the server: one process, not two');
      else assert.notEqual(server, first.launcher.pid, 'the launcher spawned the server');
      assert.ok(commandLine(server).includes('--max-semi-space-size=4'), `the server runs with a small young generation: ${commandLine(server).join(' ')}`);

      first.launcher.kill('SIGKILL');
      assert.equal((await first.exited).signal, 'SIGKILL');
      const goneAfter = await waitUntilGone([server, ...executors], goneMs);
      t.diagnostic(`server and ${executors.length} executor(s) gone ${Math.round(goneAfter)} ms after SIGKILL of the launcher`);
      // Spawned, the server learns of it from its pipe and stops as on SIGTERM.
      if (!variant.replaces) assert.match(first.output(), /"msg":"stopped"/);

      const second = await startServer(variant.node!, variant.nodeArgs, dataDir);
      started.add(second.launcher.pid!);
      await runOnce(second.api);
      const restarted = track(second.launcher, roles(second.launcher.pid!));
      second.launcher.kill(variant.stopWith);
      assert.deepEqual(await second.exited, { code: 0, signal: null }, second.output());
      assert.match(second.output(), /"msg":"stopped"/);
      await waitUntilGone([restarted.server, ...restarted.executors], goneMs);
      assert.ok(!existsSync(path.join(dataDir, 'server.pid')), 'a graceful stop releases the data directory');
    });
  }
});
