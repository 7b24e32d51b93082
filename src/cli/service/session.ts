// What every service command shares: its arguments parsed (a mistake is a usage error naming
// the command's --help), a typed client for the configured server, failures of the service or
// the network turned into one line, and functions found by name.
import type { ParseArgsOptionsConfig } from 'node:util';
import { createClient, TeejsApiError, unwrap, type FunctionSummary, type TeejsClient } from '../../client/index.ts';
import { CommandError, exitStatus, parseCommandLine, UsageError } from '../usage.ts';
import { resolveCredentials } from './config.ts';

/** Options every service command takes. */
export const commonOptions = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export function parseCommand<const T extends ParseArgsOptionsConfig>(command: string, args: string[], options: T) {
  return parseCommandLine(args, options, { hint: ` (try 'teejs ${command} --help')` });
}

/** Exactly the positionals named, or a usage error saying which are missing or extra. */
export function positionalArgs(command: string, positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) throw new UsageError(`${command} needs ${names.slice(positionals.length).join(' and ')} (try 'teejs ${command} --help')`);
  if (positionals.length > names.length) throw new UsageError(`${command}: unexpected argument '${positionals[names.length]}' (try 'teejs ${command} --help')`);
  return positionals;
}

export interface Session {
  client: TeejsClient;
  url: string;
}

export function connect(env: NodeJS.ProcessEnv = process.env): Session {
  const { url, apiKey } = resolveCredentials(env);
  return { client: createClient({ baseUrl: url, apiKey, headers: { 'user-agent': 'teejs-cli' } }), url };
}

/**
 * Runs a command's work; an error answer or an unreachable server becomes a CommandError of
 * one line ("NOT_FOUND: function not found", "cannot reach http://...: ECONNREFUSED").
 */
export async function withService<T>(url: string | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asCommandError(error, url);
  }
}

export function asCommandError(error: unknown, url: string | undefined): unknown {
  if (error instanceof TeejsApiError) return new CommandError(`${error.code}: ${error.message}`);
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new CommandError(`cannot reach ${url ?? 'the service'}: ${cause?.code ?? cause?.message ?? 'network error'}`);
  }
  return error;
}

/** The caller's function of that name (names are unique per user), or undefined. */
export async function findFunction(client: TeejsClient, name: string): Promise<FunctionSummary | undefined> {
  let cursor: string | undefined;
  do {
    const page = await unwrap(client.GET('/v1/functions', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
    const found = page.items.find((fn) => fn.name === name);
    if (found) return found;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

export async function requireFunction(client: TeejsClient, name: string): Promise<FunctionSummary> {
  const found = await findFunction(client, name);
  if (!found) throw new CommandError(`no function named '${name}' (deploy one with 'teejs deploy FILE --name ${name}')`);
  return found;
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printHelp(text: string): number {
  process.stdout.write(text);
  return exitStatus.success;
}
