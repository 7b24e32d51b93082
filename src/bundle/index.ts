// Bundling a function and its npm dependencies into one ES module, which is what teejs runs (a
// function cannot import at run time: no host module loader ever reaches the guest). esbuild,
// with the settings that make libraries written for browsers and workers work here:
// - platform 'browser' with the worker and browser conditions and `browser` before `module` and
//   `main`: packages that ship a Node build and a web build give the web one, including those
//   that swap single files with a `browser` map in package.json (ethers does: esbuild applies the
//   map only for platform 'browser', not 'neutral');
// - `process.env.NODE_ENV` replaced by "production" (immer, React-style libraries read it, and
//   there is no `process`); `global` read as `globalThis`;
// - a Node built-in module (`fs`, `node:crypto`, …) cannot be bundled: the build fails with the
//   package that asked for it, since a function has no Node APIs;
// - code that generates code at run time (`new Function`, `eval`) is found in the inputs and
//   reported by package: teejs refuses it when it runs (ajv and handlebars have build-time
//   routes: docs/functions.md).
// Invariant: the output is one self-contained ES module (nothing external), or an error.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { build, type Message, type Metafile } from 'esbuild';

export interface BundleOptions {
  minify?: boolean;
  /** Replaces `process.env.NODE_ENV` (default "production"). */
  nodeEnv?: string;
}

export interface BundleWarning {
  /** The npm package the code is in, or null for the function's own files. */
  package: string | null;
  file: string;
  line: number;
  message: string;
}

export interface Bundle {
  code: string;
  bytes: number;
  /** Input files, relative to the entry's directory, with their bytes in the output. */
  inputs: Array<{ file: string; bytes: number }>;
  warnings: BundleWarning[];
}

export class BundleError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'BundleError';
    this.problems = problems;
  }
}

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The npm package a path lies in (`node_modules/@scope/name/...` → `@scope/name`), or null. */
export function packageOf(file: string): string | null {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at === -1 || at + 1 >= parts.length) return null;
  const first = parts[at + 1]!;
  return first.startsWith('@') && at + 2 < parts.length ? `${first}/${parts[at + 2]}` : first;
}

// `new Function(`, `Function('…`, `Function.apply(` / `.call(` (handlebars' compiler) and `eval(`.
const codeGeneration = /\bnew\s+Function\s*\(|(?<![\w$.])Function\s*\(\s*['"`]|(?<![\w$.])Function\.(?:apply|call)\s*\(|(?<![\w$.])eval\s*\(/g;

export async function bundleFunction(entry: string, options: BundleOptions = {}): Promise<Bundle> {
  const root = path.dirname(path.resolve(entry));
  const builtinsAsked: string[] = [];
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2024',
      mainFields: ['browser', 'module', 'main'],
      conditions: ['worker', 'browser', 'import', 'default'],
      resolveExtensions: ['.ts', '.mts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
      define: { 'process.env.NODE_ENV': JSON.stringify(options.nodeEnv ?? 'production'), global: 'globalThis' },
      minify: options.minify === true,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'inline',
      plugins: [
        {
          name: 'teejs-node-builtins',
          setup(builder) {
            builder.onResolve({ filter: /^[a-z_:/]+$/ }, async (args) => {
              if (!nodeBuiltins.has(args.path) || (args.pluginData as { builtinCheck?: boolean } | undefined)?.builtinCheck) return undefined;
              // An npm package of that name (`buffer`, `events`: browser polyfills) is used.
              if (!args.path.startsWith('node:')) {
                const found = await builder.resolve(args.path, {
                  kind: args.kind,
                  importer: args.importer,
                  resolveDir: args.resolveDir,
                  pluginData: { builtinCheck: true },
                });
                if (found.errors.length === 0 && !found.external) return { path: found.path, namespace: found.namespace, sideEffects: found.sideEffects };
              }
              const asker = packageOf(args.importer) ?? path.relative(root, args.importer);
              builtinsAsked.push(`${asker} imports Node's built-in module '${args.path}', which functions do not have (no Node APIs run in the isolate)`);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
  } catch (error) {
    const messages = ((error as { errors?: Message[] }).errors ?? []).map((message) => describe(message, root));
    throw new BundleError(messages.length > 0 ? messages : [(error as Error).message]);
  }
  if (builtinsAsked.length > 0) throw new BundleError([...new Set(builtinsAsked)]);
  const code = result.outputFiles[0]!.text;
  return { code, bytes: Buffer.byteLength(code), inputs: inputsOf(result.metafile, root), warnings: generatedCode(result.metafile, root) };
}

function describe(message: Message, root: string): string {
  const where = message.location ? `${path.relative(root, message.location.file)}:${message.location.line}:${message.location.column + 1}: ` : '';
  return `${where}${message.text}`;
}

function inputsOf(metafile: Metafile, root: string): Bundle['inputs'] {
  const output = Object.values(metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .map(([file, info]) => ({ file: path.relative(root, path.resolve(file)), bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Where the bundled inputs generate code at run time, which teejs refuses (EvalError). */
function generatedCode(metafile: Metafile, root: string): BundleWarning[] {
  const output = Object.values(metafile.outputs)[0];
  const warnings: BundleWarning[] = [];
  for (const [file, info] of Object.entries(output?.inputs ?? {})) {
    if (info.bytesInOutput === 0) continue;
    let text: string;
    try {
      text = readFileSync(path.resolve(file), 'utf8');
    } catch {
      continue;
    }
    codeGeneration.lastIndex = 0;
    const match = codeGeneration.exec(text);
    if (!match) continue;
    const line = text.slice(0, match.index).split('\n').length;
    warnings.push({
      package: packageOf(file),
      file: path.relative(root, path.resolve(file)),
      line,
      message: `generates code at run time (${match[0].trim()}…), which teejs refuses with an EvalError when that code runs`,
    });
  }
  return warnings;
}
