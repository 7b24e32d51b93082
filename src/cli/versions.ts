// `teejs versions NAME`: every version of a function, the active one marked; `teejs rollback
// NAME VERSION`: makes a recorded version the active one. Each deploy makes a new version;
// the service keeps all of them, and a rollback changes none (the next deploy is numbered
// after the newest).
import { unwrap } from '../client/index.ts';
import { table } from './service/format.ts';
import { commonOptions, connect, parseCommand, positionalArgs, printHelp, requireFunction, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const versionsHelp = `Usage: teejs versions NAME [--json]

Lists every version of your function NAME, oldest first: when it was made, its language,
limits, source size (and how many modules, for a function of several) and the names in its
env. The active version (the one that runs) is marked with *.

Options:
  --json        print the versions as JSON: { active, items: [FunctionVersion...] }
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
      writeJson({ active: fn.version, items });
      return exitStatus.success;
    }
    const rows = items.map((version) => [
      `${version.version === fn.version ? '*' : ' '} ${version.version}`,
      version.createdAt,
      version.language,
      `${version.timeoutMs} ms`,
      `${version.memoryMb} MB`,
      sourceSize(version),
      Object.keys(version.env).join(',') || '-',
    ]);
    process.stdout.write(table(['  VERSION', 'CREATED', 'LANGUAGE', 'TIMEOUT', 'MEMORY', 'SOURCE', 'ENV'], rows));
    return exitStatus.success;
  });
}

export const rollbackHelp = `Usage: teejs rollback NAME VERSION [--json]

Makes VERSION of your function NAME the active one: its code, limits and allowed secrets and
hosts are what runs from now on. No version is changed or removed ('teejs versions NAME'
still lists them all), a later version can be made active again the same way, and the next
deploy is numbered after the newest version.

Options:
  --json        print { id, name, version, previous } as JSON
  -h, --help    this text

Exit status: 0 done, 1 the service refused (no such function or version), 2 usage error.
`;

export async function rollbackCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('rollback', args, { ...commonOptions });
  if (values.help) return printHelp(rollbackHelp);
  const [name, versionText] = positionalArgs('rollback', positionals, ['NAME', 'VERSION']) as [string, string];
  if (!/^[1-9][0-9]{0,8}$/.test(versionText)) throw new UsageError(`VERSION must be a version number (1, 2...), got '${versionText}'`);
  const version = Number(versionText);
  const { client, url } = connect();
  return withService(url, async () => {
    const fn = await requireFunction(client, name);
    const answer = await client.POST('/v1/functions/{id}/versions/{version}/activate', { params: { path: { id: fn.id, version } } });
    if (answer.response.status === 404) throw new CommandError(`${name} has no version ${version} (see 'teejs versions ${name}')`);
    const activated = await unwrap(Promise.resolve(answer));
    if (values.json) writeJson({ id: activated.id, name: activated.name, version: activated.version, previous: fn.version });
    else process.stdout.write(`${name}: version ${activated.version} is active (was ${fn.version})\n`);
    return exitStatus.success;
  });
}


function sourceSize(version: { source: string; modules: Record<string, string> | null }): string {
  if (version.modules === null) return `${Buffer.byteLength(version.source, 'utf8')} bytes`;
  const texts = Object.values(version.modules);
  return `${texts.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), 0)} bytes, ${texts.length} modules`;
}
