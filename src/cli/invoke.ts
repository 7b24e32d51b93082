// `teejs invoke NAME`: runs a stored function on the service, and waits for its result (or,
// with --async, prints the id of the execution started in the background).
import { readFileSync } from 'node:fs';
import { unwrap } from '../client/index.ts';
import { formatExecution } from './service/format.ts';
import { commonOptions, connect, parseCommand, positionalArgs, printHelp, requireFunction, withService, writeJson } from './service/session.ts';
import { exitStatus, UsageError } from './usage.ts';

export const invokeHelp = `Usage: teejs invoke NAME [--params JSON | --params-file PATH] [--version N] [--async] [--json]

Runs your function NAME on the service with the given parameters and prints its logs and
result, or its error, as \`teejs run\` does.

Options:
  --params JSON          parameters passed to the function (default {})
  --params-file PATH     read the parameters from a JSON file
  --version N            run that recorded version instead of the active one
                         (see 'teejs versions NAME'); the active one stays as it is
  --async                start the execution in the background and print its id at once;
                         see it later with 'teejs executions NAME' or 'teejs logs NAME'
  --json                 print the execution (or, with --async, { executionId, ... }) as JSON
  -h, --help             this text

Exit status: 0 success (or started, with --async), 1 the execution ended in error or the
service refused, 2 usage error.
`;

export async function invokeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('invoke', args, { ...commonOptions, params: { type: 'string' }, 'params-file': { type: 'string' }, async: { type: 'boolean' }, version: { type: 'string' } });
  if (values.help) return printHelp(invokeHelp);
  const [name] = positionalArgs('invoke', positionals, ['NAME']) as [string];
  const params = readParams(values.params, values['params-file']);
  const version = values.version === undefined ? undefined : Number(values.version);
  if (version !== undefined && (!/^\d+$/.test(values.version!) || !Number.isSafeInteger(version) || version < 1)) {
    throw new UsageError(`--version must be a version number (1, 2, ...), got '${values.version}'`);
  }
  const { client, url } = connect();
  return withService(url, async () => {
    const fn = await requireFunction(client, name);
    const answer = await unwrap(client.POST('/v1/functions/{id}/executions', { params: { path: { id: fn.id } }, body: { params, async: values.async === true, ...(version === undefined ? {} : { version }) } }));
    if (!('result' in answer)) {
      if (values.json) writeJson(answer);
      else process.stdout.write(`started execution ${answer.executionId} of ${name} (version ${answer.functionVersion}); follow it with 'teejs logs ${name} --follow'\n`);
      return exitStatus.success;
    }
    if (values.json) writeJson(answer);
    else process.stdout.write(formatExecution(answer));
    return answer.status === 'success' ? exitStatus.success : exitStatus.executionError;
  });
}

function readParams(inline: string | undefined, file: string | undefined): unknown {
  if (inline !== undefined && file !== undefined) throw new UsageError('use --params or --params-file, not both');
  if (inline === undefined && file === undefined) return {};
  let text = inline;
  if (text === undefined) {
    try {
      text = readFileSync(file!, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read params file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${inline !== undefined ? '--params' : file} is not valid JSON: ${(error as Error).message}`);
  }
}
