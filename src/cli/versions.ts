// `teejs versions NAME`: every version of a function, the current one marked. Each deploy
// makes a new version; the service keeps all of them.
import { unwrap } from '../client/index.ts';
import { table } from './service/format.ts';
import { commonOptions, connect, parseCommand, positionalArgs, printHelp, requireFunction, withService, writeJson } from './service/session.ts';
import { exitStatus } from './usage.ts';

export const versionsHelp = `Usage: teejs versions NAME [--json]

Lists every version of your function NAME, oldest first: when it was made, its language,
limits and source size. The current version (the one that runs) is marked with *.

Options:
  --json        print the versions as JSON: { current, items: [FunctionVersion...] }
  -h, --help    this text

Exit status: 0 listed, 1 the service refused (no such function), 2 usage error.
`;

export async function versionsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('versions', args, { ...commonOptions });
  if (values.help) return printHelp(versionsHelp);
  const [name] = positionalArgs('versions', positionals, ['NAME']) as [string];
  const { client, url } = connect();
  return withService(url, async () => {
    const fn = await requireFunction(client, name);
    const { items } = await unwrap(client.GET('/v1/functions/{id}/versions', { params: { path: { id: fn.id } } }));
    if (values.json) {
      writeJson({ current: fn.version, items });
      return exitStatus.success;
    }
    const rows = items.map((version) => [
      `${version.version === fn.version ? '*' : ' '} ${version.version}`,
      version.createdAt,
      version.language,
      `${version.timeoutMs} ms`,
      `${version.memoryMb} MB`,
      `${Buffer.byteLength(version.source, 'utf8')} bytes`,
    ]);
    process.stdout.write(table(['  VERSION', 'CREATED', 'LANGUAGE', 'TIMEOUT', 'MEMORY', 'SOURCE'], rows));
    return exitStatus.success;
  });
}
