// `teejs secrets set|list|delete`: the caller's secrets. A value is read from stdin or asked
// for at a terminal without echo, never taken from the command line (where `ps` and shell
// history would show it); the service never answers it back.
import { unwrap } from '../client/index.ts';
import { table } from './service/format.ts';
import { readValue } from './service/input.ts';
import { commonOptions, connect, parseCommand, positionalArgs, printHelp, withService, writeJson } from './service/session.ts';
import { exitStatus, UsageError } from './usage.ts';

export const secretsHelp = `Usage: teejs secrets set NAME      set a secret (create it, or replace its value)
       teejs secrets list          your secrets' names, versions and dates
       teejs secrets delete NAME   delete a secret

'set' reads the value from stdin (one final newline is dropped), or asks for it at a
terminal without echo; a value is never taken from the command line. Values are stored
encrypted and never shown again. A function reads a secret with secrets.get(NAME) when its
allowed secrets list NAME ('teejs deploy FILE --allow-secret NAME').

Options:
  --json        print the service's answer as JSON
  -h, --help    this text

Exit status: 0 done, 1 the service refused (no such secret, quota...), 2 usage error.
`;

export async function secretsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('secrets', args, { ...commonOptions });
  if (values.help) return printHelp(secretsHelp);
  const [action, ...rest] = positionals;
  switch (action) {
    case 'set': {
      const [name] = positionalArgs('secrets set', rest, ['NAME']) as [string];
      const value = await readValue(`value of secret ${name}: `);
      const { client, url } = connect();
      return withService(url, async () => {
        const answer = await client.PUT('/v1/secrets/{name}', { params: { path: { name } }, body: { value } });
        const meta = await unwrap(Promise.resolve(answer));
        if (values.json) writeJson(meta);
        else process.stdout.write(`${answer.response.status === 201 ? 'created' : 'updated'} secret ${meta.name} (version ${meta.version})\n`);
        return exitStatus.success;
      });
    }
    case 'list': {
      positionalArgs('secrets list', rest, []);
      const { client, url } = connect();
      return withService(url, async () => {
        const { items } = await unwrap(client.GET('/v1/secrets'));
        if (values.json) writeJson(items);
        else if (items.length === 0) process.stdout.write('no secrets\n');
        else process.stdout.write(table(['NAME', 'VERSION', 'UPDATED'], items.map((secret) => [secret.name, String(secret.version), secret.updatedAt])));
        return exitStatus.success;
      });
    }
    case 'delete': {
      const [name] = positionalArgs('secrets delete', rest, ['NAME']) as [string];
      const { client, url } = connect();
      return withService(url, async () => {
        await unwrap(client.DELETE('/v1/secrets/{name}', { params: { path: { name } } }));
        if (values.json) writeJson({ name, deleted: true });
        else process.stdout.write(`deleted secret ${name}\n`);
        return exitStatus.success;
      });
    }
    case undefined:
      throw new UsageError("secrets needs set, list or delete (try 'teejs secrets --help')");
    default:
      throw new UsageError(`secrets: unknown action '${action}': use set, list or delete (try 'teejs secrets --help')`);
  }
}
