// Starts a child Node (the pinned one, with the flag isolated-vm needs) and collects its output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const nodeBin = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
export const binDir = fileURLToPath(new URL('../../node_modules/.bin', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface ProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's stdin, which is then closed (without it, stdin is /dev/null). */
  input?: string;
  timeoutMs?: number;
}

export function runProcess(command: string, args: readonly string[], options: ProcessOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd ?? projectRoot, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin?.end(options.input);
  });
}

export interface NodeScriptOptions {
  nodeFlags?: readonly string[];
  timeoutMs?: number;
  /** For a child expected to abort: no core file lands in the project directory. */
  noCoreDump?: boolean;
}

/** Runs a TypeScript file of this project (a path relative to its root) in a child Node 24. */
export function runNodeScript(script: string, args: readonly string[] = [], options: NodeScriptOptions = {}): Promise<Finished> {
  const nodeArgs = ['--no-node-snapshot', ...(options.nodeFlags ?? []), fileURLToPath(new URL(script, new URL('../../', import.meta.url))), ...args];
  if (options.noCoreDump) {
    return runProcess('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', nodeBin, ...nodeArgs], { timeoutMs: options.timeoutMs });
  }
  return runProcess(nodeBin, nodeArgs, { timeoutMs: options.timeoutMs });
}
