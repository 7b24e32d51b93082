// Configuration of `teejs serve`: every setting has a flag, an environment variable and a
// default, in one table; a flag wins over the environment. Secrets (admin key, master key, the
// database password) come only from the environment, never from flags visible in `ps`.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { defaultLimits, limitBounds, parseHostPatterns } from '../core/index.ts';
import { sharingModes, type Sharing } from '../executor/placement.ts';

export interface ServiceConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** The operator key from TEEJS_ADMIN_KEY; when absent one is made at first start. */
  adminKey: string | undefined;
  /** base64 of 32 bytes from TEEJS_MASTER_KEY; when absent a key file in the data directory. */
  masterKey: string | undefined;
  /** PKCS#8 PEM Ed25519 key from TEEJS_SIGNING_KEY; when absent a key made at first start, sealed in the store. */
  signingKey: string | undefined;
  /** Retire this node's signing key at start and make a new one. */
  rotateSigningKey: boolean;
  /** The configfs-tsm report directory that hardware quotes are read from. */
  tsmPath: string;
  /** A file of DCAP collateral (JSON) that attestation documents with a TDX quote carry; none when absent. */
  quoteCollateral: string | undefined;
  /** Names this server in execution leases (PostgreSQL with several servers) and its signing key. */
  nodeId: string;
  logLevel: string;
  /** Executor processes at most (started on demand); 0 runs guest code inside the server process (development only). */
  executors: number;
  /** 'tenant': an executor process runs one user's executions at a time; 'shared': any user's. */
  executorSharing: Sharing;
  /** Executions running at once on this server. */
  concurrency: number;
  /** The share of `concurrency` one user may hold (at least one slot), from 0.01 to 1. */
  maxUserShare: number;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  quotas: {
    functionsPerUser: number;
    secretsPerUser: number;
    secretBytes: number;
    concurrentExecutionsPerUser: number;
    schedulesPerUser: number;
  };
  limits: {
    defaultTimeoutMs: number;
    maxTimeoutMs: number;
    defaultMemoryMb: number;
    maxMemoryMb: number;
    maxSourceBytes: number;
    maxParamsBytes: number;
  };
  /** Finished executions kept per function (older ones are deleted). */
  historyPerFunction: number;
  /** On SIGTERM, how long in-flight executions may take to finish. */
  shutdownGraceMs: number;
  /**
   * How long a node's hold on its executions lasts without renewal (renewed every third): after
   * a crash, its started executions end INTERRUPTED within about 1.3 leases, and its id is free.
   */
  leaseMs: number;
  /** The operator's fetch policy; each function narrows the host list to its own. */
  network: {
    allowHosts: string[];
    allowHttp: boolean;
    allowPrivateNetwork: boolean;
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface Setting {
  flag: string;
  env: string;
  describe: string;
  kind: 'string' | 'int' | 'bool' | 'fraction';
  min?: number;
  max?: number;
  defaultValue: string | number | boolean | undefined;
  /** Read from the environment only. */
  envOnly?: boolean;
}

const settings = {
  host: { flag: 'host', env: 'TEEJS_HOST', describe: 'address to listen on', kind: 'string', defaultValue: '127.0.0.1' },
  port: { flag: 'port', env: 'TEEJS_PORT', describe: 'port to listen on (0: any free port)', kind: 'int', min: 0, max: 65535, defaultValue: 8080 },
  dataDir: { flag: 'data-dir', env: 'TEEJS_DATA_DIR', describe: 'data directory (SQLite file, master key file)', kind: 'string', defaultValue: './.teejs' },
  databaseUrl: { flag: 'database-url', env: 'DATABASE_URL', describe: 'PostgreSQL URL; the embedded SQLite store when absent', kind: 'string', defaultValue: undefined, envOnly: true },
  adminKey: { flag: 'admin-key', env: 'TEEJS_ADMIN_KEY', describe: 'operator key; generated at first start when absent', kind: 'string', defaultValue: undefined, envOnly: true },
  masterKey: { flag: 'master-key', env: 'TEEJS_MASTER_KEY', describe: 'base64 of 32 bytes encrypting secrets; a key file when absent', kind: 'string', defaultValue: undefined, envOnly: true },
  signingKey: { flag: 'signing-key', env: 'TEEJS_SIGNING_KEY', describe: 'Ed25519 private key (PKCS#8 PEM) signing receipts; made at first start and sealed in the store when absent', kind: 'string', defaultValue: undefined, envOnly: true },
  rotateSigningKey: { flag: 'rotate-signing-key', env: 'TEEJS_ROTATE_SIGNING_KEY', describe: "retire this node's signing key and make a new one at this start (old keys stay listed)", kind: 'bool', defaultValue: false },
  tsmPath: { flag: 'tsm-path', env: 'TEEJS_TSM_PATH', describe: 'configfs-tsm report directory for TEE quotes', kind: 'string', defaultValue: '/sys/kernel/config/tsm/report' },
  quoteCollateral: { flag: 'quote-collateral', env: 'TEEJS_QUOTE_COLLATERAL', describe: "file of Intel DCAP collateral (JSON) added to attestation documents with a TDX quote, read at each document (refresh it from your PCCS)", kind: 'string', defaultValue: undefined },
  nodeId: { flag: 'node-id', env: 'TEEJS_NODE_ID', describe: 'name of this server among several on one database (default HOST:PORT)', kind: 'string', defaultValue: undefined },
  logLevel: { flag: 'log-level', env: 'TEEJS_LOG_LEVEL', describe: 'fatal, error, warn, info, debug, trace or silent', kind: 'string', defaultValue: 'info' },
  executors: { flag: 'executors', env: 'TEEJS_EXECUTORS', describe: 'executor processes at most, started on demand (0: in-process, development only)', kind: 'int', min: 0, max: 256, defaultValue: Math.max(8, os.availableParallelism()) },
  executorSharing: { flag: 'executor-sharing', env: 'TEEJS_EXECUTOR_SHARING', describe: "'tenant': a process runs one user's executions at a time; 'execution': one execution at a time (each held to its own memory limit, a process per running execution); 'shared': any user's (denser, but one user's crash ends others')", kind: 'string', defaultValue: 'tenant' },
  concurrency: { flag: 'concurrency', env: 'TEEJS_CONCURRENCY', describe: 'executions at once on this server', kind: 'int', min: 1, max: 10_000, defaultValue: 10 },
  maxUserShare: { flag: 'max-user-share', env: 'TEEJS_MAX_USER_SHARE', describe: 'share of --concurrency one user may run at once, at least 1 slot (1: no cap)', kind: 'fraction', min: 0.01, max: 1, defaultValue: 0.5 },
  bodyLimitBytes: { flag: 'body-limit', env: 'TEEJS_BODY_LIMIT', describe: 'largest request body in bytes', kind: 'int', min: 1024, max: 64 * 1024 * 1024, defaultValue: 4 * 1024 * 1024 },
  rateLimitPerMinute: { flag: 'rate-limit', env: 'TEEJS_RATE_LIMIT', describe: 'requests per minute per API key (or per address without one)', kind: 'int', min: 1, max: 1_000_000, defaultValue: 600 },
  functionsPerUser: { flag: 'max-functions', env: 'TEEJS_MAX_FUNCTIONS', describe: 'functions per user', kind: 'int', min: 1, max: 1_000_000, defaultValue: 100 },
  secretsPerUser: { flag: 'max-secrets', env: 'TEEJS_MAX_SECRETS', describe: 'secrets per user', kind: 'int', min: 1, max: 1_000_000, defaultValue: 50 },
  secretBytes: { flag: 'max-secret-bytes', env: 'TEEJS_MAX_SECRET_BYTES', describe: 'bytes of one secret value', kind: 'int', min: 1, max: 1024 * 1024, defaultValue: 5000 },
  schedulesPerUser: { flag: 'max-schedules', env: 'TEEJS_MAX_SCHEDULES', describe: 'cron schedules per user', kind: 'int', min: 0, max: 100_000, defaultValue: 100 },
  concurrentExecutionsPerUser: { flag: 'max-running', env: 'TEEJS_MAX_RUNNING', describe: 'running and queued executions per user', kind: 'int', min: 1, max: 100_000, defaultValue: 10 },
  defaultTimeoutMs: { flag: 'default-timeout', env: 'TEEJS_DEFAULT_TIMEOUT_MS', describe: 'time limit of a function that sets none, ms', kind: 'int', min: limitBounds.timeoutMs.min, max: limitBounds.timeoutMs.max, defaultValue: 30_000 },
  maxTimeoutMs: { flag: 'max-timeout', env: 'TEEJS_MAX_TIMEOUT_MS', describe: 'highest time limit a function may set, ms', kind: 'int', min: limitBounds.timeoutMs.min, max: limitBounds.timeoutMs.max, defaultValue: 60_000 },
  defaultMemoryMb: { flag: 'default-memory', env: 'TEEJS_DEFAULT_MEMORY_MB', describe: 'memory limit of a function that sets none, MB', kind: 'int', min: limitBounds.memoryMb.min, max: limitBounds.memoryMb.max, defaultValue: 128 },
  maxMemoryMb: { flag: 'max-memory', env: 'TEEJS_MAX_MEMORY_MB', describe: 'highest memory limit a function may set, MB', kind: 'int', min: limitBounds.memoryMb.min, max: limitBounds.memoryMb.max, defaultValue: 256 },
  maxSourceBytes: { flag: 'max-source-bytes', env: 'TEEJS_MAX_SOURCE_BYTES', describe: 'bytes of a function source', kind: 'int', min: limitBounds.maxSourceBytes.min, max: limitBounds.maxSourceBytes.max, defaultValue: defaultLimits.maxSourceBytes },
  maxParamsBytes: { flag: 'max-params-bytes', env: 'TEEJS_MAX_PARAMS_BYTES', describe: 'bytes of JSON params', kind: 'int', min: 2, max: 64 * 1024 * 1024, defaultValue: 1024 * 1024 },
  historyPerFunction: { flag: 'history', env: 'TEEJS_HISTORY', describe: 'finished executions kept per function', kind: 'int', min: 1, max: 10_000_000, defaultValue: 1000 },
  allowHosts: { flag: 'allow-hosts', env: 'TEEJS_ALLOW_HOSTS', describe: 'hosts functions may fetch at most, comma-separated (* any public host)', kind: 'string', defaultValue: '*' },
  allowHttp: { flag: 'allow-http', env: 'TEEJS_ALLOW_HTTP', describe: 'let functions fetch plain http: URLs (https only by default)', kind: 'bool', defaultValue: false },
  allowPrivateNetwork: { flag: 'allow-private-network', env: 'TEEJS_ALLOW_PRIVATE_NETWORK', describe: 'let functions reach loopback and private addresses (development only)', kind: 'bool', defaultValue: false },
  leaseMs: { flag: 'lease', env: 'TEEJS_LEASE_MS', describe: "how long a node's hold on its executions lasts unrenewed (renewed every third; a dead node's end INTERRUPTED within ~1.3x), ms", kind: 'int', min: 1500, max: 600_000, defaultValue: 6000 },
  shutdownGraceMs: { flag: 'shutdown-grace', env: 'TEEJS_SHUTDOWN_GRACE_MS', describe: 'on SIGTERM, time for in-flight executions to finish, ms', kind: 'int', min: 0, max: 3_600_000, defaultValue: 65_000 },
} satisfies Record<string, Setting>;

type Key = keyof typeof settings;

export function configHelp(): string {
  const lines = Object.values(settings).map((setting: Setting) => {
    const flag = setting.envOnly ? '' : `--${setting.flag}${setting.kind === 'bool' ? '' : setting.kind === 'string' ? ' VALUE' : ' N'}`;
    const shown = setting.defaultValue === undefined || setting.defaultValue === false ? '' : ` (default ${setting.defaultValue})`;
    return `  ${flag.padEnd(28)}${setting.env.padEnd(30)}${setting.describe}${shown}`;
  });
  return lines.join('\n');
}

/** Reads flags and environment; throws ConfigError naming the setting that is wrong. */
export function loadConfig(args: string[], env: NodeJS.ProcessEnv): ServiceConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const setting of Object.values(settings) as Setting[]) if (!setting.envOnly) options[setting.flag] = { type: setting.kind === 'bool' ? 'boolean' : 'string' };
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new ConfigError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }

  const value = <K extends Key>(key: K): (typeof settings)[K]['defaultValue'] => {
    const setting: Setting = settings[key];
    const flagValue = setting.envOnly ? undefined : flags[setting.flag];
    if (flagValue === true) return true as never;
    const raw = typeof flagValue === 'string' ? flagValue : env[setting.env] === '' ? undefined : env[setting.env];
    const origin = typeof flagValue === 'string' ? `--${setting.flag}` : setting.env;
    if (raw === undefined) return setting.defaultValue as never;
    if (setting.kind === 'string') return raw as never;
    if (setting.kind === 'bool') {
      if (raw === 'true' || raw === '1') return true as never;
      if (raw === 'false' || raw === '0') return false as never;
      throw new ConfigError(`${origin} must be true or false, got '${raw}'`);
    }
    if (setting.kind === 'fraction') {
      const fraction = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
      if (!(fraction >= setting.min! && fraction <= setting.max!)) throw new ConfigError(`${origin} must be a number from ${setting.min} to ${setting.max}, got '${raw}'`);
      return fraction as never;
    }
    if (!/^\d+$/.test(raw)) throw new ConfigError(`${origin} must be a whole number, got '${raw}'`);
    const number = Number(raw);
    if (number < setting.min! || number > setting.max!) throw new ConfigError(`${origin} must be from ${setting.min} to ${setting.max}, got ${number}`);
    return number as never;
  };

  const config: ServiceConfig = {
    host: value('host') as string,
    port: value('port') as number,
    dataDir: value('dataDir') as string,
    databaseUrl: value('databaseUrl'),
    adminKey: value('adminKey'),
    masterKey: value('masterKey'),
    signingKey: value('signingKey'),
    rotateSigningKey: value('rotateSigningKey') as boolean,
    tsmPath: value('tsmPath') as string,
    quoteCollateral: value('quoteCollateral'),
    // Two servers on one host never share a port, so HOST:PORT tells them apart by default.
    nodeId: value('nodeId') ?? `${os.hostname()}:${value('port')}`,
    logLevel: value('logLevel') as string,
    executors: value('executors') as number,
    executorSharing: value('executorSharing') as ServiceConfig['executorSharing'],
    concurrency: value('concurrency') as number,
    maxUserShare: value('maxUserShare') as number,
    bodyLimitBytes: value('bodyLimitBytes') as number,
    rateLimitPerMinute: value('rateLimitPerMinute') as number,
    quotas: {
      functionsPerUser: value('functionsPerUser') as number,
      secretsPerUser: value('secretsPerUser') as number,
      secretBytes: value('secretBytes') as number,
      concurrentExecutionsPerUser: value('concurrentExecutionsPerUser') as number,
      schedulesPerUser: value('schedulesPerUser') as number,
    },
    limits: {
      defaultTimeoutMs: value('defaultTimeoutMs') as number,
      maxTimeoutMs: value('maxTimeoutMs') as number,
      defaultMemoryMb: value('defaultMemoryMb') as number,
      maxMemoryMb: value('maxMemoryMb') as number,
      maxSourceBytes: value('maxSourceBytes') as number,
      maxParamsBytes: value('maxParamsBytes') as number,
    },
    historyPerFunction: value('historyPerFunction') as number,
    shutdownGraceMs: value('shutdownGraceMs') as number,
    leaseMs: value('leaseMs') as number,
    network: {
      allowHosts: (value('allowHosts') as string)
        .split(',')
        .map((host) => host.trim())
        .filter((host) => host !== ''),
      allowHttp: value('allowHttp') as boolean,
      allowPrivateNetwork: value('allowPrivateNetwork') as boolean,
    },
  };
  checkConsistency(config);
  return config;
}

function checkConsistency(config: ServiceConfig): void {
  try {
    parseHostPatterns(config.network.allowHosts, 'TEEJS_ALLOW_HOSTS');
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const { limits } = config;
  if (limits.defaultTimeoutMs > limits.maxTimeoutMs) throw new ConfigError('the default timeout is above the maximum timeout');
  if (limits.defaultMemoryMb > limits.maxMemoryMb) throw new ConfigError('the default memory limit is above the maximum memory limit');
  if (!sharingModes.includes(config.executorSharing)) throw new ConfigError(`--executor-sharing must be ${sharingModes.join(', ')}, got '${config.executorSharing}'`);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) throw new ConfigError(`unknown log level '${config.logLevel}'`);
  if (config.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  if (config.tsmPath === '') throw new ConfigError('--tsm-path must not be empty');
  if (!/^[\w.:-]{1,128}$/.test(config.nodeId)) throw new ConfigError('the node id may use letters, digits, dot, colon, dash and underscore (at most 128)');
}

/** The configuration as printed at start: secrets masked, the database password hidden. */
export function describeConfig(config: ServiceConfig): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : maskUrl(config.databaseUrl),
    adminKey: config.adminKey === undefined ? '(bootstrap key in the store)' : '(set, from TEEJS_ADMIN_KEY)',
    masterKey: config.masterKey === undefined ? '(key file in the data directory)' : '(set, from TEEJS_MASTER_KEY)',
    signingKey: config.signingKey === undefined ? '(sealed in the store)' : '(set, from TEEJS_SIGNING_KEY)',
  };
}

function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '*****';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
