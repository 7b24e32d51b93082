// The examples of docs/attestation.md run as written: each fenced block after a
// `<!-- example: NAME (sh|js) -->` marker. The shell blocks run with the installed teejs and
// the pinned Node first on PATH (`npx teejs` is `teejs` there); the JavaScript block runs in
// the same directory, its `./src/` import pointed at this checkout.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runtimeInfo } from '../../src/attestation/measurement.ts';
import { binDir, nodeBin, projectRoot, runProcess } from '../support/spawn.ts';

const markdown = readFileSync(path.join(projectRoot, 'docs', 'attestation.md'), 'utf8');
const examples = new Map<string, string>();
for (const match of markdown.matchAll(/<!-- example: ([\w-]+) \((sh|js)\) -->\n```(?:sh|js)\n([\s\S]*?)\n```/g)) examples.set(match[1]!, match[3]!);

const dir = mkdtempSync(path.join(os.tmpdir(), 'teejs-doc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` };
const sh = (script: string, cwd: string) => runProcess('/bin/sh', ['-ec', `cd "$1"; ${script.replaceAll('npx teejs', 'teejs').replaceAll('npx node', 'node')}`, 'sh', cwd], { env, timeoutMs: 240_000 });

test('the examples are all found', () => {
  assert.deepEqual([...examples.keys()].sort(), ['measure-by-hand', 'run-and-verify', 'verify-in-node']);
});

test('run, attest and verify from the shell, then the same checks in Node', { timeout: 600_000 }, async () => {
  const shell = await sh(examples.get('run-and-verify')!, dir);
  assert.equal(shell.code, 0, shell.stdout + shell.stderr);
  assert.match(shell.stdout, /^valid: \d+ checks passed .*attestation\.reportData/);
  assert.match(shell.stdout, /note: no TEE quote \(provider none/);

  const code = examples.get('verify-in-node')!.replace("'./src/", `'${pathToFileURL(path.join(projectRoot, 'src'))}/`);
  writeFileSync(path.join(dir, 'consumer.mjs'), code);
  const node = await sh(`"${nodeBin}" --no-node-snapshot consumer.mjs`, dir);
  assert.equal(node.code, 0, node.stdout + node.stderr);
  assert.match(node.stdout, /^ETH = 42, signed by key [0-9a-f]{64}\n/);

  // Tampered, it fails in both.
  const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
  result.result.price = 43;
  writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result));
  const refused = await sh('teejs verify result.json', dir);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, 'resultSha256: the result does not hash to what the receipt claims\n');
  const refusedInNode = await sh(`"${nodeBin}" --no-node-snapshot consumer.mjs`, dir);
  assert.equal(refusedInNode.code, 1);
});

test('the measurement recomputed by hand is the one receipts name', { timeout: 120_000 }, async (t) => {
  const which = await sh('command -v sha256sum && command -v find && command -v xargs', projectRoot);
  if (which.code !== 0) {
    t.skip('no sha256sum, find or xargs here');
    return;
  }
  const byHand = await sh(examples.get('measure-by-hand')!, projectRoot);
  assert.equal(byHand.code, 0, byHand.stderr);
  assert.equal(byHand.stdout, `${runtimeInfo().measurement}  -\n`);
});
