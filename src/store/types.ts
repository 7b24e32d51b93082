// The service's persistence, seen through one repository interface. The SQLite (embedded) and
// PostgreSQL backends both implement it and pass the same test suite. Every read and write of a
// tenant's data takes the tenant's user id, so a query can never reach another tenant's rows.
import type { Receipt } from '../attestation/receipt.ts';
import type { ErrorCode, ExecutionError, ExecutionResult, LogEntry, NetworkRecord, SourceForm, SourceLanguage } from '../core/index.ts';

export interface User {
  id: string;
  name: string;
  createdAt: string;
}

export type KeyRole = 'admin' | 'user';

export interface ApiKey {
  id: string;
  /** Null for an operator (admin) key. */
  userId: string | null;
  role: KeyRole;
  name: string;
  /** The first characters of the key, to tell keys apart; never enough to use it. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiKey {
  id: string;
  userId: string | null;
  role: KeyRole;
  name: string;
  prefix: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  hash: string;
  createdAt: string;
}

/** The part of a function that each version fixes: what runs and under which limits. */
export interface FunctionCode {
  /** The source of a one-file function, or of the entry module of a set of modules. */
  source: string;
  /**
   * A function of several ES modules: the others by path (the entry not among them), as the
   * engine takes them (src/core/module-set.ts); null for a one-file function.
   */
  modules: Record<string, string> | null;
  /** The entry module's path, with `modules`; null for a one-file function. */
  entry: string | null;
  /** Non-secret configuration the function reads (context.env): plain strings by name. */
  env: Record<string, string>;
  language: SourceLanguage;
  form: SourceForm | null;
  timeoutMs: number;
  memoryMb: number;
  allowedSecrets: string[];
  allowedHosts: string[];
  /** Runs deterministically (docs/attestation.md), so that a receipt can be replayed. */
  deterministic: boolean;
}

export interface FunctionRecord extends FunctionCode {
  id: string;
  userId: string;
  name: string;
  description: string;
  version: number;
  executionCount: number;
  lastExecutionAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FunctionVersion extends FunctionCode {
  functionId: string;
  version: number;
  createdAt: string;
}

export interface NewFunction extends FunctionCode {
  id: string;
  userId: string;
  name: string;
  description: string;
  createdAt: string;
}

export type FunctionPatch = Partial<FunctionCode & { name: string; description: string }>;

export interface SecretMeta {
  name: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type SecretAction = 'create' | 'update' | 'delete' | 'read';

export interface SecretAuditEntry {
  id: string;
  secretName: string;
  action: SecretAction;
  /** The API key that wrote, for writes; the execution that read, for reads. */
  keyId: string | null;
  executionId: string | null;
  at: string;
}

/**
 * `queued`: accepted, no isolate yet (waiting in the durable queue, or a sync one waiting for a
 * slot on its node); `running`: handed to an executor; then `success` or `error`. Only a
 * `running` execution can end error/INTERRUPTED: a queued one is run by another node instead.
 */
export type ExecutionStatus = 'queued' | 'running' | 'success' | 'error';
/** The stored phase behind the status: queued, started (running), done (success or error). */
export type ExecutionPhase = 'queued' | 'started' | 'done';
/** What made the execution: an API call, a cron schedule's tick, or a webhook request. */
export type ExecutionTrigger = 'api' | 'schedule' | 'webhook';

export interface ExecutionRecord {
  id: string;
  userId: string;
  functionId: string;
  functionVersion: number;
  async: boolean;
  status: ExecutionStatus;
  phase: ExecutionPhase;
  trigger: ExecutionTrigger;
  /** The node running it, or whose client waits for it (queued sync); null while in the shared queue. */
  nodeId: string | null;
  /** For a schedule's execution: the schedule, and the tick it is for. */
  scheduleId: string | null;
  scheduledAt: string | null;
  params: unknown;
  result: unknown;
  error: ExecutionError | null;
  logs: LogEntry[];
  network: NetworkRecord[];
  secretsRead: string[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  cpuTimeMs: number | null;
  memoryUsedBytes: number | null;
  /** The signed receipt it was first answered with; null while running (or interrupted). */
  receipt: Receipt | null;
}

export interface NewExecution {
  id: string;
  userId: string;
  functionId: string;
  functionVersion: number;
  async: boolean;
  params: unknown;
  createdAt: string;
  /**
   * Executions are recorded queued, and move to started when they get a slot. A queued one with
   * a nodeId is a sync one whose client waits on that node: only that node starts it, unless its
   * lease runs out (the node died), when it joins the shared queue for any node.
   */
  phase: 'queued' | 'started';
  nodeId: string | null;
  leaseExpiresAt: string | null;
  trigger?: ExecutionTrigger;
  schedule?: { id: string; tickAt: string };
}

export interface Schedule {
  id: string;
  userId: string;
  functionId: string;
  cron: string;
  timezone: string;
  params: unknown;
  enabled: boolean;
  /** The tick it fires next; null while disabled. */
  nextAt: string | null;
  lastFiredAt: string | null;
  lastExecutionId: string | null;
  lastOutcome: string | null;
  createdAt: string;
  updatedAt: string;
}

export type NewSchedule = Omit<Schedule, 'lastFiredAt' | 'lastExecutionId' | 'lastOutcome' | 'updatedAt'>;
export type SchedulePatch = Partial<Pick<Schedule, 'cron' | 'timezone' | 'params' | 'enabled' | 'nextAt'>>;

/** What firing a tick did: queued an execution, skipped it (the user's quota), or nothing (another node fired it). */
export type TickOutcome = { fired: true; execution: ExecutionRecord } | { fired: false; reason: 'quota' | 'taken' };

/** A function's public webhook endpoint. */
export interface Hook {
  id: string;
  userId: string;
  functionId: string;
  auth: 'token' | 'hmac';
  /** The per-hook secret, sealed with the master key. */
  secret: Uint8Array;
  ratePerMinute: number;
  createdAt: string;
}

export interface HookRejection {
  hookId: string;
  at: string;
  /** Why the request was refused: no credentials, a bad token, a bad or stale signature. */
  reason: string;
  remote: string;
}

/** A server node as registered in the store. */
export interface NodeRecord {
  id: string;
  /** Random per start of the process: tells a restarted or duplicate node apart. */
  instance: string;
  version: string;
  startedAt: string;
  heartbeatAt: string;
  stoppedAt: string | null;
  draining: boolean;
  running: number;
  slots: number;
}

export interface NewNode {
  id: string;
  instance: string;
  version: string;
  at: string;
  slots: number;
}

export type NodeRegistration = { ok: true } | { ok: false; reason: 'live'; heartbeatAt: string };

/** A request made with an Idempotency-Key, as remembered for a retry. */
export interface IdempotencyEntry {
  userId: string;
  key: string;
  /** Method and route template: a key is for one kind of request. */
  scope: string;
  /** SHA-256 of the request body (canonical JSON), hex. */
  fingerprint: string;
  /** What the first request made: an execution id or a function id. */
  resourceId: string;
  createdAt: string;
  expiresAt: string;
}

export type IdempotencyReservation = { reserved: true } | { reserved: false; existing: IdempotencyEntry };

/** What an execution produced: the core's result without the identity the record already holds. */
export type ExecutionOutcome = Omit<ExecutionResult, 'executionId' | 'functionId' | 'userId'>;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface ExecutionFilter extends PageRequest {
  status?: ExecutionStatus | undefined;
  /** ISO timestamps bounding createdAt, inclusive. */
  since?: string | undefined;
  until?: string | undefined;
}

/** One of a node's receipt-signing keys, over time (GET /v1/attestation/keys). */
export interface SigningKeyRecord {
  nodeId: string;
  keyId: string;
  publicKey: string;
  /** The private key sealed under the master key; null for one given by TEEJS_SIGNING_KEY. */
  sealedPrivateKey: Uint8Array | null;
  origin: 'generated' | 'environment';
  createdAt: string;
  /** From when the node signed with it... */
  activatedAt: string;
  /** ...until when; null for the node's current key. */
  retiredAt: string | null;
}

/** One user's share of the durable queue, as the scheduler sees it. */
export interface QueuedUser {
  userId: string;
  queued: number;
  /** createdAt of the user's oldest queued execution. */
  oldestAt: string;
}

export type CreateResult<T> = { ok: true; value: T } | { ok: false; reason: 'quota' | 'conflict' };
export type UpdateResult<T> = { ok: true; value: T } | { ok: false; reason: 'conflict' | 'stale' };
/** What an ETag names of a function: its active version and when it last changed. */
export interface FunctionState {
  version: number;
  updatedAt: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Whether one server owns the database (SQLite: yes, so all its started executions are its own). */
  readonly exclusive: boolean;

  ping(): Promise<void>;
  close(): Promise<void>;

  getSetting(name: string): Promise<string | undefined>;
  /** Stores `value` unless the setting exists; returns the stored value either way. */
  initSetting(name: string, value: string): Promise<string>;

  createUser(user: User): Promise<CreateResult<User>>;
  getUser(id: string): Promise<User | undefined>;
  listUsers(page: PageRequest): Promise<Page<User>>;
  deleteUser(id: string): Promise<boolean>;

  createApiKey(key: NewApiKey): Promise<ApiKey>;
  /** The live (not revoked) key with this hash, if any. */
  findApiKey(hash: string): Promise<ApiKey | undefined>;
  listApiKeys(userId: string): Promise<ApiKey[]>;
  countAdminKeys(): Promise<number>;
  revokeApiKey(userId: string, keyId: string, at: string): Promise<boolean>;
  touchApiKey(keyId: string, at: string): Promise<void>;

  createFunction(fn: NewFunction, quota: { maxPerUser: number }): Promise<CreateResult<FunctionRecord>>;
  getFunction(userId: string, id: string): Promise<FunctionRecord | undefined>;
  listFunctions(userId: string, page: PageRequest): Promise<Page<FunctionRecord>>;
  /**
   * Applies the patch to the active version and records the result as a new version, numbered
   * after the newest (not the active) one; undefined when there is no such function.
   */
  /**
   * A new version with `patch` applied. With `expected`, only if the function is still in that
   * state (its active version and its updatedAt), checked in the same transaction: else
   * `{ ok: false, reason: 'stale' }` and nothing changes (HTTP If-Match).
   */
  updateFunction(userId: string, id: string, patch: FunctionPatch, at: string, expected?: FunctionState): Promise<UpdateResult<FunctionRecord> | undefined>;
  /**
   * Makes a recorded version the active one: the function's `version` and code become that
   * version's, and it is what runs. No version is changed or removed (a rollback rewrites no
   * history). Undefined when there is no such function or version.
   */
  activateFunctionVersion(userId: string, id: string, version: number, at: string): Promise<FunctionRecord | undefined>;
  deleteFunction(userId: string, id: string): Promise<boolean>;
  getFunctionVersion(userId: string, id: string, version: number): Promise<FunctionVersion | undefined>;
  listFunctionVersions(userId: string, id: string): Promise<FunctionVersion[]>;

  /** Creates or replaces (new version) a secret's ciphertext and audits the write. */
  putSecret(
    userId: string,
    name: string,
    ciphertext: Uint8Array,
    at: string,
    audit: { id: string; keyId: string | null },
    quota: { maxPerUser: number },
  ): Promise<CreateResult<{ meta: SecretMeta; created: boolean }>>;
  getSecretMeta(userId: string, name: string): Promise<SecretMeta | undefined>;
  getSecretCiphertext(userId: string, name: string): Promise<Uint8Array | undefined>;
  listSecrets(userId: string): Promise<SecretMeta[]>;
  deleteSecret(userId: string, name: string, at: string, audit: { id: string; keyId: string | null }): Promise<boolean>;
  recordSecretReads(userId: string, executionId: string, names: readonly string[], at: string): Promise<void>;
  listSecretAudit(userId: string, page: PageRequest & { name?: string | undefined }): Promise<Page<SecretAuditEntry>>;

  /** Records an execution as queued, unless the user already has `maxActivePerUser` queued or running. */
  createExecution(execution: NewExecution, quota: { maxActivePerUser: number }): Promise<CreateResult<ExecutionRecord>>;
  /**
   * Moves up to `limit` queued executions, oldest first, to `started` on this node; with
   * `userId`, only that user's (the scheduler picks whose turn it is, see queuedByUser).
   */
  claimQueued(nodeId: string, leaseExpiresAt: string, limit: number, userId?: string): Promise<ExecutionRecord[]>;
  /**
   * Moves a queued execution waiting on this node (sync) to started; false when it is not one
   * any more (its lease ran out and it went to the shared queue, or it was deleted).
   */
  startExecution(id: string, nodeId: string, leaseExpiresAt: string, at: string): Promise<boolean>;
  /** Every user with executions in the shared queue (not those waiting on a node): how many, and when the oldest was created. */
  queuedByUser(): Promise<QueuedUser[]>;
  completeExecution(id: string, outcome: ExecutionOutcome, keepPerFunction: number): Promise<boolean>;
  /**
   * Gives a finished execution that has none (one ended by interruptExecutions) its receipt;
   * false when it already had one (another request or server was first) or is not finished.
   */
  setExecutionReceipt(id: string, receipt: Receipt): Promise<boolean>;
  /** Extends the leases of this node's executions, started and waiting (sync) alike. */
  renewLeases(nodeId: string, leaseExpiresAt: string): Promise<void>;
  /**
   * Settles executions that no live server holds any more: those of `nodeId` (a server that
   * just started cannot be running any), those whose lease expired before `expiredBefore`, or
   * all when `all` is set (an exclusive store after a restart). Started ones end as
   * error/INTERRUPTED (they may have run in part); queued ones waiting on that node never
   * started, and go to the shared queue for any node to run.
   */
  interruptExecutions(
    which: { nodeId?: string; expiredBefore?: string; all?: boolean },
    error: { code: ErrorCode; message: string },
    at: string,
  ): Promise<{ interrupted: number; released: number }>;
  getExecution(userId: string, id: string): Promise<ExecutionRecord | undefined>;
  listExecutions(userId: string, functionId: string, filter: ExecutionFilter): Promise<Page<ExecutionRecord>>;
  countQueued(): Promise<number>;

  /**
   * Appends console lines of a running execution (live logs across nodes), numbered from
   * `firstLine` (0-based index in the execution's logs). A line already stored is kept as it is.
   */
  appendLogLines(executionId: string, firstLine: number, entries: readonly LogEntry[]): Promise<void>;
  /** The appended lines of an execution from index `fromLine` on, in order, at most `limit`. */
  listLogLines(executionId: string, fromLine: number, limit: number): Promise<LogEntry[]>;
  /** Forgets the appended lines of an ended execution (its record holds its logs). */
  deleteLogLines(executionId: string): Promise<void>;

  /** Every node's signing keys, oldest first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Makes `key` its node's current signing key: the node's current one (if another) is retired
   * at `key.activatedAt`; a key that was retired before becomes current again (keeping the
   * activatedAt of its first use).
   */
  activateSigningKey(key: SigningKeyRecord): Promise<void>;

  createSchedule(schedule: NewSchedule, quota: { maxPerUser: number }): Promise<CreateResult<Schedule>>;
  getSchedule(userId: string, functionId: string, id: string): Promise<Schedule | undefined>;
  listSchedules(userId: string, functionId: string): Promise<Schedule[]>;
  updateSchedule(userId: string, functionId: string, id: string, patch: SchedulePatch, at: string): Promise<Schedule | undefined>;
  deleteSchedule(userId: string, functionId: string, id: string): Promise<boolean>;
  /** Enabled schedules whose next tick is at or before `now`, soonest first. */
  dueSchedules(now: string, limit: number): Promise<Schedule[]>;
  /**
   * Fires the tick `tickAt` of a schedule, once across all nodes: moves its next tick to
   * `nextAt` and records the execution in one transaction, only if the schedule's next tick is
   * still `tickAt` (else another node fired it: 'taken'). Over the user's quota the tick is
   * skipped (moved on, nothing recorded but the outcome).
   */
  fireTick(scheduleId: string, tickAt: string, nextAt: string | null, execution: NewExecution, quota: { maxActivePerUser: number }): Promise<TickOutcome>;

  createHook(hook: Hook, quota: { maxPerUser: number }): Promise<CreateResult<Hook>>;
  /** A hook by its id alone: the id is the public, unguessable part of its URL. */
  findHook(id: string): Promise<Hook | undefined>;
  listHooks(userId: string, functionId: string): Promise<Hook[]>;
  deleteHook(userId: string, functionId: string, id: string): Promise<boolean>;
  recordHookRejection(rejection: HookRejection): Promise<void>;
  listHookRejections(userId: string, hookId: string, limit: number): Promise<HookRejection[]>;

  /**
   * Registers a starting node, unless a live node (a heartbeat after `staleBefore`, not stopped)
   * holds the id; then the caller must refuse to start.
   */
  registerNode(node: NewNode, staleBefore: string): Promise<NodeRegistration>;
  /** Records a node's heartbeat and load; false when another instance holds the id now. */
  heartbeatNode(id: string, instance: string, at: string, load: { running: number; draining: boolean }): Promise<boolean>;
  /** Marks this instance of the node stopped (a clean stop: the id is free again at once). */
  stopNode(id: string, instance: string, at: string): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;

  /**
   * Remembers an idempotency key for its first request, unless the user has a live (unexpired)
   * entry for it: then that entry is answered. An expired entry is replaced.
   */
  reserveIdempotencyKey(entry: IdempotencyEntry): Promise<IdempotencyReservation>;
  /** Forgets a key whose request failed before making anything, so a retry can succeed. */
  releaseIdempotencyKey(userId: string, key: string): Promise<void>;
  /** Deletes entries that expired before `before`; how many. */
  pruneIdempotencyKeys(before: string): Promise<number>;

  /**
   * Tells other nodes that there is work to look at (queued executions, a stopped node), at
   * once: PostgreSQL NOTIFY. A no-op on an exclusive store, which has no other nodes.
   */
  announceWork(): Promise<void>;
  /**
   * Calls `onWork` whenever another node announces work (PostgreSQL LISTEN). Undefined on an
   * exclusive store. The listener reconnects on its own; the periodic sweep covers any gap.
   */
  listenForWork?(onWork: () => void, onError: (error: Error) => void): Promise<{ close(): Promise<void> }>;
}
