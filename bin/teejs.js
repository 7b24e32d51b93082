#!/usr/bin/env -S node --no-node-snapshot
// Launcher of the teejs CLI. teejs needs Node 24 (pinned as the `node` package) and the flag
// --no-node-snapshot, which isolated-vm requires on Node 20 and later (V8's shared read-only
// heap breaks isolates made from another snapshot) and which NODE_OPTIONS cannot carry. When
// started by an older Node or without the flag, it starts the right one. Plain JavaScript, so
// that any Node can read it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

if (major >= 24 && process.execArgv.includes('--no-node-snapshot')) {
  await import(main);
} else {
  let node = process.execPath;
  if (major < 24) {
    const require = createRequire(import.meta.url);
    node = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  }
  const child = spawn(node, ['--no-node-snapshot', main, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
