// Shared by both backends: paging cursors, JSON columns, and reading rows into records.
import type { ApiKey, ExecutionRecord, Hook, HookRejection, Schedule, SigningKeyRecord, FunctionCode, FunctionRecord, FunctionVersion, IdempotencyEntry, NodeRecord, SecretAuditEntry, SecretMeta, User } from './types.ts';

/** Cursors are the `seq` of the last row of a page, as text; anything else is refused. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  if (!/^\d{1,15}$/.test(cursor)) throw new InvalidCursorError();
  return Number(cursor);
}

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this service returned');
    this.name = 'InvalidCursorError';
  }
}

/** Splits a `limit + 1` row fetch into a page and the cursor of the next one. */
export function pageOf<Row, T>(rows: Row[], limit: number, seqOf: (row: Row) => number | string, map: (row: Row) => T): {
  items: T[];
  nextCursor: string | null;
} {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: more ? String(seqOf(kept[kept.length - 1]!)) : null };
}

export function jsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** How a backend's column values look: what differs between SQLite and PostgreSQL. */
export interface ColumnReaders {
  /** A timestamp column as an ISO string. */
  time(value: unknown): string;
  /** A JSON column (text in SQLite, parsed by pg), or the fallback when NULL. */
  json<T>(value: unknown, fallback: T): T;
  /** A boolean column (0/1 in SQLite, true/false in PostgreSQL). */
  bool(value: unknown): boolean;
}

type Row = Record<string, unknown>;

/** Row-to-record readers for one backend; the shapes are the same for both. */
export function rowReaders({ time, json, bool }: ColumnReaders) {
  const timeOrNull = (value: unknown) => (value === null || value === undefined ? null : time(value));
  const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));
  const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

  const userOf = (row: Row): User => ({ id: String(row.id), name: String(row.name), createdAt: time(row.created_at) });

  const apiKeyOf = (row: Row): ApiKey => ({
    id: String(row.id),
    userId: textOrNull(row.user_id),
    role: row.role === 'admin' ? 'admin' : 'user',
    name: String(row.name),
    prefix: String(row.prefix),
    createdAt: time(row.created_at),
    lastUsedAt: timeOrNull(row.last_used_at),
    revokedAt: timeOrNull(row.revoked_at),
  });

  const codeOf = (row: Row): FunctionCode => ({
    source: String(row.source),
    modules: json<Record<string, string> | null>(row.modules, null),
    entry: textOrNull(row.entry),
    env: json<Record<string, string>>(row.env, {}),
    language: row.language === 'typescript' ? 'typescript' : 'javascript',
    form: row.form === 'module' ? 'module' : row.form === 'script' ? 'script' : null,
    timeoutMs: Number(row.timeout_ms),
    memoryMb: Number(row.memory_mb),
    allowedSecrets: json<string[]>(row.allowed_secrets, []),
    allowedHosts: json<string[]>(row.allowed_hosts, []),
    deterministic: bool(row.deterministic),
  });

  const functionOf = (row: Row): FunctionRecord => ({
    id: String(row.id),
    userId: String(row.user_id),
    name: String(row.name),
    description: String(row.description),
    version: Number(row.version),
    ...codeOf(row),
    executionCount: Number(row.execution_count),
    lastExecutionAt: timeOrNull(row.last_execution_at),
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  });

  const versionOf = (row: Row): FunctionVersion => ({
    functionId: String(row.function_id),
    version: Number(row.version),
    ...codeOf(row),
    createdAt: time(row.created_at),
  });

  const secretMetaOf = (row: Row): SecretMeta => ({
    name: String(row.name),
    version: Number(row.version),
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  });

  const auditOf = (row: Row): SecretAuditEntry => ({
    id: String(row.id),
    secretName: String(row.secret_name),
    action: String(row.action) as SecretAuditEntry['action'],
    keyId: textOrNull(row.key_id),
    executionId: textOrNull(row.execution_id),
    at: time(row.at),
  });

  const executionOf = (row: Row): ExecutionRecord => ({
    id: String(row.id),
    userId: String(row.user_id),
    functionId: String(row.function_id),
    functionVersion: Number(row.function_version),
    async: bool(row.is_async),
    // The stored status stays 'running' until the end (what quotas count); the phase tells
    // whether it has started.
    status: row.phase === 'queued' ? 'queued' : (String(row.status) as ExecutionRecord['status']),
    phase: String(row.phase) as ExecutionRecord['phase'],
    trigger: String(row.trigger ?? 'api') as ExecutionRecord['trigger'],
    nodeId: textOrNull(row.node_id),
    scheduleId: textOrNull(row.schedule_id),
    scheduledAt: timeOrNull(row.scheduled_at),
    params: json<unknown>(row.params, null),
    result: json<unknown>(row.result, null),
    error: json<ExecutionRecord['error']>(row.error, null),
    logs: json<ExecutionRecord['logs']>(row.logs, []),
    network: json<ExecutionRecord['network']>(row.network, []),
    secretsRead: json<string[]>(row.secrets_read, []),
    createdAt: time(row.created_at),
    startedAt: timeOrNull(row.started_at),
    finishedAt: timeOrNull(row.finished_at),
    durationMs: numberOrNull(row.duration_ms),
    cpuTimeMs: numberOrNull(row.cpu_time_ms),
    memoryUsedBytes: numberOrNull(row.memory_used_bytes),
    receipt: json<ExecutionRecord['receipt']>(row.receipt, null),
  });

  const signingKeyOf = (row: Row): SigningKeyRecord => ({
    nodeId: String(row.node_id),
    keyId: String(row.key_id),
    publicKey: String(row.public_key),
    sealedPrivateKey: row.sealed_private_key === null || row.sealed_private_key === undefined ? null : new Uint8Array(row.sealed_private_key as Uint8Array),
    origin: row.origin === 'environment' ? 'environment' : 'generated',
    createdAt: time(row.created_at),
    activatedAt: time(row.activated_at),
    retiredAt: timeOrNull(row.retired_at),
  });

  const nodeOf = (row: Row): NodeRecord => ({
    id: String(row.id),
    instance: String(row.instance),
    version: String(row.version),
    startedAt: time(row.started_at),
    heartbeatAt: time(row.heartbeat_at),
    stoppedAt: timeOrNull(row.stopped_at),
    draining: bool(row.draining),
    running: Number(row.running),
    slots: Number(row.slots),
  });

  const idempotencyOf = (row: Row): IdempotencyEntry => ({
    userId: String(row.user_id),
    key: String(row.key),
    scope: String(row.scope),
    fingerprint: String(row.fingerprint),
    resourceId: String(row.resource_id),
    createdAt: time(row.created_at),
    expiresAt: time(row.expires_at),
  });

  const scheduleOf = (row: Row): Schedule => ({
    id: String(row.id),
    userId: String(row.user_id),
    functionId: String(row.function_id),
    cron: String(row.cron),
    timezone: String(row.timezone),
    params: json<unknown>(row.params, {}),
    enabled: bool(row.enabled),
    nextAt: timeOrNull(row.next_at),
    lastFiredAt: timeOrNull(row.last_fired_at),
    lastExecutionId: textOrNull(row.last_execution_id),
    lastOutcome: textOrNull(row.last_outcome),
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  });

  const hookOf = (row: Row): Hook => ({
    id: String(row.id),
    userId: String(row.user_id),
    functionId: String(row.function_id),
    auth: row.auth === 'hmac' ? 'hmac' : 'token',
    secret: new Uint8Array(row.secret as Uint8Array),
    ratePerMinute: Number(row.rate_per_minute),
    createdAt: time(row.created_at),
  });

  const hookRejectionOf = (row: Row): HookRejection => ({ hookId: String(row.hook_id), at: time(row.at), reason: String(row.reason), remote: String(row.remote) });

  return { userOf, apiKeyOf, codeOf, functionOf, versionOf, secretMetaOf, auditOf, executionOf, signingKeyOf, nodeOf, idempotencyOf, scheduleOf, hookOf, hookRejectionOf };
}
