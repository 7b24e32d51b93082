// `npm run bench -- --libraries`: do popular npm libraries run in teejs with Node's result?
// Installs the libraries below (pinned versions) into a temporary project with `npm install`, so
// the machine running it needs the npm registry (CI never runs it). For each library, a small
// function (bench/npm-libraries/<id>.mjs) exercises it with deterministic inputs; it is bundled
// with teejs's own bundleFunction, then run in plain Node (a process of its own importing the
// bundle as a module) and in teejs (Engine, in-process: the default limits, or the source limit
// raised to 16 MiB for a bundle over the 1 MiB default, which the report says), and the JSON
// results are compared.
// ajv and handlebars generate code at run time, which teejs refuses: they run through their
// build-time routes (ajv's standalone code, generated here in Node; templates precompiled with
// the handlebars command), and their naive use is run too, where teejs must answer EvalError.
// Writes npm-libraries.{md,json}.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunction, type BundleWarning } from '../src/bundle/index.ts';
import { Engine } from '../src/core/index.ts';
import { defaultLimits } from '../src/core/limits.ts';
import { machineInfo } from './machine.ts';

/** The libraries and their pinned versions (the newest on 2026-12-02). */
export const libraries: Readonly<Record<string, string>> = {
  'date-fns': '4.4.0',
  uuid: '14.0.3',
  '@noble/hashes': '2.4.0',
  '@noble/curves': '2.4.0',
  'bignumber.js': '11.1.5',
  'decimal.js': '10.6.0',
  marked: '18.2.1',
  'fast-xml-parser': '5.12.1',
  jose: '6.2.18',
  papaparse: '5.7.1',
  mustache: '4.2.0',
  dayjs: '1.11.23',
  luxon: '3.7.2',
  superstruct: '2.0.2',
  valibot: '1.5.0',
  zod: '4.6.7',
  cheerio: '1.2.0',
  ethers: '6.17.0',
  ajv: '8.20.0',
  viem: '2.57.20',
  handlebars: '4.7.10',
  yaml: '2.9.1',
  'lodash-es': '4.18.1',
  immer: '11.2.14',
};

interface Case {
  library: string;
  /** The function file in bench/npm-libraries/. */
  file: string;
  route: string;
  /** 'match': teejs must give Node's result; 'eval-error': teejs must refuse with an EvalError. */
  expect: 'match' | 'eval-error';
}

const fileOf = (library: string) => `${library.replace(/^@[^/]+\//, 'noble-')}.mjs`;
const cases: Case[] = [
  ...Object.keys(libraries).map((library): Case => {
    if (library === 'ajv') return { library, file: 'ajv.mjs', route: 'standalone code generated at build time', expect: 'match' };
    if (library === 'handlebars') return { library, file: 'handlebars.mjs', route: 'precompiled templates + handlebars/runtime', expect: 'match' };
    return { library, file: fileOf(library), route: 'direct', expect: 'match' };
  }),
  { library: 'ajv', file: 'ajv-runtime.mjs', route: 'naive: compile at run time', expect: 'eval-error' },
  { library: 'handlebars', file: 'handlebars-runtime.mjs', route: 'naive: compile at run time', expect: 'eval-error' },
];

type Outcome = { ok: true; result: unknown } | { ok: false; error: string };

interface Row {
  library: string;
  version: string;
  route: string;
  expect: Case['expect'];
  bundleBytes: number | null;
  withinDefault: boolean | null;
  warnings: string[];
  bundleError: string | null;
  node: Outcome | null;
  teejs: Outcome | null;
  /** expect 'match': both ran and gave the same JSON; 'eval-error': teejs refused with an EvalError. */
  passed: boolean;
  difference: string | null;
}

const functionsDir = new URL('./npm-libraries/', import.meta.url).pathname;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A temporary project with the pinned libraries installed and the functions copied in. */
function prepareProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'teejs-npm-libraries-'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'npm-libraries', private: true, type: 'module', dependencies: libraries }, null, 2)}\n`);
  log(`npm install of ${Object.keys(libraries).length} libraries in a temporary project…`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  cpSync(functionsDir, dir, { recursive: true });
  buildTimeRoutes(dir);
  return dir;
}

/**
 * The two build-time routes, as a function author would run them (docs/functions.md):
 * ajv's standaloneCode in a Node build step, and the handlebars command with -c (CommonJS that
 * requires handlebars/runtime).
 */
function buildTimeRoutes(dir: string): void {
  const require = createRequire(join(dir, 'package.json'));
  const Ajv = require('ajv').default as new (options: object) => { compile(schema: unknown): unknown };
  const standaloneCode = require('ajv/dist/standalone').default as (ajv: unknown, validate: unknown) => string;
  const ajv = new Ajv({ allErrors: true, code: { source: true, esm: true } });
  const validate = ajv.compile(JSON.parse(readFileSync(join(dir, 'user.schema.json'), 'utf8')));
  writeFileSync(join(dir, 'validate-user.mjs'), standaloneCode(ajv, validate));
  execFileSync(process.execPath, [require.resolve('handlebars/bin/handlebars'), 'templates/', '-f', 'templates.js', '-c', 'handlebars/runtime'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs the bundle's default export in a Node process of its own. */
async function runInNode(bundlePath: string): Promise<Outcome> {
  const program = `
    const { default: main } = await import(process.argv[1]);
    let outcome;
    try { outcome = { ok: true, result: JSON.parse(JSON.stringify((await main({})) ?? null)) }; }
    catch (error) { outcome = { ok: false, error: String(error instanceof Error ? error.name + ': ' + error.message : error) }; }
    process.stdout.write(JSON.stringify(outcome));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program, pathToFileURL(bundlePath).href], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  try {
    return JSON.parse(output) as Outcome;
  } catch {
    return { ok: false, error: `node exited with ${code}: ${errors.trim().split('\n').slice(-3).join(' ')}` };
  }
}

async function runInTeejs(engine: Engine, code: string, file: string): Promise<Outcome> {
  const result = await engine.execute({ source: code, params: {}, filename: file });
  if (result.status === 'success') return { ok: true, result: result.result ?? null };
  return { ok: false, error: `${result.error?.code}: ${result.error?.message}` };
}

function describeWarning(warning: BundleWarning): string {
  return `${warning.package ?? warning.file} (${warning.file}:${warning.line}): ${warning.message}`;
}

/** The first place two JSON values differ, as a path and both values. */
function firstDifference(a: unknown, b: unknown, path = '$'): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  const show = (value: unknown) => (JSON.stringify(value) ?? 'undefined').slice(0, 200);
  return `${path}: Node ${show(a)}, teejs ${show(b)}`;
}

interface Engines {
  /** teejs's default limits: 1 MiB of source, 30 s, 128 MB. */
  standard: Engine;
  /** The same with a 16 MiB source limit, for a bundle over the default. */
  large: Engine;
}

async function measure(dir: string, engines: Engines, item: Case): Promise<Row> {
  const row: Row = {
    library: item.library,
    version: libraries[item.library]!,
    route: item.route,
    expect: item.expect,
    bundleBytes: null,
    withinDefault: null,
    warnings: [],
    bundleError: null,
    node: null,
    teejs: null,
    passed: false,
    difference: null,
  };
  let bundle;
  try {
    bundle = await bundleFunction(join(dir, item.file));
  } catch (error) {
    row.bundleError = error instanceof Error ? error.message : String(error);
    return row;
  }
  row.bundleBytes = bundle.bytes;
  row.withinDefault = bundle.bytes <= defaultLimits.maxSourceBytes;
  row.warnings = bundle.warnings.map(describeWarning);
  const bundlePath = join(dir, 'out', item.file);
  writeFileSync(bundlePath, bundle.code);
  row.node = await runInNode(bundlePath);
  row.teejs = await runInTeejs(row.withinDefault ? engines.standard : engines.large, bundle.code, item.file);
  if (item.expect === 'eval-error') {
    row.passed = !row.teejs.ok && /EvalError/.test(row.teejs.error);
    row.difference = row.passed ? 'refused as expected' : 'expected an EvalError in teejs';
  } else if (row.node.ok && row.teejs.ok) {
    row.difference = firstDifference(row.node.result, row.teejs.result);
    row.passed = row.difference === null;
  } else {
    row.difference = [row.node.ok ? null : `Node failed: ${row.node.error}`, row.teejs.ok ? null : `teejs failed: ${row.teejs.error}`].filter(Boolean).join('; ');
  }
  return row;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function report(rows: readonly Row[], machine: ReturnType<typeof machineInfo>): { markdown: string; summary: string } {
  const direct = rows.filter((r) => r.expect === 'match');
  const matched = direct.filter((r) => r.passed).length;
  const refused = rows.filter((r) => r.expect === 'eval-error');
  const summary =
    `${matched} of ${direct.length} match Node (ajv and handlebars through their build-time routes); ` +
    `naive run-time code generation refused with EvalError: ${refused.filter((r) => r.passed).length} of ${refused.length}`;
  const kb = (bytes: number | null) => (bytes === null ? '–' : `${(bytes / 1024).toFixed(0)} KB`);
  const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const outcome = (row: Row) =>
    row.bundleError ? `bundle failed: ${cell(row.bundleError)}` : row.passed ? (row.expect === 'match' ? 'same result' : 'EvalError, as expected') : cell(row.difference ?? '');
  const lines = [
    '# npm libraries in teejs',
    '',
    `${machine.date.slice(0, 10)} · ${machine.cpuModel} · Node ${machine.node} · isolated-vm ${machine.isolatedVm} · esbuild ${packageVersion('esbuild')} · commit ${machine.commit}${machine.srcDirty ? ' (src/ modified)' : ''}.`,
    'Each function (bench/npm-libraries/) is bundled with teejs\'s bundler (not minified) and run in Node and in teejs;',
    `"within 1 MiB" is against the default source limit (${defaultLimits.maxSourceBytes} bytes): such a bundle runs in teejs with the default limit, a larger one with a 16 MiB limit.`,
    '',
    '| library | version | route | bundle | within 1 MiB | Node = teejs | bundle warnings |',
    '|---|---|---|---:|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.library} | ${row.version} | ${row.route} | ${kb(row.bundleBytes)} | ${row.withinDefault === null ? '–' : row.withinDefault ? 'yes' : 'no'} | ${outcome(row)} | ${row.warnings.length === 0 ? '' : cell(row.warnings.join('; '))} |`,
    ),
    '',
    summary,
    '',
  ];
  return { markdown: lines.join('\n'), summary };
}

export async function runNpmLibraries({ out }: { out: string }): Promise<void> {
  const dir = prepareProject();
  mkdirSync(join(dir, 'out'));
  const engines: Engines = { standard: new Engine(), large: new Engine({ limits: { maxSourceBytes: 16 * 1024 * 1024 } }) };
  const rows: Row[] = [];
  try {
    for (const item of cases) {
      const row = await measure(dir, engines, item);
      log(`${`${row.library} (${row.route})`.padEnd(60)} ${row.bundleBytes === null ? '' : `${row.bundleBytes} B `}${row.passed ? 'ok' : `NO: ${row.bundleError ?? row.difference}`}`);
      rows.push(row);
    }
  } finally {
    await Promise.all([engines.standard.drain(), engines.large.drain()]);
    if (!process.env.TEEJS_KEEP_LIBRARIES) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
  const machine = machineInfo();
  const { markdown, summary } = report(rows, machine);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'npm-libraries.md'), markdown);
  writeFileSync(join(out, 'npm-libraries.json'), `${JSON.stringify({ machine, esbuild: packageVersion('esbuild'), summary, rows }, null, 2)}\n`);
  process.stdout.write(markdown);
}
