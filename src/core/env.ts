// A function's `env`: non-secret configuration it reads (like Workers' vars), plain strings by
// name, handed to the guest as `context.env`, a frozen plain copy made inside the isolate from
// JSON (no host object ever reaches the guest). Judged here for the engine, the service and the
// CLI alike, so a refusal reads the same everywhere.
//
// Invariants: at most `maxEnvEntries` names, each a shell-style identifier of at most
// `maxEnvNameLength` characters; each value a string of at most `maxEnvValueBytes` UTF-8 bytes
// without NUL; names and values together at most `maxEnvBytes`. Secrets belong in the secret
// store (secrets.get), never here: env values are shown by the API and the CLI.
import { ExecutionFailure } from './failure.ts';

export const maxEnvEntries = 64;
export const maxEnvNameLength = 128;
export const maxEnvValueBytes = 5 * 1024;
export const maxEnvBytes = 32 * 1024;
export const envNamePattern = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';
const envName = new RegExp(envNamePattern);

/**
 * A checked plain copy of `env` (absent: empty). Throws VALIDATION_ERROR naming the entry at
 * fault; `field` prefixes the message ("env", "body/env").
 */
export function checkedEnv(env: unknown, field = 'env'): Record<string, string> {
  const copy: Record<string, string> = {};
  if (env === undefined || env === null) return copy;
  if (typeof env !== 'object' || Array.isArray(env) || Object.getPrototypeOf(env) !== Object.prototype) {
    throw invalid(`${field} must be an object of string values by name, such as {"API_BASE": "https://api.example.com"}`);
  }
  // As each caller names fields: "body/env/NAME" in the service, "env.NAME" elsewhere.
  const at = (name: string) => (field.includes('/') ? `${field}/${name}` : `${field}.${name}`);
  const names = Object.keys(env);
  if (names.length > maxEnvEntries) throw invalid(`${field} has ${names.length} entries, over the limit of ${maxEnvEntries}`);
  let bytes = 0;
  for (const name of names) {
    if (!envName.test(name)) {
      throw invalid(`${field} name ${JSON.stringify(name.slice(0, 60))} must be letters, digits and _, not starting with a digit, at most ${maxEnvNameLength} characters`);
    }
    const value = (env as Record<string, unknown>)[name];
    if (typeof value !== 'string') throw invalid(`${at(name)} must be a string`);
    if (value.includes('\0')) throw invalid(`${at(name)} must not contain NUL characters`);
    const valueBytes = Buffer.byteLength(value, 'utf8');
    if (valueBytes > maxEnvValueBytes) throw invalid(`${at(name)} is ${valueBytes} bytes, over the limit of ${maxEnvValueBytes}`);
    bytes += valueBytes + name.length;
    Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
  }
  if (bytes > maxEnvBytes) throw invalid(`${field} is ${bytes} bytes in all, over the limit of ${maxEnvBytes}`);
  return copy;
}

function invalid(message: string): ExecutionFailure {
  return new ExecutionFailure('VALIDATION_ERROR', message);
}
