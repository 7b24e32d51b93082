// teejs command line: `teejs run FILE ...` runs one function once; `teejs serve` the service;
// `teejs verify`, `attest` and `measure` check and vouch for receipts; `teejs help` explains.
import { readFileSync } from 'node:fs';
import { watchLauncher } from './launcher.ts';
import { runCommand, runHelp } from './run.ts';
import { exitStatus, UsageError } from './usage.ts';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const help = `teejs ${version}: run untrusted JavaScript functions in fresh, hardened V8 isolates

Usage:
  teejs run FILE [options]     run one function file once (see 'teejs run --help')
  teejs bundle ENTRY [options] bundle a function and its npm packages into one module
  teejs serve [options]        start the multi-tenant HTTP service (see 'teejs serve --help')
  teejs verify RESULT.json     check a result's signed receipt offline (see 'teejs verify --help')
  teejs attest --nonce HEX     the attestation document of a signing key (see 'teejs attest --help')
  teejs measure                the runtime measurement receipts name (see 'teejs measure --help')
  teejs --help                 this text
  teejs --version              the version

A function file is an ES module with \`export default async function (params, context) {}\`
or a classic script that defines \`main()\` (with the globals \`params\` and \`executionContext\`).
`;

const commands: Record<string, (args: string[]) => Promise<number>> = {
  run: runCommand,
  bundle: (args) => import('./bundle.ts').then((bundle) => bundle.bundleCommand(args)),
  serve: (args) => import('./serve.ts').then((serve) => serve.serveCommand(args)),
  verify: (args) => import('./verify.ts').then((verify) => verify.verifyCommand(args)),
  attest: (args) => import('./attest.ts').then((attest) => attest.attestCommand(args)),
  measure: (args) => import('./measure.ts').then((measure) => measure.measureCommand(args)),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === 'help' && rest[0] === 'run') return runHelp();
    if (command === 'help' && rest[0] === 'bundle') return (await import('./bundle.ts')).bundleHelp();
    process.stdout.write(help);
    return command === undefined ? exitStatus.usage : exitStatus.success;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version}\n`);
    return exitStatus.success;
  }
  const handler = commands[command];
  if (!handler) throw new UsageError(`unknown command '${command}' (try 'teejs --help')`);
  return handler(rest);
}

function exit(code: number): void {
  // Exit only once stdout is flushed: a large JSON document on a pipe could be cut otherwise.
  process.stdout.write('', () => process.exit(code));
}

watchLauncher();
main(process.argv.slice(2)).then(exit, (error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`teejs: ${error.message}\n`);
    exit(exitStatus.usage);
    return;
  }
  process.stderr.write(`teejs: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  exit(exitStatus.executionError);
});
