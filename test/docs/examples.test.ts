// Every example in README.md and docs/*.md runs as written. Each fenced code block is one test,
// named FILE:LINE, handled by its kind:
//
// - a guest function (js/ts with `export default` or `function main`, importing nothing): run by
//   an engine; it must compile and pass validation, and what it fetches from api.example.com
//   reaches a local stand-in (stand-in.ts);
// - a shell block (sh/bash): run by bash with `set -euo pipefail` in an empty temporary
//   directory (HOME too), Node 24 and `teejs` first on PATH; a block that uses `$URL` is a walk
//   through the service: the test starts a real `teejs serve` on a free port with a fresh data
//   directory, runs the "Try it" steps of its first-start banner, exactly as printed, and then
//   the block, in one shell;
// - json: must parse;
// - anything else needs a marker on the line before the block (blank lines between allowed):
//     <!-- example: not run (REASON) -->    never run, REASON says why (it is required)
//     <!-- example: output -->              a sample of output, not a command
//     <!-- example: excerpt -->             a json excerpt, not a whole document
//     <!-- example: continues -->           an sh block run after the sh block before it
//                                           in the same file, in the same directory
//     <!-- example: function body -->       js/ts statements: run as the body of an async
//                                           guest function (params, context)
//   A block of no known kind and without a marker fails, so new docs run or say why not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Engine } from '../../src/core/index.ts';
import { generateApiKey } from '../../src/service/auth/keys.ts';
import { makeEngine, run } from '../support/engine.ts';
import { routeToStandIn, standInHosts, startStandIn, type StandIn } from './stand-in.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Block {
  file: string;
  line: number;
  language: string;
  code: string;
  marker: Marker | null;
}

type Marker =
  | { kind: 'not run'; reason: string }
  | { kind: 'output' }
  | { kind: 'excerpt' }
  | { kind: 'function body' }
  | { kind: 'continues' }
  | { kind: 'invalid'; text: string };

/** The fenced code blocks of a markdown file, with the marker before each, if any. */
function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/.exec(lines[index]!);
    if (!open) continue;
    const fence = open[1]!;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length; index++) {
      if (lines[index]!.trim().startsWith(fence) && lines[index]!.trim().replace(/[`~]/g, '') === '') break;
      body.push(lines[index]!);
    }
    blocks.push({ file, line: start + 1, language: open[2]!.toLowerCase(), code: `${body.join('\n')}\n`, marker: markerBefore(lines, start) });
  }
  return blocks;
}

function markerBefore(lines: string[], fenceIndex: number): Marker | null {
  let index = fenceIndex - 1;
  while (index >= 0 && lines[index]!.trim() === '') index--;
  const text = index >= 0 ? lines[index]!.trim() : '';
  if (!text.startsWith('<!-- example:')) return null;
  const match = /^<!-- example: (not run \((.+)\)|output|excerpt|function body|continues) -->$/.exec(text);
  if (!match) return { kind: 'invalid', text };
  if (match[2] !== undefined) return { kind: 'not run', reason: match[2] };
  return { kind: match[1] as 'output' | 'excerpt' | 'function body' | 'continues' };
}

const docs = ['README.md', ...readdirSync(path.join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const blocks = docs.flatMap((file) => extractBlocks(file, readFileSync(path.join(root, file), 'utf8')));

const scriptLanguages = new Set(['js', 'javascript', 'mjs', 'ts', 'typescript', 'mts']);
const shellLanguages = new Set(['sh', 'bash', 'shell']);

/** A guest function: a default export or a main(), and no import of anything. */
function isGuestFunction(block: Block): boolean {
  return scriptLanguages.has(block.language) && /\bexport\s+default\b|\bfunction\s+main\s*\(/.test(block.code) && !/^\s*import\s/m.test(block.code);
}

function isTypeScript(block: Block): boolean {
  return block.language === 'ts' || block.language === 'typescript' || block.language === 'mts';
}

function fetchesStandIn(code: string): boolean {
  return standInHosts.some((host) => code.includes(host));
}

// --- Shell -------------------------------------------------------------------------------------

interface ShellRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Node 24 (the pinned `node` package) and the project's bins (`teejs`) first on PATH. */
const shellPath = [path.join(root, 'node_modules', 'node', 'bin'), path.join(root, 'node_modules', '.bin'), process.env.PATH ?? ''].join(path.delimiter);

/**
 * An empty directory standing in for a checkout's working directory: its `node_modules` is the
 * project's, so `npx teejs` finds the local command (and never asks the registry).
 */
function workDirectory(): string {
  const directory = mkdtempSync(path.join(tmpdir(), 'teejs-docs-'));
  symlinkSync(path.join(root, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
  return directory;
}

function runShell(script: string, cwd: string, extraEnv: Record<string, string> = {}, timeoutMs = 180_000): Promise<ShellRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd,
      env: { ...process.env, PATH: shellPath, HOME: cwd, NPM_CONFIG_OFFLINE: 'true', NPM_CONFIG_UPDATE_NOTIFIER: 'false', NODE_OPTIONS: '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function describeRun(script: string, result: ShellRun): string {
  return `exit ${result.code}\n--- script\n${script}\n--- stdout\n${result.stdout.slice(-6000)}\n--- stderr\n${result.stderr.slice(-6000)}`;
}

// --- The service -------------------------------------------------------------------------------

interface Server {
  /** The banner's "Try it" steps, as printed (without the two-space indent). */
  steps: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * A real `teejs serve` at its first start: a free port, a fresh data directory, no operator key
 * in its environment (so it makes one and prints it in the banner, as for a new user). Guest code
 * runs in-process, where stand-in-preload.ts sends api.example.com to the stand-in (on loopback,
 * hence --allow-private-network).
 */
async function startServer(standIn: StandIn, adminKey?: string): Promise<Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'teejs-docs-data-'));
  const preload = pathToFileURL(fileURLToPath(new URL('./stand-in-preload.ts', import.meta.url))).href;
  const env: NodeJS.ProcessEnv = { ...process.env, TEEJS_DOCS_STAND_IN: `${standIn.address.host}:${standIn.address.port}` };
  delete env.TEEJS_ADMIN_KEY;
  if (adminKey !== undefined) env.TEEJS_ADMIN_KEY = adminKey;
  delete env.TEEJS_MASTER_KEY;
  delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    ['--no-node-snapshot', '--import', preload, path.join(root, 'bin', 'teejs.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--executors', '0', '--allow-private-network', '--log-level', 'warn'],
    { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const output = () => `--- server stdout\n${stdout}\n--- server stderr\n${stderr.slice(-4000)}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const steps = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 60 s\n${output()}`)), 60_000);
      const look = () => {
        const match = /^Try it\b.*\n((?: {2}.*\n)+)\n/m.exec(stdout);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!.replace(/^ {2}/gm, ''));
        }
      };
      child.stdout.on('data', look);
      void exited.then(() => reject(new Error(`the server exited before its banner\n${output()}`)));
    });
    return { steps, output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An error answer of the service ({ "error": { "code": ... } }) anywhere in a shell's output. */
function serviceErrors(stdout: string): string[] {
  return stdout.match(/\{\s*"error"\s*:\s*\{\s*"code"\s*:\s*"[A-Z_]+"[^}]*\}/g) ?? [];
}

// --- The tests ---------------------------------------------------------------------------------

describe('the examples of README.md and docs/*.md', () => {
  let standIn: StandIn;
  let engine: Engine;

  before(async () => {
    standIn = await startStandIn();
    // This process's own fetches (guest functions run by the in-process engine) go to the stand-in.
    routeToStandIn(standIn.address);
    engine = makeEngine({ network: { allowHosts: [...standInHosts], allowPrivateNetwork: true } });
  });
  after(async () => {
    await engine?.close();
    await standIn?.close();
  });

  test('finds the examples', () => {
    assert.ok(blocks.length > 10, `found only ${blocks.length} code blocks`);
  });

  test("the banner's steps run as printed when the operator key comes from TEEJS_ADMIN_KEY", { timeout: 300_000 }, async () => {
    // Then the banner shows ADMIN=$TEEJS_ADMIN_KEY: it works in the operator's shell, which has it.
    const adminKey = generateApiKey().key;
    const cwd = workDirectory();
    const server = await startServer(standIn, adminKey);
    try {
      assert.ok(!server.output().includes(adminKey), 'the banner does not print a key it did not make');
      assert.match(server.steps, /^ADMIN=\$TEEJS_ADMIN_KEY$/m);
      const result = await runShell(server.steps, cwd, { TEEJS_ADMIN_KEY: adminKey });
      const detail = `${describeRun(server.steps, result)}\n${server.output()}`;
      assert.equal(result.code, 0, detail);
      assert.deepEqual(serviceErrors(result.stdout), [], detail);
      assert.match(result.stdout, /"result":\{"hello":"world"\}/, detail);
    } finally {
      await server.stop();
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  for (const block of blocks) {
    const name = `${block.file}:${block.line}`;
    const marker = block.marker;

    if (marker?.kind === 'invalid') {
      test(name, () => assert.fail(`${name}: unknown marker ${marker.text} (a "not run" needs its reason); see test/docs/examples.test.ts`));
      continue;
    }
    if (marker?.kind === 'not run') {
      test(name, { skip: `not run: ${marker.reason}` }, () => {});
      continue;
    }
    if (marker?.kind === 'output') {
      test(name, { skip: 'an output sample' }, () => {});
      continue;
    }

    if (marker?.kind === 'excerpt' && block.language !== 'json') {
      test(name, () => assert.fail(`${name}: "excerpt" marks json blocks only; use <!-- example: not run (REASON) -->`));
      continue;
    }
    if (block.language === 'json') {
      test(name, () => {
        if (marker?.kind === 'excerpt') return;
        assert.doesNotThrow(() => JSON.parse(block.code), `${name}: not JSON; mark it <!-- example: excerpt --> if it is one`);
      });
      continue;
    }

    if (marker?.kind === 'function body' || isGuestFunction(block)) {
      const source = marker?.kind === 'function body' ? `export default async function (params, context) {\n${block.code}}\n` : block.code;
      test(name, async () => {
        assert.ok(scriptLanguages.has(block.language), `${name}: "function body" marks js or ts blocks only`);
        const seen = standIn.seen.length;
        const result = await run(engine, source, { params: {}, ...(isTypeScript(block) ? { language: 'typescript' } : {}) });
        const detail = JSON.stringify({ status: result.status, error: result.error, result: result.result, network: result.network }, null, 2);
        assert.ok(result.error?.code !== 'SYNTAX_ERROR' && result.error?.code !== 'VALIDATION_ERROR', `${name} does not run:\n${detail}`);
        if (fetchesStandIn(block.code)) {
          assert.ok(standIn.seen.length > seen, `${name} fetches ${standInHosts.join(', ')} but reached no stand-in:\n${detail}`);
          for (const record of result.network) assert.ok(!record.blocked && !record.error, `${name}: a request failed:\n${detail}`);
        }
      });
      continue;
    }

    if (shellLanguages.has(block.language)) {
      const service = /\$\{?URL\b/.test(block.code);
      test(name, { timeout: 300_000 }, async () => {
        const cwd = workDirectory();
        let server: Server | null = null;
        try {
          let script = block.code;
          // A block that continues the one before it (files it made, variables it set): that one first.
          if (marker?.kind === 'continues') {
            const previous = blocks.slice(0, blocks.indexOf(block)).reverse().find((other) => other.file === block.file && shellLanguages.has(other.language) && other.marker?.kind !== 'not run');
            assert.ok(previous, `${name}: "continues" but no sh block comes before it in ${block.file}`);
            script = `# ${previous.file}:${previous.line}:\n${previous.code}# ${name}:\n${block.code}`;
          }
          if (service) {
            server = await startServer(standIn);
            script = `# The first-start banner's steps, as printed:\n${server.steps}\n# ${name}:\n${block.code}`;
          }
          const seen = standIn.seen.length;
          const result = await runShell(script, cwd);
          const detail = `${describeRun(script, result)}${server ? `\n${server.output()}` : ''}`;
          assert.equal(result.code, 0, `${name} failed:\n${detail}`);
          if (service) {
            assert.deepEqual(serviceErrors(result.stdout), [], `${name}: the service answered with an error:\n${detail}`);
            if (fetchesStandIn(block.code)) assert.ok(standIn.seen.length > seen, `${name} reached no stand-in:\n${detail}`);
          }
        } finally {
          await server?.stop();
          rmSync(cwd, { recursive: true, force: true });
        }
      });
      continue;
    }

    test(name, () => {
      assert.fail(
        `${name}: a \`${block.language || '(no language)'}\` block of no known kind. Make it runnable (a guest function, sh, json), ` +
          'or say why not on the line before it: <!-- example: not run (REASON) -->, <!-- example: output --> (see test/docs/examples.test.ts)',
      );
    });
  }
});
