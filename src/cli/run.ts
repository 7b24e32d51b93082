// `teejs run FILE`: one execution on the in-process isolation core, printed as one JSON
// document (--json) or as a readable report.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KeyError, processSigningKey, SigningKey } from '../attestation/keys.ts';
import { signResult } from '../attestation/receipt.ts';
import { checkLimit, defaultLimits, InMemorySecretStore, limitBounds, LimitError, resolveNetworkPolicy, type ExecutionRequest, type ExecutionResult, type LimitName, type NetworkOptions } from '../core/index.ts';
import { ExecutorPool } from '../executor/index.ts';
import { failedResult } from '../executor/executor-process.ts';
import { envOf } from './env-args.ts';
import { moduleFilesOf } from './module-files.ts';
import { formatReport } from './report.ts';
import { exitStatus, parseCommandLine, UsageError } from './usage.ts';

export const runHelp = (): number => {
  process.stdout.write(`Usage: teejs run FILE [options]

Runs FILE once, in a fresh V8 isolate: an ES module with a default export, or a script that
defines main(); JavaScript (.js/.mjs/.cjs) or TypeScript (.ts/.mts/.cts, types are stripped,
not checked).

Options:
  --params JSON          parameters passed to the function (default {})
  --params-file PATH     read the parameters from a JSON file
  --user ID              user id the function runs as (default "local")
  --function-id ID       function id (default: the file name without extension)
  --secret NAME=VALUE    a secret the function can read with secrets.get(NAME); repeatable
  --env NAME=VALUE       a value the function reads as context.env.NAME; repeatable
  --env-file PATH        NAME=VALUE lines (blank lines and # comments skipped); --env wins
  --timeout MS           time limit in milliseconds, ${limitBounds.timeoutMs.min} to ${limitBounds.timeoutMs.max} (default ${defaultLimits.timeoutMs})
  --memory MB            memory limit in megabytes, ${limitBounds.memoryMb.min} to ${limitBounds.memoryMb.max} (default ${defaultLimits.memoryMb})
  --max-source-bytes N   largest source in bytes, ${limitBounds.maxSourceBytes.min} to ${limitBounds.maxSourceBytes.max} (default ${defaultLimits.maxSourceBytes})
  --allow-host PATTERN   a host fetch() may reach: a name, *.domain (subdomains only) or *
                         (any public host); repeatable. Without it, fetch refuses every URL
  --allow-http           allow plain http:// URLs (https only by default)
  --allow-private-network
                         allow loopback, private (RFC 1918), CGNAT and unique-local addresses
                         (cloud metadata addresses stay blocked)
  --bundle               bundle FILE and the npm packages it imports first (as 'teejs bundle')
  --deterministic        seeded Math.random and crypto randomness, a clock that starts at
                         the start time and advances 1 ms per read, fetch refused: the
                         receipt can then be replayed (teejs verify --replay)
  --signing-key FILE     sign the result's receipt with this Ed25519 private key (PKCS#8
                         PEM); without it, a fresh key made for this run only
  --json                 print exactly one ExecutionResult as JSON on stdout
  -h, --help             this text

Exit status: 0 success, 1 the execution ended in error, 2 usage error.
`);
  return exitStatus.success;
};

const options = {
  params: { type: 'string' },
  'params-file': { type: 'string' },
  user: { type: 'string' },
  'function-id': { type: 'string' },
  secret: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  'env-file': { type: 'string' },
  timeout: { type: 'string' },
  memory: { type: 'string' },
  'max-source-bytes': { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  'allow-http': { type: 'boolean' },
  'allow-private-network': { type: 'boolean' },
  bundle: { type: 'boolean' },
  'signing-key': { type: 'string' },
  deterministic: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  if (values.help) return runHelp();
  if (positionals.length !== 1) throw new UsageError('run takes exactly one FILE (try \'teejs run --help\')');
  const file = positionals[0]!;

  let source: string;
  let bundleProblems: string[] | null = null;
  try {
    source = values.bundle ? await bundledSource(file) : readText(file, 'function file');
  } catch (error) {
    if (!(error instanceof BundleFailure)) throw error;
    source = '';
    bundleProblems = error.problems;
  }
  const userId = values.user ?? 'local';
  // Its neighbours, when it imports them by relative paths: run as one function of several modules.
  const files = values.bundle || bundleProblems !== null ? null : moduleFilesOf(file, source);
  const request: ExecutionRequest = {
    source,
    ...(files !== null && Object.keys(files.modules).length > 0 ? { modules: files.modules, entry: files.entry } : {}),
    filename: path.basename(file),
    userId,
    functionId: values['function-id'] ?? path.basename(file).replace(/\.[^.]*$/, ''),
    params: readParams(values.params, values['params-file']),
    env: envOf(values['env-file'], values.env) ?? {},
    ...(values.deterministic ? { deterministic: true } : {}),
  };
  // Checked here, before any executor starts, by the judge the engine and the service use: an
  // out-of-range limit is the command line's fault (exit 2), not the execution's.
  if (values.timeout !== undefined) request.timeoutMs = limitFlag('timeoutMs', '--timeout', values.timeout);
  if (values.memory !== undefined) request.memoryMb = limitFlag('memoryMb', '--memory', values.memory);
  const maxSourceBytes = values['max-source-bytes'] === undefined ? undefined : limitFlag('maxSourceBytes', '--max-source-bytes', values['max-source-bytes']);

  const secrets = new InMemorySecretStore();
  for (const pair of values.secret ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--secret expects NAME=VALUE, got '${pair}'`);
    secrets.set(userId, pair.slice(0, eq), pair.slice(eq + 1));
  }

  const network: NetworkOptions = {
    allowHosts: values['allow-host'] ?? [],
    allowHttp: values['allow-http'] === true,
    allowPrivateNetwork: values['allow-private-network'] === true,
  };
  try {
    resolveNetworkPolicy(network);
  } catch (error) {
    throw new UsageError(`--allow-host: ${(error as Error).message}`);
  }

  let signingKey: SigningKey;
  try {
    signingKey = values['signing-key'] === undefined ? processSigningKey() : SigningKey.fromFile(values['signing-key']);
  } catch (error) {
    if (error instanceof KeyError) throw new UsageError(`--signing-key: ${error.message}`);
    throw error;
  }

  // Guest code runs in an executor process, as in the service: a guest that crashes V8 ends
  // this run with EXECUTOR_CRASHED instead of taking the CLI down with it.
  const limits = maxSourceBytes === undefined ? undefined : { maxSourceBytes };
  let result: ExecutionResult;
  if (bundleProblems !== null) {
    // Still one ExecutionResult, signed as any other, for a function that cannot run.
    const message = `the function cannot be bundled: ${bundleProblems.join('; ')}`;
    const failed = failedResult({ ...request, executionId: randomUUID() }, new Date(), { code: 'VALIDATION_ERROR', message });
    result = signResult(failed, { source: request.source, params: request.params, limits: { timeoutMs: request.timeoutMs ?? defaultLimits.timeoutMs, memoryMb: request.memoryMb ?? defaultLimits.memoryMb } }, signingKey);
  } else {
    const executors = await ExecutorPool.start({ secrets, processes: 1, warm: false, engine: { network, limits }, signingKey });
    result = await executors.execute(request);
    await executors.close();
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : formatReport(result, process.stdout.isTTY === true));
  return result.status === 'success' ? exitStatus.success : exitStatus.executionError;
}

/** The bundle of FILE, its notes on stderr; a file that cannot be bundled ends the run (exit 1). */
async function bundledSource(file: string): Promise<string> {
  const { bundleForCommand } = await import('./bundle.ts');
  return bundleForCommand(file, (problems) => new BundleFailure(problems));
}

/** A function file that cannot be bundled: not a usage error, the file's own problem. */
export class BundleFailure extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.name = 'BundleFailure';
    this.problems = problems;
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readParams(inline: string | undefined, file: string | undefined): unknown {
  if (inline !== undefined && file !== undefined) throw new UsageError('use --params or --params-file, not both');
  if (inline === undefined && file === undefined) return {};
  const text = inline ?? readText(file!, 'params file');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${inline !== undefined ? '--params' : file} is not valid JSON: ${(error as Error).message}`);
  }
}

function limitFlag(name: LimitName, flag: string, text: string): number {
  // Decimal text is judged as the number it denotes (1.5, 0, 99999999999); anything else (abc,
  // 1e3, 0x10, an empty string) as the text it is, so that only plain digits ever pass.
  const value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  try {
    return checkLimit(name, value, flag);
  } catch (error) {
    if (error instanceof LimitError) throw new UsageError(error.message);
    throw error;
  }
}
