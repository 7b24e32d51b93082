// teejs command line: `teejs run FILE ...` runs one function once, `teejs bundle` makes one
// module of a function and its packages, `teejs serve` is the service; `teejs verify`, `attest`
// and `measure` check and vouch for receipts; login, deploy, invoke, logs, executions, secrets,
// versions and rollback work with a running service through its typed client (teejs/client).
// `teejs help` explains. Each command group is its own module, loaded only when its command runs.
import { readFileSync } from 'node:fs';
import { watchLauncher } from './launcher.ts';
import { printable } from './report.ts';
import { runCommand, runHelp } from './run.ts';
import { CommandError, exitStatus, UsageError } from './usage.ts';

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

Working with a running service (each command has --help and --json):
  teejs login [--url URL]      check and store the service's URL and your API key
  teejs deploy FILE            create or update a function from a file; prints its version
  teejs invoke NAME            run a function (--params JSON, --async)
  teejs logs NAME              console output of recent executions (--follow)
  teejs executions NAME        a function's executions
  teejs secrets set|list|delete
                               your secrets (a value from stdin or a prompt, never argv)
  teejs versions NAME          a function's versions, the active one marked
  teejs rollback NAME VERSION  make an older (or newer) version the active one

The service commands use the URL and key stored by 'teejs login', or TEEJS_URL and
TEEJS_API_KEY. Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.

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
  login: (args) => import('./login.ts').then((login) => login.loginCommand(args)),
  deploy: (args) => import('./deploy.ts').then((deploy) => deploy.deployCommand(args)),
  invoke: (args) => import('./invoke.ts').then((invoke) => invoke.invokeCommand(args)),
  logs: (args) => import('./logs.ts').then((logs) => logs.logsCommand(args)),
  executions: (args) => import('./logs.ts').then((logs) => logs.executionsCommand(args)),
  secrets: (args) => import('./secrets.ts').then((secrets) => secrets.secretsCommand(args)),
  versions: (args) => import('./versions.ts').then((versions) => versions.versionsCommand(args)),
  rollback: (args) => import('./versions.ts').then((versions) => versions.rollbackCommand(args)),
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    if (command === 'help' && rest[0] === 'run') return runHelp();
    // `teejs help deploy` is `teejs deploy --help`.
    if (command === 'help' && rest[0] !== undefined && rest[0] in commands) return commands[rest[0]]!(['--help']);
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
  if (error instanceof CommandError) {
    // One line, whatever the service or a function put in the message.
    process.stderr.write(`teejs: ${printable(error.message.replace(/\s*\n\s*/g, ' '))}\n`);
    exit(exitStatus.executionError);
    return;
  }
  process.stderr.write(`teejs: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  exit(exitStatus.executionError);
});
