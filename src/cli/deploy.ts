// `teejs deploy FILE`: creates the function of that name, or updates it (a new version), from
// one local file. The service compiles the source before it stores anything, so a file with a
// syntax error is refused with its line and column and changes nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { unwrap, type CreateFunctionBody, type FunctionRecord } from '../client/index.ts';
import { commonOptions, connect, findFunction, parseCommand, positionalArgs, printHelp, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const deployHelp = `Usage: teejs deploy FILE [options]

Creates the function named NAME from FILE, or, when you have one of that name, makes FILE its
new version. Prints the version now current. FILE is an ES module with a default export or a
script that defines main(); .ts, .mts and .cts files are TypeScript (types are stripped).
A source that does not compile is refused (with its line and column) and nothing changes.

Options:
  --name NAME            the function's name (default: FILE's name without its extension)
  --description TEXT     a description
  --timeout MS           time limit of one execution in milliseconds
  --memory MB            memory limit of one execution in megabytes
  --allow-secret NAME    a secret the function may read; repeatable (replaces the list)
  --allow-host PATTERN   a host the function may fetch; repeatable (replaces the list)
  --json                 print { id, name, version, created } as JSON
  -h, --help             this text

Limits and lists not given keep their values on an update (defaults on a create).
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
  });
  if (values.help) return printHelp(deployHelp);
  const [file] = positionalArgs('deploy', positionals, ['FILE']) as [string];
  const name = values.name ?? path.basename(file).replace(/\.[^.]*$/, '');
  if (!functionName.test(name)) {
    throw new UsageError(`'${name}' is not a function name (letters, digits, . _ -, at most 64, starting with a letter or digit): use --name`);
  }
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const fields: Omit<CreateFunctionBody, 'name' | 'source'> = { language: /\.[mc]?ts$/.test(file) ? 'typescript' : 'javascript' };
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
        return { fn: await unwrap(client.PATCH('/v1/functions/{id}', { params: { path: { id: existing.id } }, body: { source, ...fields } })), created: false };
      }
      return { fn: await unwrap(client.POST('/v1/functions', { body: { name, source, ...fields } })), created: true };
    } catch (error) {
      throw syntaxErrorAt(file, error);
    }
  });
  report(fn, created, values.json === true);
  return exitStatus.success;
}

function report(fn: FunctionRecord, created: boolean, json: boolean): void {
  if (json) writeJson({ id: fn.id, name: fn.name, version: fn.version, created });
  else process.stdout.write(`${created ? 'created' : 'updated'} ${fn.name}: version ${fn.version} (id ${fn.id})\n`);
}

/** A SYNTAX_ERROR as compilers print one: FILE:LINE:COLUMN: message. */
function syntaxErrorAt(file: string, error: unknown): unknown {
  const api = error as { code?: string; line?: number; column?: number; message?: string };
  if (api.code !== 'SYNTAX_ERROR' || api.line === undefined) return error;
  const message = (api.message ?? '').replace(/\s*\([^()]*:\d+:\d+\)$/, '');
  return new CommandError(`${file}:${api.line}:${api.column ?? 1}: ${message}; nothing was deployed`);
}

function wholeNumber(flag: string, text: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw new UsageError(`${flag} must be a whole number, got '${text}'`);
  return Number(text);
}
