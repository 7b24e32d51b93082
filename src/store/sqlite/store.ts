// The embedded store: one SQLite file (node:sqlite, WAL) in the data directory. node:sqlite is
// synchronous, so each method runs start to end without yielding: a transaction here can never
// interleave with another request of this process.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Receipt } from '../../attestation/receipt.ts';
import type { ErrorCode, LogEntry } from '../../core/index.ts';
import { checkNotNewer, loadMigrations } from '../migrations.ts';
import { backstopPages, Checkpointer } from './checkpointer.ts';
import { jsonText, pageOf, parseCursor, rowReaders } from '../rows.ts';
import type {
  ApiKey,
  CreateResult,
  FunctionState,
  UpdateResult,
  ExecutionFilter,
  ExecutionOutcome,
  SigningKeyRecord,
  ExecutionRecord,
  FunctionCode,
  FunctionPatch,
  FunctionRecord,
  FunctionVersion,
  IdempotencyEntry,
  IdempotencyReservation,
  NewApiKey,
  NewExecution,
  NewFunction,
  NewNode,
  NodeRecord,
  NodeRegistration,
  NewSchedule,
  Hook,
  HookRejection,
  Page,
  PageRequest,
  QueuedUser,
  Schedule,
  SchedulePatch,
  SecretAuditEntry,
  SecretMeta,
  Store,
  TickOutcome,
  User,
} from '../types.ts';

type Row = Record<string, SQLInputValue>;

/** How often the checkpoint thread moves the WAL into the database file. */
const checkpointIntervalMs = 1000;
const sqliteDefaultCheckpointPages = 1000;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly exclusive = true;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #checkpointer: Checkpointer | undefined;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Opens (creating when absent) the database file and brings its schema up to date. */
  static open(file: string): SqliteStore {
    const db = new DatabaseSync(file);
    try {
      const wal = String((db.prepare('PRAGMA journal_mode = WAL').get() as Row).journal_mode) === 'wal';
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA foreign_keys = ON');
      db.exec('PRAGMA busy_timeout = 5000');
      const store = new SqliteStore(db);
      store.#migrate();
      // Checkpoints off the server's thread (checkpointer.ts); its own only as a backstop.
      if (wal) {
        db.exec(`PRAGMA wal_autocheckpoint = ${backstopPages}`);
        store.#checkpointer = new Checkpointer({
          file,
          intervalMs: checkpointIntervalMs,
          onFailure: (error) => {
            if (db.isOpen) db.exec(`PRAGMA wal_autocheckpoint = ${sqliteDefaultCheckpointPages}`);
            process.emitWarning(`${error.message}; the store checkpoints its WAL itself again`);
          },
        });
      }
      return store;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  #migrate(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set((this.#db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((row) => Number(row.version)));
    const migrations = loadMigrations(new URL('./migrations/', import.meta.url));
    checkNotNewer(applied, migrations);
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      this.#transaction(() => {
        this.#db.exec(migration.sql);
        this.#run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', migration.version, migration.name, now());
      });
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#statement(sql).run(...params).changes);
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = body();
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async ping(): Promise<void> {
    this.#get('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#checkpointer?.close();
    this.#checkpointer = undefined;
    if (this.#db.isOpen) this.#db.close();
  }

  // ---- settings --------------------------------------------------------------------------------

  async getSetting(name: string): Promise<string | undefined> {
    const row = this.#get('SELECT value FROM settings WHERE name = ?', name);
    return row ? String(row.value) : undefined;
  }

  async initSetting(name: string, value: string): Promise<string> {
    this.#run('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', name, value);
    return String(this.#get('SELECT value FROM settings WHERE name = ?', name)!.value);
  }

  // ---- users and keys --------------------------------------------------------------------------

  async createUser(user: User): Promise<CreateResult<User>> {
    const changes = this.#run('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', user.id, user.name, user.createdAt);
    return changes === 1 ? { ok: true, value: { ...user } } : { ok: false, reason: 'conflict' };
  }

  async getUser(id: string): Promise<User | undefined> {
    const row = this.#get('SELECT * FROM users WHERE id = ?', id);
    return row ? userOf(row) : undefined;
  }

  async listUsers(page: PageRequest): Promise<Page<User>> {
    const after = parseCursor(page.cursor) ?? 0;
    const rows = this.#all('SELECT * FROM users WHERE seq > ? ORDER BY seq LIMIT ?', after, page.limit + 1);
    return pageOf(rows, page.limit, (row) => Number(row.seq), userOf);
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.#run('DELETE FROM users WHERE id = ?', id) === 1;
  }

  async createApiKey(key: NewApiKey): Promise<ApiKey> {
    this.#run(
      'INSERT INTO api_keys (id, user_id, role, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      key.id,
      key.userId,
      key.role,
      key.name,
      key.prefix,
      key.hash,
      key.createdAt,
    );
    return apiKeyOf(this.#get('SELECT * FROM api_keys WHERE id = ?', key.id)!);
  }

  async findApiKey(hash: string): Promise<ApiKey | undefined> {
    const row = this.#get('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL', hash);
    return row ? apiKeyOf(row) : undefined;
  }

  async listApiKeys(userId: string): Promise<ApiKey[]> {
    return this.#all('SELECT * FROM api_keys WHERE user_id = ? ORDER BY created_at, id', userId).map(apiKeyOf);
  }

  async countAdminKeys(): Promise<number> {
    return Number(this.#get("SELECT count(*) AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL")!.n);
  }

  async revokeApiKey(userId: string, keyId: string, at: string): Promise<boolean> {
    return this.#run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL', at, keyId, userId) === 1;
  }

  async touchApiKey(keyId: string, at: string): Promise<void> {
    this.#run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', at, keyId);
  }

  // ---- functions -------------------------------------------------------------------------------

  async createFunction(fn: NewFunction, quota: { maxPerUser: number }): Promise<CreateResult<FunctionRecord>> {
    return this.#transaction(() => {
      const count = Number(this.#get('SELECT count(*) AS n FROM functions WHERE user_id = ?', fn.userId)!.n);
      if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
      if (this.#get('SELECT 1 FROM functions WHERE user_id = ? AND name = ?', fn.userId, fn.name)) return { ok: false, reason: 'conflict' } as const;
      this.#run(
        `INSERT INTO functions (id, user_id, name, description, version, source, modules, entry, env, language, form, timeout_ms, memory_mb,
           allowed_secrets, allowed_hosts, deterministic, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        fn.id,
        fn.userId,
        fn.name,
        fn.description,
        fn.source,
        modulesText(fn.modules),
        fn.entry,
        jsonText(fn.env),
        fn.language,
        fn.form,
        fn.timeoutMs,
        fn.memoryMb,
        jsonText(fn.allowedSecrets),
        jsonText(fn.allowedHosts),
        fn.deterministic ? 1 : 0,
        fn.createdAt,
        fn.createdAt,
      );
      this.#insertVersion(fn.id, 1, fn, fn.createdAt);
      return { ok: true, value: functionOf(this.#get('SELECT * FROM functions WHERE id = ?', fn.id)!) } as const;
    });
  }

  #insertVersion(functionId: string, version: number, code: FunctionRecord | NewFunction, at: string): void {
    this.#run(
      `INSERT INTO function_versions (function_id, version, source, modules, entry, env, language, form, timeout_ms, memory_mb, allowed_secrets,
         allowed_hosts, deterministic, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      functionId,
      version,
      code.source,
      modulesText(code.modules),
      code.entry,
      jsonText(code.env),
      code.language,
      code.form,
      code.timeoutMs,
      code.memoryMb,
      jsonText(code.allowedSecrets),
      jsonText(code.allowedHosts),
      code.deterministic ? 1 : 0,
      at,
    );
  }

  async getFunction(userId: string, id: string): Promise<FunctionRecord | undefined> {
    const row = this.#get('SELECT * FROM functions WHERE id = ? AND user_id = ?', id, userId);
    return row ? functionOf(row) : undefined;
  }

  async listFunctions(userId: string, page: PageRequest): Promise<Page<FunctionRecord>> {
    const after = parseCursor(page.cursor) ?? 0;
    const rows = this.#all('SELECT * FROM functions WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?', userId, after, page.limit + 1);
    return pageOf(rows, page.limit, (row) => Number(row.seq), functionOf);
  }

  async updateFunction(userId: string, id: string, patch: FunctionPatch, at: string, expected?: FunctionState): Promise<UpdateResult<FunctionRecord> | undefined> {
    return this.#transaction(() => {
      const row = this.#get('SELECT * FROM functions WHERE id = ? AND user_id = ?', id, userId);
      if (!row) return undefined;
      const current = functionOf(row);
      if (expected && (current.version !== expected.version || current.updatedAt !== expected.updatedAt)) return { ok: false, reason: 'stale' } as const;
      const next: FunctionRecord = { ...current, ...definedOnly(patch) };
      // After a rollback the active version is not the newest: number after the newest.
      next.version = Number(this.#get('SELECT MAX(version) AS newest FROM function_versions WHERE function_id = ?', id)?.newest ?? next.version) + 1;
      next.updatedAt = at;
      if (next.name !== row.name && this.#get('SELECT 1 FROM functions WHERE user_id = ? AND name = ?', userId, next.name)) {
        return { ok: false, reason: 'conflict' } as const;
      }
      this.#run(
        `UPDATE functions SET name = ?, description = ?, version = ?, source = ?, modules = ?, entry = ?, env = ?, language = ?, form = ?, timeout_ms = ?,
           memory_mb = ?, allowed_secrets = ?, allowed_hosts = ?, deterministic = ?, updated_at = ? WHERE id = ?`,
        next.name,
        next.description,
        next.version,
        next.source,
        modulesText(next.modules),
        next.entry,
        jsonText(next.env),
        next.language,
        next.form,
        next.timeoutMs,
        next.memoryMb,
        jsonText(next.allowedSecrets),
        jsonText(next.allowedHosts),
        next.deterministic ? 1 : 0,
        at,
        id,
      );
      this.#insertVersion(id, next.version, next, at);
      return { ok: true, value: next } as const;
    });
  }

  async activateFunctionVersion(userId: string, id: string, version: number, at: string): Promise<FunctionRecord | undefined> {
    return this.#transaction(() => {
      const row = this.#get('SELECT * FROM functions WHERE id = ? AND user_id = ?', id, userId);
      const chosen = row ? this.#get('SELECT * FROM function_versions WHERE function_id = ? AND version = ?', id, version) : undefined;
      if (!row || !chosen) return undefined;
      const code = versionOf(chosen);
      this.#run(
        `UPDATE functions SET version = ?, source = ?, modules = ?, entry = ?, env = ?, language = ?, form = ?, timeout_ms = ?, memory_mb = ?,
           allowed_secrets = ?, allowed_hosts = ?, deterministic = ?, updated_at = ? WHERE id = ?`,
        version,
        code.source,
        modulesText(code.modules),
        code.entry,
        jsonText(code.env),
        code.language,
        code.form,
        code.timeoutMs,
        code.memoryMb,
        jsonText(code.allowedSecrets),
        jsonText(code.allowedHosts),
        code.deterministic ? 1 : 0,
        at,
        id,
      );
      return functionOf(this.#get('SELECT * FROM functions WHERE id = ?', id)!);
    });
  }

  async deleteFunction(userId: string, id: string): Promise<boolean> {
    return this.#run('DELETE FROM functions WHERE id = ? AND user_id = ?', id, userId) === 1;
  }

  async getFunctionVersion(userId: string, id: string, version: number): Promise<FunctionVersion | undefined> {
    const row = this.#get(
      `SELECT v.* FROM function_versions v JOIN functions f ON f.id = v.function_id
        WHERE v.function_id = ? AND f.user_id = ? AND v.version = ?`,
      id,
      userId,
      version,
    );
    return row ? versionOf(row) : undefined;
  }

  async listFunctionVersions(userId: string, id: string): Promise<FunctionVersion[]> {
    return this.#all(
      `SELECT v.* FROM function_versions v JOIN functions f ON f.id = v.function_id
        WHERE v.function_id = ? AND f.user_id = ? ORDER BY v.version`,
      id,
      userId,
    ).map(versionOf);
  }

  // ---- secrets ---------------------------------------------------------------------------------

  async putSecret(
    userId: string,
    name: string,
    ciphertext: Uint8Array,
    at: string,
    audit: { id: string; keyId: string | null },
    quota: { maxPerUser: number },
  ): Promise<CreateResult<{ meta: SecretMeta; created: boolean }>> {
    return this.#transaction(() => {
      const existing = this.#get('SELECT version FROM secrets WHERE user_id = ? AND name = ?', userId, name);
      if (existing) {
        this.#run('UPDATE secrets SET ciphertext = ?, version = version + 1, updated_at = ? WHERE user_id = ? AND name = ?', ciphertext, at, userId, name);
      } else {
        const count = Number(this.#get('SELECT count(*) AS n FROM secrets WHERE user_id = ?', userId)!.n);
        if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
        this.#run('INSERT INTO secrets (user_id, name, ciphertext, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?)', userId, name, ciphertext, at, at);
      }
      this.#audit(userId, name, existing ? 'update' : 'create', audit.id, audit.keyId, null, at);
      const meta = secretMetaOf(this.#get('SELECT * FROM secrets WHERE user_id = ? AND name = ?', userId, name)!);
      return { ok: true, value: { meta, created: !existing } } as const;
    });
  }

  #audit(userId: string, name: string, action: string, id: string, keyId: string | null, executionId: string | null, at: string): void {
    this.#run(
      'INSERT INTO secret_audit (id, user_id, secret_name, action, key_id, execution_id, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      id,
      userId,
      name,
      action,
      keyId,
      executionId,
      at,
    );
  }

  async getSecretMeta(userId: string, name: string): Promise<SecretMeta | undefined> {
    const row = this.#get('SELECT * FROM secrets WHERE user_id = ? AND name = ?', userId, name);
    return row ? secretMetaOf(row) : undefined;
  }

  async getSecretCiphertext(userId: string, name: string): Promise<Uint8Array | undefined> {
    const row = this.#get('SELECT ciphertext FROM secrets WHERE user_id = ? AND name = ?', userId, name);
    return row ? (row.ciphertext as Uint8Array) : undefined;
  }

  async listSecrets(userId: string): Promise<SecretMeta[]> {
    return this.#all('SELECT * FROM secrets WHERE user_id = ? ORDER BY name', userId).map(secretMetaOf);
  }

  async deleteSecret(userId: string, name: string, at: string, audit: { id: string; keyId: string | null }): Promise<boolean> {
    return this.#transaction(() => {
      const deleted = this.#run('DELETE FROM secrets WHERE user_id = ? AND name = ?', userId, name) === 1;
      if (deleted) this.#audit(userId, name, 'delete', audit.id, audit.keyId, null, at);
      return deleted;
    });
  }

  async recordSecretReads(userId: string, executionId: string, names: readonly string[], at: string): Promise<void> {
    if (names.length === 0) return;
    this.#transaction(() => {
      for (const name of names) this.#audit(userId, name, 'read', crypto.randomUUID(), null, executionId, at);
    });
  }

  async listSecretAudit(userId: string, page: PageRequest & { name?: string | undefined }): Promise<Page<SecretAuditEntry>> {
    const before = parseCursor(page.cursor) ?? Number.MAX_SAFE_INTEGER;
    const rows =
      page.name === undefined
        ? this.#all('SELECT * FROM secret_audit WHERE user_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?', userId, before, page.limit + 1)
        : this.#all(
            'SELECT * FROM secret_audit WHERE user_id = ? AND secret_name = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
            userId,
            page.name,
            before,
            page.limit + 1,
          );
    return pageOf(rows, page.limit, (row) => Number(row.seq), auditOf);
  }

  // ---- executions ------------------------------------------------------------------------------

  async createExecution(execution: NewExecution, quota: { maxActivePerUser: number }): Promise<CreateResult<ExecutionRecord>> {
    return this.#transaction(() => this.#insertExecution(execution, quota));
  }

  #insertExecution(execution: NewExecution, quota: { maxActivePerUser: number }): CreateResult<ExecutionRecord> {
    const active = Number(this.#get("SELECT count(*) AS n FROM executions WHERE user_id = ? AND status = 'running'", execution.userId)!.n);
    if (active >= quota.maxActivePerUser) return { ok: false, reason: 'quota' };
    this.#run(
      `INSERT INTO executions (id, user_id, function_id, function_version, is_async, status, phase, params, node_id,
         lease_expires_at, created_at, started_at, trigger, schedule_id, scheduled_at)
       VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      execution.id,
      execution.userId,
      execution.functionId,
      execution.functionVersion,
      execution.async ? 1 : 0,
      execution.phase,
      jsonText(execution.params),
      execution.nodeId,
      execution.leaseExpiresAt,
      execution.createdAt,
      execution.phase === 'started' ? execution.createdAt : null,
      execution.trigger ?? 'api',
      execution.schedule?.id ?? null,
      execution.schedule?.tickAt ?? null,
    );
    // The row as inserted, without reading it back.
    const started = execution.phase === 'started';
    return {
      ok: true,
      value: {
        id: execution.id,
        userId: execution.userId,
        functionId: execution.functionId,
        functionVersion: execution.functionVersion,
        async: execution.async,
        status: started ? 'running' : 'queued',
        phase: execution.phase,
        trigger: execution.trigger ?? 'api',
        nodeId: execution.nodeId,
        scheduleId: execution.schedule?.id ?? null,
        scheduledAt: execution.schedule?.tickAt ?? null,
        params: execution.params === undefined ? null : execution.params,
        result: null,
        error: null,
        logs: [],
        network: [],
        secretsRead: [],
        createdAt: execution.createdAt,
        startedAt: started ? execution.createdAt : null,
        finishedAt: null,
        durationMs: null,
        cpuTimeMs: null,
        memoryUsedBytes: null,
        receipt: null,
      },
    };
  }

  async claimQueued(nodeId: string, leaseExpiresAt: string, limit: number, userId?: string): Promise<ExecutionRecord[]> {
    if (limit <= 0) return [];
    return this.#transaction(() => {
      const rows =
        userId === undefined
          ? this.#all("SELECT id FROM executions WHERE phase = 'queued' AND node_id IS NULL ORDER BY seq LIMIT ?", limit)
          : this.#all("SELECT id FROM executions WHERE phase = 'queued' AND node_id IS NULL AND user_id = ? ORDER BY seq LIMIT ?", userId, limit);
      const at = now();
      for (const row of rows) {
        this.#run("UPDATE executions SET phase = 'started', node_id = ?, lease_expires_at = ?, started_at = ? WHERE id = ?", nodeId, leaseExpiresAt, at, row.id!);
      }
      return rows.map((row) => executionOf(this.#get('SELECT * FROM executions WHERE id = ?', row.id!)!));
    });
  }

  async startExecution(id: string, nodeId: string, leaseExpiresAt: string, at: string): Promise<boolean> {
    return (
      this.#run("UPDATE executions SET phase = 'started', lease_expires_at = ?, started_at = ? WHERE id = ? AND node_id = ? AND phase = 'queued'", leaseExpiresAt, at, id, nodeId) === 1
    );
  }

  async completeExecution(id: string, outcome: ExecutionOutcome, keepPerFunction: number): Promise<boolean> {
    return this.#transaction(() => {
      const row = this.#get("SELECT function_id FROM executions WHERE id = ? AND status = 'running'", id);
      if (!row) return false;
      this.#run(
        `UPDATE executions SET status = ?, phase = 'done', result = ?, error = ?, logs = ?, network = ?, secrets_read = ?,
           started_at = ?, finished_at = ?, duration_ms = ?, cpu_time_ms = ?, memory_used_bytes = ?, receipt = ?, lease_expires_at = NULL
         WHERE id = ?`,
        outcome.status,
        jsonText(outcome.result),
        outcome.error ? jsonText(outcome.error) : null,
        jsonText(outcome.logs),
        jsonText(outcome.network),
        jsonText(outcome.secretsRead),
        outcome.startedAt,
        outcome.finishedAt,
        outcome.durationMs,
        outcome.cpuTimeMs,
        outcome.memoryUsedBytes,
        outcome.receipt ? jsonText(outcome.receipt) : null,
        id,
      );
      this.#run('UPDATE functions SET execution_count = execution_count + 1, last_execution_at = ? WHERE id = ?', outcome.finishedAt, row.function_id!);
      this.#prune(String(row.function_id), keepPerFunction);
      return true;
    });
  }

  /** Keeps the newest `keep` finished executions of a function (the original's history of 1,000). */
  #prune(functionId: string, keep: number): void {
    const cutoff = this.#get("SELECT seq FROM executions WHERE function_id = ? AND status <> 'running' ORDER BY seq DESC LIMIT 1 OFFSET ?", functionId, keep);
    if (cutoff) this.#run("DELETE FROM executions WHERE function_id = ? AND status <> 'running' AND seq <= ?", functionId, cutoff.seq!);
  }

  async setExecutionReceipt(id: string, receipt: Receipt): Promise<boolean> {
    return this.#run("UPDATE executions SET receipt = ? WHERE id = ? AND receipt IS NULL AND status <> 'running'", jsonText(receipt), id) === 1;
  }

  async renewLeases(nodeId: string, leaseExpiresAt: string): Promise<void> {
    this.#run("UPDATE executions SET lease_expires_at = ? WHERE node_id = ? AND phase <> 'done'", leaseExpiresAt, nodeId);
  }

  async interruptExecutions(
    which: { nodeId?: string; expiredBefore?: string; all?: boolean },
    error: { code: ErrorCode; message: string },
    at: string,
  ): Promise<{ interrupted: number; released: number }> {
    const end = `UPDATE executions SET status = 'error', phase = 'done', error = ?, finished_at = ?, lease_expires_at = NULL,
      duration_ms = 0, cpu_time_ms = 0, memory_used_bytes = 0 WHERE phase = 'started'`;
    const release = "UPDATE executions SET node_id = NULL, lease_expires_at = NULL WHERE phase = 'queued' AND node_id IS NOT NULL";
    const errorText = jsonText(error);
    const conditions: Array<[string, SQLInputValue[]]> = [];
    if (which.all) conditions.push(['', []]);
    else {
      if (which.nodeId !== undefined) conditions.push(['node_id = ?', [which.nodeId]]);
      if (which.expiredBefore !== undefined) conditions.push(['lease_expires_at < ?', [which.expiredBefore]]);
    }
    let interrupted = 0;
    let released = 0;
    for (const [condition, values] of conditions) {
      interrupted += this.#run(condition ? `${end} AND ${condition}` : end, errorText, at, ...values);
      released += this.#run(condition ? `${release} AND ${condition}` : release, ...values);
    }
    return { interrupted, released };
  }

  async getExecution(userId: string, id: string): Promise<ExecutionRecord | undefined> {
    const row = this.#get('SELECT * FROM executions WHERE id = ? AND user_id = ?', id, userId);
    return row ? executionOf(row) : undefined;
  }

  async listExecutions(userId: string, functionId: string, filter: ExecutionFilter): Promise<Page<ExecutionRecord>> {
    const where = ['user_id = ?', 'function_id = ?', 'seq < ?'];
    const params: SQLInputValue[] = [userId, functionId, parseCursor(filter.cursor) ?? Number.MAX_SAFE_INTEGER];
    if (filter.status) {
      where.push("(CASE WHEN phase = 'queued' THEN 'queued' ELSE status END) = ?");
      params.push(filter.status);
    }
    if (filter.since) {
      where.push('created_at >= ?');
      params.push(filter.since);
    }
    if (filter.until) {
      where.push('created_at <= ?');
      params.push(filter.until);
    }
    const rows = this.#all(`SELECT * FROM executions WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`, ...params, filter.limit + 1);
    return pageOf(rows, filter.limit, (row) => Number(row.seq), executionOf);
  }

  async queuedByUser(): Promise<QueuedUser[]> {
    const rows = this.#all("SELECT user_id, count(*) AS n, min(created_at) AS oldest FROM executions WHERE phase = 'queued' AND node_id IS NULL GROUP BY user_id");
    return rows.map((row) => ({ userId: String(row.user_id), queued: Number(row.n), oldestAt: String(row.oldest) }));
  }

  async countQueued(): Promise<number> {
    return Number(this.#get("SELECT count(*) AS n FROM executions WHERE phase = 'queued'")!.n);
  }

  // ---- live log lines --------------------------------------------------------------------------

  async appendLogLines(executionId: string, firstLine: number, entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.#transaction(() => {
      // The execution may be gone (its function was deleted): then there is nothing to follow.
      if (!this.#get('SELECT 1 FROM executions WHERE id = ?', executionId)) return;
      entries.forEach((entry, index) => {
        this.#run('INSERT OR IGNORE INTO execution_log_lines (execution_id, line, entry) VALUES (?, ?, ?)', executionId, firstLine + index, JSON.stringify(entry));
      });
    });
  }

  async listLogLines(executionId: string, fromLine: number, limit: number): Promise<LogEntry[]> {
    const rows = this.#all('SELECT entry FROM execution_log_lines WHERE execution_id = ? AND line >= ? ORDER BY line LIMIT ?', executionId, fromLine, limit);
    return rows.map((row) => JSON.parse(String(row.entry)) as LogEntry);
  }

  async deleteLogLines(executionId: string): Promise<void> {
    this.#run('DELETE FROM execution_log_lines WHERE execution_id = ?', executionId);
  }

  // ---- signing keys ----------------------------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#all('SELECT * FROM signing_keys ORDER BY activated_at, node_id, key_id').map(signingKeyOf);
  }

  async activateSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#transaction(() => {
      this.#run('UPDATE signing_keys SET retired_at = ? WHERE node_id = ? AND key_id <> ? AND retired_at IS NULL', key.activatedAt, key.nodeId, key.keyId);
      this.#run(
        `INSERT INTO signing_keys (node_id, key_id, public_key, sealed_private_key, origin, created_at, activated_at, retired_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (node_id, key_id) DO UPDATE SET retired_at = NULL,
           sealed_private_key = COALESCE(excluded.sealed_private_key, signing_keys.sealed_private_key)`,
        key.nodeId,
        key.keyId,
        key.publicKey,
        key.sealedPrivateKey,
        key.origin,
        key.createdAt,
        key.activatedAt,
      );
    });
  }


  // ---- schedules -------------------------------------------------------------------------------

  async createSchedule(schedule: NewSchedule, quota: { maxPerUser: number }): Promise<CreateResult<Schedule>> {
    return this.#transaction(() => {
      const count = Number(this.#get('SELECT count(*) AS n FROM schedules WHERE user_id = ?', schedule.userId)!.n);
      if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
      this.#run(
        `INSERT INTO schedules (id, user_id, function_id, cron, timezone, params, enabled, next_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        schedule.id,
        schedule.userId,
        schedule.functionId,
        schedule.cron,
        schedule.timezone,
        jsonText(schedule.params),
        schedule.enabled ? 1 : 0,
        schedule.nextAt,
        schedule.createdAt,
        schedule.createdAt,
      );
      return { ok: true, value: scheduleOf(this.#get('SELECT * FROM schedules WHERE id = ?', schedule.id)!) } as const;
    });
  }

  async getSchedule(userId: string, functionId: string, id: string): Promise<Schedule | undefined> {
    const row = this.#get('SELECT * FROM schedules WHERE id = ? AND user_id = ? AND function_id = ?', id, userId, functionId);
    return row ? scheduleOf(row) : undefined;
  }

  async listSchedules(userId: string, functionId: string): Promise<Schedule[]> {
    return this.#all('SELECT * FROM schedules WHERE user_id = ? AND function_id = ? ORDER BY seq', userId, functionId).map(scheduleOf);
  }

  async updateSchedule(userId: string, functionId: string, id: string, patch: SchedulePatch, at: string): Promise<Schedule | undefined> {
    const changed = this.#run(
      `UPDATE schedules SET cron = COALESCE(?, cron), timezone = COALESCE(?, timezone), params = COALESCE(?, params),
         enabled = COALESCE(?, enabled), next_at = CASE WHEN ? THEN ? ELSE next_at END, updated_at = ?
        WHERE id = ? AND user_id = ? AND function_id = ?`,
      patch.cron ?? null,
      patch.timezone ?? null,
      patch.params === undefined ? null : jsonText(patch.params),
      patch.enabled === undefined ? null : patch.enabled ? 1 : 0,
      'nextAt' in patch ? 1 : 0,
      patch.nextAt ?? null,
      at,
      id,
      userId,
      functionId,
    );
    return changed === 1 ? this.getSchedule(userId, functionId, id) : undefined;
  }

  async deleteSchedule(userId: string, functionId: string, id: string): Promise<boolean> {
    return this.#run('DELETE FROM schedules WHERE id = ? AND user_id = ? AND function_id = ?', id, userId, functionId) === 1;
  }

  async dueSchedules(now: string, limit: number): Promise<Schedule[]> {
    return this.#all('SELECT * FROM schedules WHERE enabled AND next_at <= ? ORDER BY next_at LIMIT ?', now, limit).map(scheduleOf);
  }

  async fireTick(scheduleId: string, tickAt: string, nextAt: string | null, execution: NewExecution, quota: { maxActivePerUser: number }): Promise<TickOutcome> {
    return this.#transaction(() => {
      const moved = this.#run('UPDATE schedules SET next_at = ?, last_fired_at = ? WHERE id = ? AND enabled AND next_at = ?', nextAt, tickAt, scheduleId, tickAt);
      if (moved !== 1) return { fired: false, reason: 'taken' } as const;
      const created = this.#insertExecution({ ...execution, schedule: { id: scheduleId, tickAt } }, quota);
      if (!created.ok) {
        this.#run("UPDATE schedules SET last_outcome = 'skipped: quota' WHERE id = ?", scheduleId);
        return { fired: false, reason: 'quota' } as const;
      }
      this.#run("UPDATE schedules SET last_outcome = 'queued', last_execution_id = ? WHERE id = ?", created.value.id, scheduleId);
      return { fired: true, execution: created.value } as const;
    });
  }

  // ---- hooks -----------------------------------------------------------------------------------

  async createHook(hook: Hook, quota: { maxPerUser: number }): Promise<CreateResult<Hook>> {
    return this.#transaction(() => {
      const count = Number(this.#get('SELECT count(*) AS n FROM hooks WHERE user_id = ?', hook.userId)!.n);
      if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
      this.#run(
        'INSERT INTO hooks (id, user_id, function_id, auth, secret, rate_per_minute, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        hook.id,
        hook.userId,
        hook.functionId,
        hook.auth,
        hook.secret,
        hook.ratePerMinute,
        hook.createdAt,
      );
      return { ok: true, value: hookOf(this.#get('SELECT * FROM hooks WHERE id = ?', hook.id)!) } as const;
    });
  }

  async findHook(id: string): Promise<Hook | undefined> {
    const row = this.#get('SELECT * FROM hooks WHERE id = ?', id);
    return row ? hookOf(row) : undefined;
  }

  async listHooks(userId: string, functionId: string): Promise<Hook[]> {
    return this.#all('SELECT * FROM hooks WHERE user_id = ? AND function_id = ? ORDER BY seq', userId, functionId).map(hookOf);
  }

  async deleteHook(userId: string, functionId: string, id: string): Promise<boolean> {
    return this.#run('DELETE FROM hooks WHERE id = ? AND user_id = ? AND function_id = ?', id, userId, functionId) === 1;
  }

  async recordHookRejection(rejection: HookRejection): Promise<void> {
    this.#run('INSERT INTO hook_rejections (hook_id, at, reason, remote) VALUES (?, ?, ?, ?)', rejection.hookId, rejection.at, rejection.reason, rejection.remote);
  }

  async listHookRejections(userId: string, hookId: string, limit: number): Promise<HookRejection[]> {
    return this.#all(
      'SELECT r.* FROM hook_rejections r JOIN hooks h ON h.id = r.hook_id WHERE r.hook_id = ? AND h.user_id = ? ORDER BY r.seq DESC LIMIT ?',
      hookId,
      userId,
      limit,
    ).map(hookRejectionOf);
  }

  // ---- nodes -----------------------------------------------------------------------------------

  async registerNode(node: NewNode, staleBefore: string): Promise<NodeRegistration> {
    const taken = this.#run(
      `INSERT INTO nodes (id, instance, version, started_at, heartbeat_at, stopped_at, draining, running, slots)
       VALUES (?1, ?2, ?3, ?4, ?4, NULL, 0, 0, ?5)
       ON CONFLICT (id) DO UPDATE SET instance = ?2, version = ?3, started_at = ?4, heartbeat_at = ?4, stopped_at = NULL,
         draining = 0, running = 0, slots = ?5
        WHERE nodes.stopped_at IS NOT NULL OR nodes.heartbeat_at < ?6`,
      node.id,
      node.instance,
      node.version,
      node.at,
      node.slots,
      staleBefore,
    );
    if (taken === 1) return { ok: true };
    const live = this.#get('SELECT heartbeat_at FROM nodes WHERE id = ?', node.id);
    return { ok: false, reason: 'live', heartbeatAt: live ? String(live.heartbeat_at) : node.at };
  }

  async heartbeatNode(id: string, instance: string, at: string, load: { running: number; draining: boolean }): Promise<boolean> {
    return (
      this.#run('UPDATE nodes SET heartbeat_at = ?, running = ?, draining = ? WHERE id = ? AND instance = ? AND stopped_at IS NULL', at, load.running, load.draining ? 1 : 0, id, instance) ===
      1
    );
  }

  async stopNode(id: string, instance: string, at: string): Promise<void> {
    this.#run('UPDATE nodes SET stopped_at = ?, running = 0, draining = 0 WHERE id = ? AND instance = ?', at, id, instance);
  }

  async listNodes(): Promise<NodeRecord[]> {
    return this.#all('SELECT * FROM nodes ORDER BY id').map(nodeOf);
  }

  // ---- idempotency keys ------------------------------------------------------------------------

  async reserveIdempotencyKey(entry: IdempotencyEntry): Promise<IdempotencyReservation> {
    return this.#transaction(() => {
      this.#run('DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND expires_at <= ?', entry.userId, entry.key, entry.createdAt);
      const inserted = this.#run(
        `INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, resource_id, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING`,
        entry.userId,
        entry.key,
        entry.scope,
        entry.fingerprint,
        entry.resourceId,
        entry.createdAt,
        entry.expiresAt,
      );
      if (inserted === 1) return { reserved: true } as const;
      return { reserved: false, existing: idempotencyOf(this.#get('SELECT * FROM idempotency_keys WHERE user_id = ? AND key = ?', entry.userId, entry.key)!) } as const;
    });
  }

  async releaseIdempotencyKey(userId: string, key: string): Promise<void> {
    this.#run('DELETE FROM idempotency_keys WHERE user_id = ? AND key = ?', userId, key);
  }

  async pruneIdempotencyKeys(before: string): Promise<number> {
    return this.#run('DELETE FROM idempotency_keys WHERE expires_at <= ?', before);
  }

  /** One node on an exclusive store: nobody else to tell. */
  async announceWork(): Promise<void> {}
}

// ---- rows to records ---------------------------------------------------------------------------

function now(): string {
  return new Date().toISOString();
}

/** A module set as JSON text, or NULL for a one-file function. */
function modulesText(modules: Record<string, string> | null): string | null {
  return modules === null ? null : JSON.stringify(modules);
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const { userOf, apiKeyOf, functionOf, versionOf, secretMetaOf, auditOf, executionOf, signingKeyOf, nodeOf, idempotencyOf, scheduleOf, hookOf, hookRejectionOf } = rowReaders({
  time: String,
  json: <T>(value: unknown, fallback: T) => (value === null || value === undefined ? fallback : (JSON.parse(String(value)) as T)),
  bool: (value) => Number(value) === 1,
});
