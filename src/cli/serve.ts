// `teejs serve`: the multi-tenant HTTP service. Prints what a newcomer needs (URL, the operator
// key at first start, a curl example), logs as JSON lines, and drains executions on SIGTERM.
import pino from 'pino';
import { ConfigError, configHelp, describeConfig, loadConfig, type ServiceConfig } from '../service/config.ts';
import { DataDirLockedError } from '../service/data-dir.ts';
import { KeyError } from '../attestation/keys.ts';
import { SigningKeyError } from '../service/attestation/signing-key.ts';
import { NodeIdTakenError } from '../service/node.ts';
import { SchemaTooNewError } from '../store/index.ts';
import { MasterKeyError } from '../service/secrets/master-key.ts';
import { startService, type RunningService } from '../service/server.ts';
import { exitStatus, UsageError } from './usage.ts';

export function serveHelp(): number {
  process.stdout.write(`Usage: teejs serve [options]

Starts the teejs HTTP service: users and API keys, stored functions, encrypted secrets and
execution history, on the embedded SQLite store in the data directory, or on PostgreSQL
when DATABASE_URL is set. A web console at /console, API documentation at /docs and
/openapi.json once started.

Options (flag, environment variable, meaning):
${configHelp()}
  -h, --help                  this text

SIGTERM or SIGINT stops it gracefully (also when sent to the whole process group: executors
leave shutdown to the server): /ready answers 503 at once, no new work is taken, running
executions finish within --shutdown-grace with their leases kept alive, and queued ones are
left to the other nodes (or the next start). Whatever ends the process you started, SIGKILL
included, ends the server and its executors too.
`);
  return exitStatus.success;
}

export async function serveCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) return serveHelp();
  let config: ServiceConfig;
  try {
    config = loadConfig(args, process.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'teejs', node: config.nodeId } });

  let service: RunningService;
  try {
    service = await startService(config, { logger });
  } catch (error) {
    if (error instanceof MasterKeyError || error instanceof SigningKeyError || error instanceof KeyError || error instanceof DataDirLockedError || error instanceof NodeIdTakenError || error instanceof SchemaTooNewError || isListenError(error)) {
      process.stderr.write(`teejs: ${(error as Error).message}\n`);
      return exitStatus.executionError;
    }
    throw error;
  }
  logger.info({ config: describeConfig(config) }, 'configuration');
  process.stdout.write(banner(service, config));

  return new Promise<number>((resolve) => {
    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt > 0) {
        // Ctrl-C reaches both the launcher (which forwards it) and this process: a repeat
        // within a second is the same request; a later one means "stop now".
        if (Date.now() - firstSignalAt < 1000) return;
        logger.warn('second signal: exiting without waiting');
        resolve(exitStatus.executionError);
        return;
      }
      firstSignalAt = Date.now();
      logger.info({ signal }, 'shutting down: finishing running executions');
      service.stop().then(
        () => {
          logger.info('stopped');
          resolve(exitStatus.success);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'error while stopping');
          resolve(exitStatus.executionError);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function isListenError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL';
}

function banner(service: RunningService, config: ServiceConfig): string {
  const url = service.url;
  const lines = [
    '',
    `teejs service listening on ${url}`,
    `  store:      ${service.storeDescription}`,
    `  master key: ${service.masterKey.origin === 'environment' ? 'TEEJS_MASTER_KEY' : `${service.masterKey.file}${service.masterKey.created ? ' (created now, mode 0600: back it up)' : ''}`}`,
    `  signing key: ${service.signingKey.keyId} (${service.signingKey.origin === 'environment' ? 'TEEJS_SIGNING_KEY' : 'sealed in the store'}${service.signingKey.created ? (service.signingKey.retiredKeyId ? `, new: replaces ${service.signingKey.retiredKeyId}` : ', new') : ''}); keys at ${url}/v1/attestation/keys`,
    `  executors:  ${config.executors === 0 ? 'in-process (development only)' : `up to ${config.executors} process(es), ${config.executorSharing === 'tenant' ? 'each running one user at a time' : 'shared by all users'}`}`,
    `  limits:     ${config.concurrency} executions at once; per function up to ${config.limits.maxTimeoutMs} ms and ${config.limits.maxMemoryMb} MB; ${config.rateLimitPerMinute} requests/min per key`,
    `  fetch:      hosts ${config.network.allowHosts.join(', ') || '(none)'}${config.network.allowHttp ? ', http allowed' : ', https only'}${config.network.allowPrivateNetwork ? ', private addresses allowed' : ''}`,
    `  console:    ${url}/console (sign in with an API key)`,
    `  docs:       ${url}/docs (OpenAPI document: ${url}/openapi.json)`,
    '  (the full configuration, secrets masked, is in the log)',
  ];
  if (service.interrupted > 0) lines.push(`  ${service.interrupted} execution(s) left running by the previous stop ended as INTERRUPTED`);
  if (service.bootstrapAdminKey) {
    lines.push(
      '',
      'Operator (admin) key, shown this once: store it now.',
      `  ${service.bootstrapAdminKey}`,
    );
  } else if (config.adminKey === undefined) {
    lines.push('', 'Operator key: the one printed at first start (or set TEEJS_ADMIN_KEY).');
  }
  const admin = service.bootstrapAdminKey ?? '$TEEJS_ADMIN_KEY';
  // Runs as printed in a POSIX shell (the doc examples' test runs it), Node doing what jq would.
  lines.push(
    '',
    'Try it (in a shell; `field` prints one field of a JSON answer):',
    `  URL=${url}`,
    `  ADMIN=${admin}`,
    `  field() { node -p "JSON.parse(require('fs').readFileSync(0, 'utf8')).$1"; }`,
    '  # 1. create a user; the answer holds its first API key, shown once',
    `  KEY=$(curl -s $URL/v1/users -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' -d '{"name":"demo"}' | field apiKey.key)`,
    '  # 2. create a function',
    `  FN=$(curl -s $URL/v1/functions -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\`,
    `    -d '{"name":"hello","source":"export default (params) => ({ hello: params.name })"}' | field id)`,
    '  # 3. run it',
    `  curl -s $URL/v1/functions/$FN/executions -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"params":{"name":"world"}}'`,
    '',
  );
  return `${lines.join('\n')}\n`;
}
