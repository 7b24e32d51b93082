// `teejs deploy FILE|DIR`: creates the function of that name, or updates it (a new version),
// from local files: one file, or an entry and the modules it imports by relative paths (a set
// of modules, read as `teejs run` reads them), or with --bundle the entry bundled with its npm
// packages. The service compiles everything before it stores anything, so a file with a syntax
// error, an import cycle or a missing module is refused and changes nothing.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { unwrap, type CreateFunctionBody, type FunctionRecord } from '../client/index.ts';
import { envOf } from './env-args.ts';
import { moduleFilesOf, type ModuleFiles } from './module-files.ts';
import { staticImports } from '../core/index.ts';
import { commonOptions, connect, findFunction, parseCommand, positionalArgs, printHelp, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const deployHelp = `Usage: teejs deploy FILE|DIR [options]

Creates the function named NAME from FILE, or, when you have one of that name, makes FILE its
new version. Prints the version now current. FILE is an ES module with a default export or a
script that defines main(); .ts, .mts and .cts files are TypeScript (types are stripped).
When FILE imports files beside it by relative paths ('./lib/util.js'), those are deployed
with it as a function of several modules, FILE its entry. DIR deploys DIR/main.js (or
main.mjs, main.ts, index.js, index.mjs, index.ts), named after DIR.
A source that does not compile, an import cycle, a missing module or an import of a package
is refused (naming the file) and nothing changes.

Options:
  --name NAME            the function's name (default: FILE's name without its extension)
  --bundle               bundle FILE with what it imports (as 'teejs bundle') and deploy the
                         bundle as one file; done without asking when FILE (or a file it
                         imports) imports an npm package, which a function cannot import
                         when it runs
  --description TEXT     a description
  --timeout MS           time limit of one execution in milliseconds
  --memory MB            memory limit of one execution in megabytes
  --allow-secret NAME    a secret the function may read; repeatable (replaces the list)
  --allow-host PATTERN   a host the function may fetch; repeatable (replaces the list)
  --env NAME=VALUE       a value the function reads as context.env.NAME; repeatable
  --env-file FILE        NAME=VALUE lines (blank lines and # comments skipped); --env wins
                         over a name it also sets. With --env or --env-file the function's
                         env is replaced by exactly these; values are not secret (they are
                         shown by the API): use secrets for secrets
  --json                 print { id, name, version, created, modules, env } as JSON
  -h, --help             this text

Limits, lists and env not given keep their values on an update (defaults on a create).
Exit status: 0 deployed, 1 refused by the service (syntax error, quota...), 2 usage error.
`;

const functionName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function deployCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('deploy', args, {
    ...commonOptions,
    name: { type: 'string' },
    description: { type: 'string' },
    timeout: { type: 'string' },
    memory: { type: 'string' },
    'allow-secret': { type: 'string', multiple: true },
    'allow-host': { type: 'string', multiple: true },
    bundle: { type: 'boolean' },
    env: { type: 'string', multiple: true },
    'env-file': { type: 'string' },
  });
  if (values.help) return printHelp(deployHelp);
  const [given] = positionalArgs('deploy', positionals, ['FILE']) as [string];
  const directory = isDirectory(given);
  const file = directory ? entryOf(given) : given;
  const name = values.name ?? path.basename(directory ? path.resolve(given) : file).replace(/\.[^.]*$/, '');
  if (!functionName.test(name)) {
    throw new UsageError(`'${name}' is not a function name (letters, digits, . _ -, at most 64, starting with a letter or digit): use --name`);
  }
  const env = envOf(values['env-file'], values.env);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // The files the entry imports by relative paths go with it, as `teejs run` reads them; npm
  // packages cannot be imported when a function runs, so a set that imports one is bundled.
  let files: ModuleFiles | null = values.bundle ? null : moduleFilesOf(file, source);
  const bundle = values.bundle === true || (files !== null && importsPackages(files, source));
  if (bundle) {
    if (!values.bundle) process.stderr.write(`teejs: ${file} imports npm packages: bundling it with them (as 'teejs bundle')\n`);
    source = await bundled(file);
    files = null;
  }
  const code: Pick<CreateFunctionBody, 'source' | 'modules' | 'entry'> =
    files === null || Object.keys(files.modules).length === 0 ? { source } : { modules: { [files.entry]: source, ...files.modules }, entry: files.entry };
  const fields: Omit<CreateFunctionBody, 'name' | 'source'> = { language: !bundle && /\.[mc]?ts$/.test(file) ? 'typescript' : 'javascript' };
  if (env !== undefined) fields.env = env;
  if (values.description !== undefined) fields.description = values.description;
  if (values.timeout !== undefined) fields.timeoutMs = wholeNumber('--timeout', values.timeout);
  if (values.memory !== undefined) fields.memoryMb = wholeNumber('--memory', values.memory);
  if (values['allow-secret']) fields.allowedSecrets = values['allow-secret'];
  if (values['allow-host']) fields.allowedHosts = values['allow-host'];

  const { client, url } = connect();
  const { fn, created } = await withService(url, async () => {
    try {
      const existing = await findFunction(client, name);
      if (existing) {
        // A one-file deploy of what was a set of modules makes it one file again.
        const body = code.modules === undefined ? { ...code, modules: null } : code;
        return { fn: await unwrap(client.PATCH('/v1/functions/{id}', { params: { path: { id: existing.id } }, body: { ...body, ...fields } })), created: false };
      }
      return { fn: await unwrap(client.POST('/v1/functions', { body: { name, ...code, ...fields } })), created: true };
    } catch (error) {
      throw syntaxErrorAt(file, code.modules === undefined ? null : Object.keys(code.modules), error);
    }
  });
  report(fn, created, values.json === true);
  return exitStatus.success;
}

function report(fn: FunctionRecord, created: boolean, json: boolean): void {
  const modules = fn.modules === null ? null : Object.keys(fn.modules);
  if (json) {
    writeJson({ id: fn.id, name: fn.name, version: fn.version, created, modules, env: fn.env });
    return;
  }
  process.stdout.write(`${created ? 'created' : 'updated'} ${fn.name}: version ${fn.version} (id ${fn.id})\n`);
  if (modules !== null) process.stdout.write(`  modules: ${modules.join(', ')} (entry ${fn.entry})\n`);
  const names = Object.keys(fn.env);
  if (names.length > 0) process.stdout.write(`  env: ${names.join(', ')}\n`);
}

/** Whether a module of the set imports anything but another module by a relative path. */
function importsPackages(files: ModuleFiles, entrySource: string): boolean {
  const texts: Array<[string, string]> = [[files.entry, entrySource], ...Object.entries(files.modules)];
  return texts.some(([path, text]) =>
    staticImports(text, /\.[mc]?ts$/.test(path) ? 'typescript' : 'javascript').some((specifier) => !specifier.startsWith('./') && !specifier.startsWith('../')),
  );
}

function isDirectory(given: string): boolean {
  try {
    return statSync(given).isDirectory();
  } catch {
    return false;
  }
}

const entryNames = ['main.js', 'main.mjs', 'main.ts', 'main.mts', 'index.js', 'index.mjs', 'index.ts', 'index.mts'];

/** The entry file of a function's folder. */
function entryOf(directory: string): string {
  for (const name of entryNames) {
    const candidate = path.join(directory, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this one.
    }
  }
  throw new UsageError(`${directory} has no entry file (${entryNames.join(', ')}): name the entry file instead of the folder`);
}

/** FILE bundled with its npm packages; what cannot be bundled is the file's own problem (exit 1). */
async function bundled(file: string): Promise<string> {
  const { bundleForCommand } = await import('./bundle.ts');
  return bundleForCommand(file, (problems) => new CommandError(`${file} cannot be bundled: ${problems.join('; ')}; nothing was deployed`));
}

/**
 * A SYNTAX_ERROR as compilers print one: FILE:LINE:COLUMN: message, FILE the local file of the
 * module at fault (the service names it by its path in the set).
 */
function syntaxErrorAt(file: string, modulePaths: string[] | null, error: unknown): unknown {
  const api = error as { code?: string; line?: number; column?: number; message?: string };
  if (api.code !== 'SYNTAX_ERROR' || api.line === undefined) {
    if (api.code === 'VALIDATION_ERROR' && api.message) return new CommandError(`VALIDATION_ERROR: ${api.message}; nothing was deployed`);
    return error;
  }
  const at = /\s*\(([^()]*):\d+:\d+\)$/.exec(api.message ?? '');
  const message = at ? (api.message ?? '').slice(0, at.index) : (api.message ?? '');
  const culprit = modulePaths !== null && at && modulePaths.includes(at[1]!) ? path.join(path.dirname(file), at[1]!) : file;
  return new CommandError(`${culprit}:${api.line}:${api.column ?? 1}: ${message}; nothing was deployed`);
}

function wholeNumber(flag: string, text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`${flag} must be a whole number, got '${text}'`);
  return Number(text);
}
