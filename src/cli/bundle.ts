// `teejs bundle ENTRY`: a function and its npm dependencies as one ES module, ready for
// `teejs run`, the service or the library (src/bundle explains the settings). The bundle goes to
// --out or stdout; what it holds and any warning go to stderr, or as JSON with --json.
import { writeFileSync } from 'node:fs';
import { bundleFunction, BundleError, type Bundle } from '../bundle/index.ts';
import { defaultLimits } from '../core/index.ts';
import { exitStatus, parseCommandLine, UsageError } from './usage.ts';

export const bundleHelp = (): number => {
  process.stdout.write(`Usage: teejs bundle ENTRY [options]

Bundles a function file and the npm packages it imports into one ES module, which is what
teejs runs (a function cannot import anything when it runs). Browser and worker builds of
packages are preferred; process.env.NODE_ENV is "production"; a package that needs a Node
built-in module (fs, net, …) is an error; code generated at run time (new Function, eval),
which teejs refuses, is a warning naming the package.

Options:
  -o, --out FILE         write the bundle to FILE (default: stdout)
  --minify               minify it
  --json                 print a JSON report (bytes, inputs, warnings) on stdout; needs --out
  -h, --help             this text

Exit status: 0 bundled, 1 it cannot be bundled (one line per problem on stderr), 2 usage error.
Run the result with 'teejs run FILE', or bundle and run at once with 'teejs run ENTRY --bundle'.
`);
  return exitStatus.success;
};

const options = {
  out: { type: 'string', short: 'o' },
  minify: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function bundleCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, options);
  if (values.help) return bundleHelp();
  if (positionals.length !== 1) throw new UsageError("bundle takes exactly one ENTRY file (try 'teejs bundle --help')");
  if (values.json && values.out === undefined) throw new UsageError('--json needs --out FILE (the bundle itself would be on stdout)');

  let bundle: Bundle;
  try {
    bundle = await bundleFunction(positionals[0]!, { minify: values.minify === true });
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    for (const problem of error.problems) process.stderr.write(`teejs: ${problem}\n`);
    return exitStatus.executionError;
  }
  if (values.out !== undefined) writeFileSync(values.out, bundle.code);
  else process.stdout.write(bundle.code);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ out: values.out, bytes: bundle.bytes, inputs: bundle.inputs, warnings: bundle.warnings })}\n`);
  } else {
    for (const line of bundleNotes(bundle)) process.stderr.write(`teejs: ${line}\n`);
  }
  return exitStatus.success;
}

/** What a reader of the bundle should know: its size against the default limit, and warnings. */
/**
 * FILE bundled for another command (`run --bundle`, `deploy`): its notes go to stderr; a file that
 * cannot be bundled becomes the caller's own error, made by `failure` from the problems.
 */
export async function bundleForCommand(file: string, failure: (problems: string[]) => Error): Promise<string> {
  try {
    const bundle = await bundleFunction(file);
    for (const line of bundleNotes(bundle)) process.stderr.write(`teejs: ${line}\n`);
    return bundle.code;
  } catch (error) {
    if (error instanceof BundleError) throw failure(error.problems);
    throw error;
  }
}

export function bundleNotes(bundle: Bundle): string[] {
  const notes: string[] = [];
  if (bundle.bytes > defaultLimits.maxSourceBytes) {
    notes.push(`the bundle is ${bundle.bytes} bytes, over the default source limit of ${defaultLimits.maxSourceBytes} (--minify, or --max-source-bytes where it runs)`);
  }
  for (const warning of bundle.warnings) {
    notes.push(`warning: ${warning.package ?? warning.file} (${warning.file}:${warning.line}) ${warning.message}`);
  }
  return notes;
}
