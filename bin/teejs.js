#!/usr/bin/env -S node --no-node-snapshot
// Launcher of the teejs CLI. teejs needs Node 24 (pinned as the `node` package) and the flag
// --no-node-snapshot, which isolated-vm requires on Node 20 and later (V8's shared read-only
// heap breaks isolates made from another snapshot) and which NODE_OPTIONS cannot carry. When
// started by an older Node or without the flag, it starts the right one. Plain JavaScript, so
// that any Node can read it.
//
// Invariant: the process a user or a supervisor started owns the CLI, and so the server and
// its executors; whatever ends it, SIGKILL included, they end too and free the data directory.
// - Where process.execve exists (Node >= 22.15 / 23.11), the launcher becomes the right Node
//   in place: same pid, no second process that could be left behind.
// - Otherwise it spawns the right Node with one more stdio pipe, whose far end only this
//   process holds. The kernel closes it when this process ends, however it ends; the CLI reads
//   that EOF as SIGTERM (src/cli/launcher.ts): a graceful stop.
//
// In a checkout it runs the TypeScript sources (src/, by type stripping); the installed package
// has no src/ and runs its build (dist/), since Node strips no types inside node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const sources = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const main = existsSync(sources) ? sources : fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

// `teejs serve` runs for days: V8 lets a busy process's young generation grow to 64 MB
// semi-spaces, which stay resident while holding little but garbage. A small one keeps the
// server's memory flat (docs/bench.md, the service soak); a flag given to Node wins.
const serverFlags = process.argv[2] === 'serve' && !hasFlag('--max-semi-space-size') ? ['--max-semi-space-size=4'] : [];

function hasFlag(name) {
  // V8 reads --a-b and --a_b alike; NODE_OPTIONS may carry it too.
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((flag) => flag.replaceAll('_', '-'));
  return given.some((flag) => flag === name || flag.startsWith(`${name}=`));
}

if (major >= 24 && process.execArgv.includes('--no-node-snapshot') && serverFlags.length === 0) {
  await import(main);
} else {
  let node = process.execPath;
  if (major < 24) {
    // A checkout pins Node 24 as the devDependency `node`; an installed package does not.
    try {
      const require = createRequire(import.meta.url);
      node = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
    } catch {
      process.stderr.write(`teejs: needs Node.js 24 or later; this is Node.js ${process.versions.node}\n`);
      process.exit(1);
    }
  }
  // The flags this Node was given (--inspect, --max-old-space-size...) only mean the same to
  // the same Node.
  const flags = node === process.execPath ? process.execArgv.filter((flag) => flag !== '--no-node-snapshot') : [];
  const args = ['--no-node-snapshot', ...serverFlags, ...flags, main, ...process.argv.slice(2)];
  if (typeof process.execve === 'function') {
    process.execve(node, [node, ...args], process.env);
  }
  const launcherFd = 3;
  const child = spawn(node, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, TEEJS_LAUNCHER_FD: String(launcherFd) },
  });
  // Nothing is ever written: the pipe exists so that its end tells the child this process died.
  child.stdio[launcherFd].on('error', () => {});
  child.on('error', (error) => {
    process.stderr.write(`teejs: cannot start ${node}: ${error.message}\n`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, as a shell expects; our own handlers must not catch it again.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
