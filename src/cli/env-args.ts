// --env NAME=VALUE and --env-file FILE, as `teejs deploy` and `teejs run` take them: the env
// a function reads as context.env (src/core/env.ts judges it, as the engine and the service do).
import { readFileSync } from 'node:fs';
import { checkedEnv, ExecutionFailure } from '../core/index.ts';
import { UsageError } from './usage.ts';

/** --env-file's lines, then each --env: the env to deploy, or undefined when neither was given. */
export function envOf(file: string | undefined, pairs: string[] | undefined): Record<string, string> | undefined {
  if (file === undefined && pairs === undefined) return undefined;
  const env: Record<string, string> = {};
  const set = (pair: string, where: string) => {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`${where}: expected NAME=VALUE, got '${pair.slice(0, 60)}'`);
    Object.defineProperty(env, pair.slice(0, equals).trim(), { value: pair.slice(equals + 1), enumerable: true, writable: true, configurable: true });
  };
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    text.split(/\r?\n/).forEach((line, index) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const equals = trimmed.indexOf('=');
      // A value in matching quotes is the text between them (as in .env files).
      const value = equals > 0 ? trimmed.slice(equals + 1).trim().replace(/^(["'])(.*)\1$/s, '$2') : '';
      set(equals > 0 ? `${trimmed.slice(0, equals)}=${value}` : trimmed, `${file}:${index + 1}`);
    });
  }
  for (const pair of pairs ?? []) set(pair, '--env');
  try {
    // Judged as the service judges it, before anything is sent.
    return checkedEnv(env);
  } catch (error) {
    if (error instanceof ExecutionFailure) throw new UsageError(error.message);
    throw error;
  }
}

