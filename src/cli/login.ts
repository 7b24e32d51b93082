// `teejs login`: checks a server URL and API key against the service (GET /v1/me) and keeps
// them in the config file (mode 0600) the other service commands read.
import { createClient, unwrap } from '../client/index.ts';
import { configPath, normalizeUrl, readConfig, writeConfig } from './service/config.ts';
import { readValue } from './service/input.ts';
import { commonOptions, parseCommand, printHelp, positionalArgs, withService, writeJson } from './service/session.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

export const loginHelp = `Usage: teejs login [--url URL] [--key KEY] [--json]

Checks the API key against the teejs service at URL and stores both in
$XDG_CONFIG_HOME/teejs/config.json (or ~/.config/teejs/config.json), readable by you alone
(mode 0600). The other service commands (deploy, invoke, logs, executions, secrets, versions)
use them; TEEJS_URL and TEEJS_API_KEY, when set, override what is stored.

Without --key, the key is read from stdin, or asked for at a terminal without echo (a key on
the command line is visible to other users in \`ps\`).

Options:
  --url URL     the service (default: TEEJS_URL, the stored URL, or http://127.0.0.1:8080)
  --key KEY     a user's API key (as answered by POST /v1/users or POST /v1/keys)
  --json        print { url, user, config } as JSON
  -h, --help    this text

Exit status: 0 logged in, 1 the key or server was refused, 2 usage error.
`;

export async function loginCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('login', args, { ...commonOptions, url: { type: 'string' }, key: { type: 'string' } });
  if (values.help) return printHelp(loginHelp);
  positionalArgs('login', positionals, []);
  const file = configPath();
  const stored = (() => {
    try {
      return readConfig(file);
    } catch {
      // An unsafe or broken file is replaced by this login, not read.
      return undefined;
    }
  })();
  let url: string;
  try {
    url = normalizeUrl(values.url ?? process.env.TEEJS_URL ?? stored?.url ?? 'http://127.0.0.1:8080', values.url ? '--url' : 'the URL');
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const apiKey = values.key ?? (await readValue(`API key for ${url}: `));
  const user = await withService(url, () => unwrap(createClient({ baseUrl: url, apiKey }).GET('/v1/me'))).catch((error: unknown) => {
    if (error instanceof CommandError && error.message.startsWith('PERMISSION_DENIED')) {
      throw new CommandError('this is the operator key: log in with a user\'s API key (the operator makes users with POST /v1/users)');
    }
    throw error;
  });
  writeConfig(file, { url, apiKey });
  if (values.json) writeJson({ url, user: { id: user.id, name: user.name }, config: file });
  else process.stdout.write(`logged in to ${url} as ${user.name}; saved in ${file}\n`);
  return exitStatus.success;
}
