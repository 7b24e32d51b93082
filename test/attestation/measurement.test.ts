// The runtime measurement is the sha256 of a manifest anyone can rebuild: the shell recipe of
// docs/attestation.md gives the same hash, and a change to one file changes it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sha256Hex } from '../../src/attestation/hash.ts';
import { measurementManifest, runtimeInfo } from '../../src/attestation/measurement.ts';
import { projectRoot } from '../support/spawn.ts';

test('the measurement is the sha256 of the manifest, which names Node, isolated-vm and every file of bin/ and src/', () => {
  const manifest = measurementManifest();
  assert.equal(runtimeInfo().measurement, sha256Hex(manifest));
  const lines = manifest.split('\n');
  assert.equal(lines[0], 'teejs-measurement-v1');
  assert.equal(lines[1], `node ${process.version}`);
  assert.match(lines[2]!, /^isolated-vm \d+\.\d+\.\d+/);
  assert.equal(lines.at(-1), '', 'every line ends in a newline');
  const files = lines.slice(3, -1).map((line) => line.slice(66));
  assert.ok(files.includes('bin/teejs.js') && files.includes('src/attestation/measurement.ts'));
  assert.deepEqual([...files].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), files, 'sorted by byte order');
});

test('sha256sum over the same files gives the same lines (the recipe to recompute it by hand)', (t) => {
  let listed: string;
  try {
    listed = execFileSync('/bin/sh', ['-c', 'code=$([ -d src ] && echo src || echo dist); find bin "$code" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum'], { cwd: projectRoot, encoding: 'utf8' });
  } catch {
    t.skip('no find/sort/sha256sum here');
    return;
  }
  assert.equal(measurementManifest().split('\n').slice(3).join('\n'), listed);
});

test('changing, adding or linking a file changes the measurement only as the recipe says', () => {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'teejs-measure-'));
  try {
    for (const part of ['bin', 'src', 'package.json']) cpSync(path.join(projectRoot, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const before = measurementManifest(copy);
    assert.equal(before, measurementManifest(), 'a copy measures like the original');
    writeFileSync(path.join(copy, 'src', 'core', 'engine.ts'), '// changed\n', { flag: 'a' });
    const changed = measurementManifest(copy);
    assert.notEqual(sha256Hex(changed), sha256Hex(before));
    symlinkSync('/etc/hostname', path.join(copy, 'src', 'link'));
    assert.equal(measurementManifest(copy), changed, 'symbolic links are not measured');
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});

test('the installed package, which has no src/, measures bin/ and dist/', () => {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'teejs-measure-'));
  try {
    for (const part of ['bin', 'package.json']) cpSync(path.join(projectRoot, part), path.join(copy, part), { recursive: true });
    cpSync(path.join(projectRoot, 'src', 'core', 'limits.ts'), path.join(copy, 'dist', 'core', 'limits.js'));
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(copy, 'node_modules'));
    const files = measurementManifest(copy).split('\n').slice(3, -1).map((line) => line.slice(66));
    assert.deepEqual(files, ['bin/teejs.js', 'dist/core/limits.js']);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
});
