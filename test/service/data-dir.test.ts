// The data directory's lock (src/service/data-dir.ts): held by the kernel for the holder's
// life, whatever pids say; refused with the holder's pid; released by a stop or a death.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirLockedError, lockDataDir, prepareDataDir } from '../../src/service/data-dir.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'teejs-datadir-'));
  dirs.push(dir);
  prepareDataDir(dir);
  return dir;
};

test('a second holder is refused, with the first one named; a release lets the next one in', () => {
  const dir = newDir();
  const release = lockDataDir(dir);
  assert.throws(() => lockDataDir(dir), (error: unknown) => error instanceof DataDirLockedError && error.message.includes(`pid ${process.pid}`));
  release();
  const again = lockDataDir(dir);
  again();
});

test('a pid file naming a live process (pid 1 in another container) does not block a start', () => {
  const dir = newDir();
  writeFileSync(path.join(dir, 'server.pid'), '1\n');
  const release = lockDataDir(dir);
  release();
});

test('the lock holds between processes, and dies with its holder (SIGKILL included)', async () => {
  const dir = newDir();
  const module = fileURLToPath(new URL('../../src/service/data-dir.ts', import.meta.url));
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `
    const { lockDataDir } = await import(${JSON.stringify(module)});
    lockDataDir(${JSON.stringify(dir)});
    process.stdout.write('locked\\n');
    setInterval(() => {}, 1000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    holder.on('exit', () => reject(new Error('the holder exited')));
  });
  assert.throws(() => lockDataDir(dir), (error: unknown) => error instanceof DataDirLockedError && error.message.includes(`pid ${holder.pid}`));
  holder.kill('SIGKILL');
  await new Promise((resolve) => holder.once('exit', resolve));
  const release = lockDataDir(dir);
  release();
});
