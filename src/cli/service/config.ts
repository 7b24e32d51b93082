// Where the service commands find their server and API key: TEEJS_URL and TEEJS_API_KEY, each
// overriding the config file `teejs login` writes ($XDG_CONFIG_HOME/teejs/config.json, or
// ~/.config/teejs/config.json).
//
// Invariants: the file holds an API key, so it is written with mode 0600 (its folder 0700),
// atomically (a rename), and a file that others can read or write, or that another user owns,
// is refused with the reason and the fix, never read.
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandError } from '../usage.ts';

export interface StoredConfig {
  url: string;
  apiKey: string;
}

export interface Credentials {
  url: string;
  apiKey: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'teejs', 'config.json');
}

/** The stored config, or undefined when there is none; a CommandError when it is unsafe or unreadable. */
export function readConfig(file: string): StoredConfig | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CommandError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    // The checks and the read are on one open file: it cannot be swapped in between.
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new CommandError(`refusing ${file}: it belongs to another user (uid ${stat.uid}) and holds an API key; run \`teejs login\` again`);
    }
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
      throw new CommandError(`refusing ${file}: its mode ${mode} lets other users read or change the API key it holds; run \`chmod 600 ${file}\``);
    }
    const parsed = JSON.parse(readFileSync(fd, 'utf8')) as Partial<StoredConfig>;
    if (typeof parsed.url !== 'string' || typeof parsed.apiKey !== 'string') throw new CommandError(`${file} has no url and apiKey; run \`teejs login\``);
    return { url: parsed.url, apiKey: parsed.apiKey };
  } catch (error) {
    if (error instanceof SyntaxError) throw new CommandError(`${file} is not valid JSON; run \`teejs login\` again`);
    throw error;
  } finally {
    closeSync(fd);
  }
}

export function writeConfig(file: string, config: StoredConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  // mode applies on creation, before any byte is written; chmod in case the umask narrowed it oddly.
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

/** URL and key for a command: the environment's first, then the config file's. */
export function resolveCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const fromEnv = { url: env.TEEJS_URL || undefined, apiKey: env.TEEJS_API_KEY || undefined };
  // With both in the environment the file is not even opened.
  const stored = fromEnv.url && fromEnv.apiKey ? undefined : readConfig(configPath(env));
  const url = fromEnv.url ?? stored?.url;
  const apiKey = fromEnv.apiKey ?? stored?.apiKey;
  if (!url || !apiKey) throw new CommandError('not logged in: run `teejs login`, or set TEEJS_URL and TEEJS_API_KEY');
  return { url: normalizeUrl(url, 'TEEJS_URL'), apiKey };
}

/** An http(s) URL without a trailing slash; a CommandError naming where it came from otherwise. */
export function normalizeUrl(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CommandError(`${from} is not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CommandError(`${from} must be an http:// or https:// URL: ${text}`);
  return url.href.replace(/\/+$/, '');
}
