// The PostgreSQL store (via DATABASE_URL), for more than one server node on one database. Races
// between nodes are settled by the database: row locks around quota checks, SKIP LOCKED when
// claiming queued executions, an advisory lock around migrations.
import pg from 'pg';
import type { Receipt } from '../../attestation/receipt.ts';
import type { ErrorCode, LogEntry } from '../../core/index.ts';
import { checkNotNewer, loadMigrations } from '../migrations.ts';
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

type Row = Record<string, unknown>;
type Queryable = pg.Pool | pg.PoolClient;

/** Any number that identifies teejs's migration lock among the database's advisory locks. */
const migrationLockId = 0x7ee75;
const uniqueViolation = '23505';
/** The channel nodes NOTIFY and LISTEN on when there is work to look at. */
const workChannel = 'teejs_work';

export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema to use instead of `public` (tests use a fresh one each). */
  schema?: string;
  maxConnections?: number;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly exclusive = false;
  readonly #pool: pg.Pool;
  /** The pool's client settings, for the LISTEN connection (kept outside the pool). */
  readonly #clientConfig: pg.ClientConfig;

  private constructor(pool: pg.Pool, clientConfig: pg.ClientConfig) {
    this.#pool = pool;
    this.#clientConfig = clientConfig;
  }

  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error('invalid schema name');
    const clientConfig: pg.ClientConfig = {
      connectionString: options.connectionString,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    };
    const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 10 });
    // An idle client losing its connection must not take the process down.
    pool.on('error', (error) => process.emitWarning(`teejs: PostgreSQL connection error: ${error.message}`));
    const store = new PostgresStore(pool, clientConfig);
    try {
      if (options.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
      await store.#migrate();
      return store;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async #migrate(): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockId]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
      const applied = new Set((await client.query('SELECT version FROM schema_migrations')).rows.map((row: Row) => Number(row.version)));
      const migrations = loadMigrations(new URL('./migrations/', import.meta.url));
      checkNotNewer(applied, migrations);
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [migration.version, migration.name]);
      }
    });
  }

  async #transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const value = await body(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async #rows(sql: string, params: unknown[] = [], on: Queryable = this.#pool): Promise<Row[]> {
    return (await on.query(sql, params)).rows as Row[];
  }

  async #row(sql: string, params: unknown[] = [], on: Queryable = this.#pool): Promise<Row | undefined> {
    return (await this.#rows(sql, params, on))[0];
  }

  async #count(sql: string, params: unknown[] = [], on: Queryable = this.#pool): Promise<number> {
    return (await on.query(sql, params)).rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  // ---- settings --------------------------------------------------------------------------------

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.#row('SELECT value FROM settings WHERE name = $1', [name]);
    return row ? String(row.value) : undefined;
  }

  async initSetting(name: string, value: string): Promise<string> {
    await this.#pool.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
    return String((await this.#row('SELECT value FROM settings WHERE name = $1', [name]))!.value);
  }

  // ---- users and keys --------------------------------------------------------------------------

  async createUser(user: User): Promise<CreateResult<User>> {
    const inserted = await this.#count('INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [user.id, user.name, user.createdAt]);
    return inserted === 1 ? { ok: true, value: { ...user } } : { ok: false, reason: 'conflict' };
  }

  async getUser(id: string): Promise<User | undefined> {
    const row = await this.#row('SELECT * FROM users WHERE id = $1', [id]);
    return row ? userOf(row) : undefined;
  }

  async listUsers(page: PageRequest): Promise<Page<User>> {
    const rows = await this.#rows('SELECT * FROM users WHERE seq > $1 ORDER BY seq LIMIT $2', [parseCursor(page.cursor) ?? 0, page.limit + 1]);
    return pageOf(rows, page.limit, (row) => String(row.seq), userOf);
  }

  async deleteUser(id: string): Promise<boolean> {
    return (await this.#count('DELETE FROM users WHERE id = $1', [id])) === 1;
  }

  async createApiKey(key: NewApiKey): Promise<ApiKey> {
    const row = await this.#row(
      'INSERT INTO api_keys (id, user_id, role, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
      [key.id, key.userId, key.role, key.name, key.prefix, key.hash, key.createdAt],
    );
    return apiKeyOf(row!);
  }

  async findApiKey(hash: string): Promise<ApiKey | undefined> {
    const row = await this.#row('SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [hash]);
    return row ? apiKeyOf(row) : undefined;
  }

  async listApiKeys(userId: string): Promise<ApiKey[]> {
    return (await this.#rows('SELECT * FROM api_keys WHERE user_id = $1 ORDER BY created_at, id', [userId])).map(apiKeyOf);
  }

  async countAdminKeys(): Promise<number> {
    return Number((await this.#row("SELECT count(*) AS n FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL"))!.n);
  }

  async revokeApiKey(userId: string, keyId: string, at: string): Promise<boolean> {
    return (await this.#count('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL', [at, keyId, userId])) === 1;
  }

  async touchApiKey(keyId: string, at: string): Promise<void> {
    await this.#pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [at, keyId]);
  }

  // ---- functions -------------------------------------------------------------------------------

  async createFunction(fn: NewFunction, quota: { maxPerUser: number }): Promise<CreateResult<FunctionRecord>> {
    try {
      return await this.#transaction(async (client) => {
        // Serialises this user's quota checks across nodes.
        if (!(await this.#row('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [fn.userId], client))) return { ok: false, reason: 'conflict' } as const;
        const count = Number((await this.#row('SELECT count(*) AS n FROM functions WHERE user_id = $1', [fn.userId], client))!.n);
        if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
        const row = await this.#row(
          `INSERT INTO functions (id, user_id, name, description, version, source, language, form, timeout_ms, memory_mb,
             allowed_secrets, allowed_hosts, deterministic, created_at, updated_at, modules, entry, env)
           VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $13, $12, $12, $14, $15, $16) RETURNING *`,
          [
            fn.id, fn.userId, fn.name, fn.description, fn.source, fn.language, fn.form, fn.timeoutMs, fn.memoryMb, jsonText(fn.allowedSecrets), jsonText(fn.allowedHosts), fn.createdAt, fn.deterministic,
            modulesText(fn.modules), fn.entry, jsonText(fn.env),
          ],
          client,
        );
        await this.#insertVersion(client, fn.id, 1, fn, fn.createdAt);
        return { ok: true, value: functionOf(row!) } as const;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'conflict' };
      throw error;
    }
  }

  async #insertVersion(client: pg.PoolClient, functionId: string, version: number, code: FunctionRecord | NewFunction, at: string): Promise<void> {
    await client.query(
      `INSERT INTO function_versions (function_id, version, source, language, form, timeout_ms, memory_mb, allowed_secrets,
         allowed_hosts, deterministic, created_at, modules, entry, env) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $12, $13, $14)`,
      [
        functionId, version, code.source, code.language, code.form, code.timeoutMs, code.memoryMb, jsonText(code.allowedSecrets), jsonText(code.allowedHosts), at, code.deterministic,
        modulesText(code.modules), code.entry, jsonText(code.env),
      ],
    );
  }

  async getFunction(userId: string, id: string): Promise<FunctionRecord | undefined> {
    const row = await this.#row('SELECT * FROM functions WHERE id = $1 AND user_id = $2', [id, userId]);
    return row ? functionOf(row) : undefined;
  }

  async listFunctions(userId: string, page: PageRequest): Promise<Page<FunctionRecord>> {
    const rows = await this.#rows('SELECT * FROM functions WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
      userId,
      parseCursor(page.cursor) ?? 0,
      page.limit + 1,
    ]);
    return pageOf(rows, page.limit, (row) => String(row.seq), functionOf);
  }

  async updateFunction(userId: string, id: string, patch: FunctionPatch, at: string, expected?: FunctionState): Promise<UpdateResult<FunctionRecord> | undefined> {
    try {
      return await this.#transaction(async (client) => {
        const row = await this.#row('SELECT * FROM functions WHERE id = $1 AND user_id = $2 FOR UPDATE', [id, userId], client);
        if (!row) return undefined;
        const current = functionOf(row);
        if (expected && (current.version !== expected.version || current.updatedAt !== expected.updatedAt)) return { ok: false, reason: 'stale' } as const;
        const next: FunctionRecord = { ...current, ...definedOnly(patch) };
        // After a rollback the active version is not the newest: number after the newest.
        const newest = await this.#row('SELECT MAX(version) AS newest FROM function_versions WHERE function_id = $1', [id], client);
        next.version = Number(newest?.newest ?? next.version) + 1;
        next.updatedAt = at;
        await client.query(
          `UPDATE functions SET name = $1, description = $2, version = $3, source = $4, language = $5, form = $6, timeout_ms = $7,
             memory_mb = $8, allowed_secrets = $9, allowed_hosts = $10, deterministic = $13, updated_at = $11,
             modules = $14, entry = $15, env = $16 WHERE id = $12`,
          [
            next.name, next.description, next.version, next.source, next.language, next.form, next.timeoutMs, next.memoryMb, jsonText(next.allowedSecrets), jsonText(next.allowedHosts), at, id, next.deterministic,
            modulesText(next.modules), next.entry, jsonText(next.env),
          ],
        );
        await this.#insertVersion(client, id, next.version, next, at);
        return { ok: true, value: next } as const;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'conflict' };
      throw error;
    }
  }

  async activateFunctionVersion(userId: string, id: string, version: number, at: string): Promise<FunctionRecord | undefined> {
    return this.#transaction(async (client) => {
      // The row lock orders this with updates of the same function.
      const row = await this.#row('SELECT * FROM functions WHERE id = $1 AND user_id = $2 FOR UPDATE', [id, userId], client);
      const chosen = row ? await this.#row('SELECT * FROM function_versions WHERE function_id = $1 AND version = $2', [id, version], client) : undefined;
      if (!row || !chosen) return undefined;
      const code = versionOf(chosen);
      const updated = await this.#row(
        `UPDATE functions SET version = $1, source = $2, language = $3, form = $4, timeout_ms = $5, memory_mb = $6, allowed_secrets = $7,
           allowed_hosts = $8, updated_at = $9, modules = $11, entry = $12, env = $13, deterministic = $14 WHERE id = $10 RETURNING *`,
        [
          version, code.source, code.language, code.form, code.timeoutMs, code.memoryMb, jsonText(code.allowedSecrets), jsonText(code.allowedHosts), at, id,
          modulesText(code.modules), code.entry, jsonText(code.env), code.deterministic,
        ],
        client,
      );
      return functionOf(updated!);
    });
  }

  async deleteFunction(userId: string, id: string): Promise<boolean> {
    return (await this.#count('DELETE FROM functions WHERE id = $1 AND user_id = $2', [id, userId])) === 1;
  }

  async getFunctionVersion(userId: string, id: string, version: number): Promise<FunctionVersion | undefined> {
    const row = await this.#row(
      `SELECT v.* FROM function_versions v JOIN functions f ON f.id = v.function_id
        WHERE v.function_id = $1 AND f.user_id = $2 AND v.version = $3`,
      [id, userId, version],
    );
    return row ? versionOf(row) : undefined;
  }

  async listFunctionVersions(userId: string, id: string): Promise<FunctionVersion[]> {
    const rows = await this.#rows(
      `SELECT v.* FROM function_versions v JOIN functions f ON f.id = v.function_id
        WHERE v.function_id = $1 AND f.user_id = $2 ORDER BY v.version`,
      [id, userId],
    );
    return rows.map(versionOf);
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
    return this.#transaction(async (client) => {
      if (!(await this.#row('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId], client))) return { ok: false, reason: 'conflict' } as const;
      const bytes = Buffer.from(ciphertext);
      let row = await this.#row(
        'UPDATE secrets SET ciphertext = $1, version = version + 1, updated_at = $2 WHERE user_id = $3 AND name = $4 RETURNING *',
        [bytes, at, userId, name],
        client,
      );
      const created = !row;
      if (created) {
        const count = Number((await this.#row('SELECT count(*) AS n FROM secrets WHERE user_id = $1', [userId], client))!.n);
        if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
        row = await this.#row(
          'INSERT INTO secrets (user_id, name, ciphertext, version, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4) RETURNING *',
          [userId, name, bytes, at],
          client,
        );
      }
      await this.#audit(client, userId, name, created ? 'create' : 'update', audit.id, audit.keyId, null, at);
      return { ok: true, value: { meta: secretMetaOf(row!), created } } as const;
    });
  }

  async #audit(on: Queryable, userId: string, name: string, action: string, id: string, keyId: string | null, executionId: string | null, at: string): Promise<void> {
    await on.query('INSERT INTO secret_audit (id, user_id, secret_name, action, key_id, execution_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      id,
      userId,
      name,
      action,
      keyId,
      executionId,
      at,
    ]);
  }

  async getSecretMeta(userId: string, name: string): Promise<SecretMeta | undefined> {
    const row = await this.#row('SELECT name, version, created_at, updated_at FROM secrets WHERE user_id = $1 AND name = $2', [userId, name]);
    return row ? secretMetaOf(row) : undefined;
  }

  async getSecretCiphertext(userId: string, name: string): Promise<Uint8Array | undefined> {
    const row = await this.#row('SELECT ciphertext FROM secrets WHERE user_id = $1 AND name = $2', [userId, name]);
    return row ? new Uint8Array(row.ciphertext as Buffer) : undefined;
  }

  async listSecrets(userId: string): Promise<SecretMeta[]> {
    return (await this.#rows('SELECT name, version, created_at, updated_at FROM secrets WHERE user_id = $1 ORDER BY name', [userId])).map(secretMetaOf);
  }

  async deleteSecret(userId: string, name: string, at: string, audit: { id: string; keyId: string | null }): Promise<boolean> {
    return this.#transaction(async (client) => {
      const deleted = (await this.#count('DELETE FROM secrets WHERE user_id = $1 AND name = $2', [userId, name], client)) === 1;
      if (deleted) await this.#audit(client, userId, name, 'delete', audit.id, audit.keyId, null, at);
      return deleted;
    });
  }

  async recordSecretReads(userId: string, executionId: string, names: readonly string[], at: string): Promise<void> {
    if (names.length === 0) return;
    await this.#pool.query(
      `INSERT INTO secret_audit (id, user_id, secret_name, action, execution_id, at)
       SELECT gen_random_uuid()::text, $1, name, 'read', $2, $3 FROM unnest($4::text[]) AS name`,
      [userId, executionId, at, [...names]],
    );
  }

  async listSecretAudit(userId: string, page: PageRequest & { name?: string | undefined }): Promise<Page<SecretAuditEntry>> {
    const rows = await this.#rows(
      `SELECT * FROM secret_audit WHERE user_id = $1 AND seq < $2 AND ($3::text IS NULL OR secret_name = $3)
        ORDER BY seq DESC LIMIT $4`,
      [userId, parseCursor(page.cursor) ?? Number.MAX_SAFE_INTEGER, page.name ?? null, page.limit + 1],
    );
    return pageOf(rows, page.limit, (row) => String(row.seq), auditOf);
  }

  // ---- executions ------------------------------------------------------------------------------

  async createExecution(execution: NewExecution, quota: { maxActivePerUser: number }): Promise<CreateResult<ExecutionRecord>> {
    return this.#transaction((client) => this.#insertExecution(client, execution, quota));
  }

  async #insertExecution(client: pg.PoolClient, execution: NewExecution, quota: { maxActivePerUser: number }): Promise<CreateResult<ExecutionRecord>> {
    if (!(await this.#row('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [execution.userId], client))) return { ok: false, reason: 'conflict' };
    const active = Number((await this.#row("SELECT count(*) AS n FROM executions WHERE user_id = $1 AND status = 'running'", [execution.userId], client))!.n);
    if (active >= quota.maxActivePerUser) return { ok: false, reason: 'quota' };
    const row = await this.#row(
      `INSERT INTO executions (id, user_id, function_id, function_version, is_async, status, phase, params, node_id,
         lease_expires_at, created_at, started_at, trigger, schedule_id, scheduled_at)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        execution.id,
        execution.userId,
        execution.functionId,
        execution.functionVersion,
        execution.async,
        execution.phase,
        jsonText(execution.params),
        execution.nodeId,
        execution.leaseExpiresAt,
        execution.createdAt,
        execution.phase === 'started' ? execution.createdAt : null,
        execution.trigger ?? 'api',
        execution.schedule?.id ?? null,
        execution.schedule?.tickAt ?? null,
      ],
      client,
    );
    // Idle nodes learn of it at once (delivered at commit), not at their next sweep.
    if (execution.phase === 'queued' && execution.nodeId === null) await client.query('SELECT pg_notify($1, $2)', [workChannel, 'queued']);
    return { ok: true, value: executionOf(row!) };
  }

  async claimQueued(nodeId: string, leaseExpiresAt: string, limit: number, userId?: string): Promise<ExecutionRecord[]> {
    if (limit <= 0) return [];
    // The picked rows are materialised once: a subquery under IN with LIMIT and SKIP LOCKED
    // may be planned as a join and evaluated more than once, claiming more than `limit`.
    const rows = await this.#rows(
      `WITH picked AS MATERIALIZED (
         SELECT id FROM executions WHERE phase = 'queued' AND node_id IS NULL AND ($4::text IS NULL OR user_id = $4)
          ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE executions SET phase = 'started', node_id = $1, lease_expires_at = $2, started_at = now()
        FROM picked WHERE executions.id = picked.id
        RETURNING executions.*`,
      [nodeId, leaseExpiresAt, limit, userId ?? null],
    );
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(executionOf);
  }

  async startExecution(id: string, nodeId: string, leaseExpiresAt: string, at: string): Promise<boolean> {
    const changed = await this.#count(
      "UPDATE executions SET phase = 'started', lease_expires_at = $1, started_at = $2 WHERE id = $3 AND node_id = $4 AND phase = 'queued'",
      [leaseExpiresAt, at, id, nodeId],
    );
    return changed === 1;
  }

  async completeExecution(id: string, outcome: ExecutionOutcome, keepPerFunction: number): Promise<boolean> {
    return this.#transaction(async (client) => {
      const row = await this.#row(
        `UPDATE executions SET status = $1, phase = 'done', result = $2, error = $3, logs = $4, network = $5, secrets_read = $6,
           started_at = $7, finished_at = $8, duration_ms = $9, cpu_time_ms = $10, memory_used_bytes = $11, receipt = $13, lease_expires_at = NULL
         WHERE id = $12 AND status = 'running' RETURNING function_id`,
        [
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
          id,
          outcome.receipt ? jsonText(outcome.receipt) : null,
        ],
        client,
      );
      if (!row) return false;
      const functionId = String(row.function_id);
      await client.query('UPDATE functions SET execution_count = execution_count + 1, last_execution_at = $1 WHERE id = $2', [outcome.finishedAt, functionId]);
      // Keeps the newest finished executions of the function (the original's history of 1,000).
      await client.query(
        `DELETE FROM executions WHERE function_id = $1 AND status <> 'running' AND seq <= (
           SELECT seq FROM executions WHERE function_id = $1 AND status <> 'running' ORDER BY seq DESC LIMIT 1 OFFSET $2)`,
        [functionId, keepPerFunction],
      );
      return true;
    });
  }

  async setExecutionReceipt(id: string, receipt: Receipt): Promise<boolean> {
    return (await this.#count("UPDATE executions SET receipt = $1 WHERE id = $2 AND receipt IS NULL AND status <> 'running'", [jsonText(receipt), id])) === 1;
  }

  async renewLeases(nodeId: string, leaseExpiresAt: string): Promise<void> {
    await this.#pool.query("UPDATE executions SET lease_expires_at = $1 WHERE node_id = $2 AND phase <> 'done'", [leaseExpiresAt, nodeId]);
  }

  async interruptExecutions(
    which: { nodeId?: string; expiredBefore?: string; all?: boolean },
    error: { code: ErrorCode; message: string },
    at: string,
  ): Promise<{ interrupted: number; released: number }> {
    const end = `UPDATE executions SET status = 'error', phase = 'done', error = $1, finished_at = $2, lease_expires_at = NULL,
      duration_ms = 0, cpu_time_ms = 0, memory_used_bytes = 0 WHERE phase = 'started'`;
    const release = "UPDATE executions SET node_id = NULL, lease_expires_at = NULL WHERE phase = 'queued' AND node_id IS NOT NULL";
    const errorText = jsonText(error);
    const conditions: Array<[string, unknown[]]> = [];
    if (which.all) conditions.push(['', []]);
    else {
      if (which.nodeId !== undefined) conditions.push(['node_id = $N', [which.nodeId]]);
      if (which.expiredBefore !== undefined) conditions.push(['lease_expires_at < $N', [which.expiredBefore]]);
    }
    let interrupted = 0;
    let released = 0;
    for (const [condition, values] of conditions) {
      interrupted += await this.#count(condition ? `${end} AND ${condition.replace('$N', '$3')}` : end, [errorText, at, ...values]);
      released += await this.#count(condition ? `${release} AND ${condition.replace('$N', '$1')}` : release, values);
    }
    if (released > 0) await this.announceWork();
    return { interrupted, released };
  }

  async getExecution(userId: string, id: string): Promise<ExecutionRecord | undefined> {
    const row = await this.#row('SELECT * FROM executions WHERE id = $1 AND user_id = $2', [id, userId]);
    return row ? executionOf(row) : undefined;
  }

  async listExecutions(userId: string, functionId: string, filter: ExecutionFilter): Promise<Page<ExecutionRecord>> {
    const rows = await this.#rows(
      `SELECT * FROM executions WHERE user_id = $1 AND function_id = $2 AND seq < $3
          AND ($4::text IS NULL OR (CASE WHEN phase = 'queued' THEN 'queued' ELSE status END) = $4) AND ($5::timestamptz IS NULL OR created_at >= $5)
          AND ($6::timestamptz IS NULL OR created_at <= $6)
        ORDER BY seq DESC LIMIT $7`,
      [userId, functionId, parseCursor(filter.cursor) ?? Number.MAX_SAFE_INTEGER, filter.status ?? null, filter.since ?? null, filter.until ?? null, filter.limit + 1],
    );
    return pageOf(rows, filter.limit, (row) => String(row.seq), executionOf);
  }

  async queuedByUser(): Promise<QueuedUser[]> {
    const rows = await this.#rows(
      "SELECT user_id, count(*) AS n, min(created_at) AS oldest FROM executions WHERE phase = 'queued' AND node_id IS NULL GROUP BY user_id",
    );
    return rows.map((row) => ({ userId: String(row.user_id), queued: Number(row.n), oldestAt: iso(row.oldest) }));
  }

  async countQueued(): Promise<number> {
    return Number((await this.#row("SELECT count(*) AS n FROM executions WHERE phase = 'queued'"))!.n);
  }

  // ---- live log lines --------------------------------------------------------------------------

  async appendLogLines(executionId: string, firstLine: number, entries: readonly LogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One statement; the execution may be gone (its function was deleted): then nothing is added.
    await this.#pool.query(
      `INSERT INTO execution_log_lines (execution_id, line, entry)
         SELECT e.id, $2::integer + (l.ordinality - 1), l.value
           FROM executions e, json_array_elements($3::json) WITH ORDINALITY AS l
          WHERE e.id = $1
       ON CONFLICT (execution_id, line) DO NOTHING`,
      [executionId, firstLine, JSON.stringify(entries)],
    );
  }

  async listLogLines(executionId: string, fromLine: number, limit: number): Promise<LogEntry[]> {
    const rows = await this.#rows('SELECT entry FROM execution_log_lines WHERE execution_id = $1 AND line >= $2 ORDER BY line LIMIT $3', [executionId, fromLine, limit]);
    return rows.map((row) => row.entry as LogEntry);
  }

  async deleteLogLines(executionId: string): Promise<void> {
    await this.#pool.query('DELETE FROM execution_log_lines WHERE execution_id = $1', [executionId]);
  }

  // ---- signing keys ----------------------------------------------------------------------------

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (await this.#rows('SELECT * FROM signing_keys ORDER BY activated_at, node_id, key_id')).map(signingKeyOf);
  }

  async activateSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#transaction(async (client) => {
      await client.query('UPDATE signing_keys SET retired_at = $1 WHERE node_id = $2 AND key_id <> $3 AND retired_at IS NULL', [key.activatedAt, key.nodeId, key.keyId]);
      await client.query(
        `INSERT INTO signing_keys (node_id, key_id, public_key, sealed_private_key, origin, created_at, activated_at, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)
         ON CONFLICT (node_id, key_id) DO UPDATE SET retired_at = NULL,
           sealed_private_key = COALESCE(excluded.sealed_private_key, signing_keys.sealed_private_key)`,
        [key.nodeId, key.keyId, key.publicKey, key.sealedPrivateKey === null ? null : Buffer.from(key.sealedPrivateKey), key.origin, key.createdAt, key.activatedAt],
      );
    });
  }


  // ---- schedules -------------------------------------------------------------------------------

  async createSchedule(schedule: NewSchedule, quota: { maxPerUser: number }): Promise<CreateResult<Schedule>> {
    return this.#transaction(async (client) => {
      if (!(await this.#row('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [schedule.userId], client))) return { ok: false, reason: 'conflict' } as const;
      const count = Number((await this.#row('SELECT count(*) AS n FROM schedules WHERE user_id = $1', [schedule.userId], client))!.n);
      if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
      const row = await this.#row(
        `INSERT INTO schedules (id, user_id, function_id, cron, timezone, params, enabled, next_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
        [schedule.id, schedule.userId, schedule.functionId, schedule.cron, schedule.timezone, jsonText(schedule.params), schedule.enabled, schedule.nextAt, schedule.createdAt],
        client,
      );
      return { ok: true, value: scheduleOf(row!) } as const;
    });
  }

  async getSchedule(userId: string, functionId: string, id: string): Promise<Schedule | undefined> {
    const row = await this.#row('SELECT * FROM schedules WHERE id = $1 AND user_id = $2 AND function_id = $3', [id, userId, functionId]);
    return row ? scheduleOf(row) : undefined;
  }

  async listSchedules(userId: string, functionId: string): Promise<Schedule[]> {
    return (await this.#rows('SELECT * FROM schedules WHERE user_id = $1 AND function_id = $2 ORDER BY seq', [userId, functionId])).map(scheduleOf);
  }

  async updateSchedule(userId: string, functionId: string, id: string, patch: SchedulePatch, at: string): Promise<Schedule | undefined> {
    const row = await this.#row(
      `UPDATE schedules SET cron = COALESCE($1, cron), timezone = COALESCE($2, timezone), params = COALESCE($3::json, params),
         enabled = COALESCE($4, enabled), next_at = CASE WHEN $5 THEN $6::timestamptz ELSE next_at END, updated_at = $7
        WHERE id = $8 AND user_id = $9 AND function_id = $10 RETURNING *`,
      [
        patch.cron ?? null,
        patch.timezone ?? null,
        patch.params === undefined ? null : jsonText(patch.params),
        patch.enabled ?? null,
        'nextAt' in patch,
        patch.nextAt ?? null,
        at,
        id,
        userId,
        functionId,
      ],
    );
    return row ? scheduleOf(row) : undefined;
  }

  async deleteSchedule(userId: string, functionId: string, id: string): Promise<boolean> {
    return (await this.#count('DELETE FROM schedules WHERE id = $1 AND user_id = $2 AND function_id = $3', [id, userId, functionId])) === 1;
  }

  async dueSchedules(now: string, limit: number): Promise<Schedule[]> {
    return (await this.#rows('SELECT * FROM schedules WHERE enabled AND next_at <= $1 ORDER BY next_at LIMIT $2', [now, limit])).map(scheduleOf);
  }

  async fireTick(scheduleId: string, tickAt: string, nextAt: string | null, execution: NewExecution, quota: { maxActivePerUser: number }): Promise<TickOutcome> {
    return this.#transaction(async (client) => {
      // The compare-and-set that makes the tick this node's: a second node finds next_at moved.
      const moved = await this.#count('UPDATE schedules SET next_at = $1, last_fired_at = $2 WHERE id = $3 AND enabled AND next_at = $2', [nextAt, tickAt, scheduleId], client);
      if (moved !== 1) return { fired: false, reason: 'taken' } as const;
      const created = await this.#insertExecution(client, { ...execution, schedule: { id: scheduleId, tickAt } }, quota);
      if (!created.ok) {
        await client.query("UPDATE schedules SET last_outcome = 'skipped: quota' WHERE id = $1", [scheduleId]);
        return { fired: false, reason: 'quota' } as const;
      }
      await client.query("UPDATE schedules SET last_outcome = 'queued', last_execution_id = $1 WHERE id = $2", [created.value.id, scheduleId]);
      return { fired: true, execution: created.value } as const;
    });
  }

  // ---- hooks -----------------------------------------------------------------------------------

  async createHook(hook: Hook, quota: { maxPerUser: number }): Promise<CreateResult<Hook>> {
    return this.#transaction(async (client) => {
      if (!(await this.#row('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [hook.userId], client))) return { ok: false, reason: 'conflict' } as const;
      const count = Number((await this.#row('SELECT count(*) AS n FROM hooks WHERE user_id = $1', [hook.userId], client))!.n);
      if (count >= quota.maxPerUser) return { ok: false, reason: 'quota' } as const;
      const row = await this.#row(
        'INSERT INTO hooks (id, user_id, function_id, auth, secret, rate_per_minute, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *',
        [hook.id, hook.userId, hook.functionId, hook.auth, Buffer.from(hook.secret), hook.ratePerMinute, hook.createdAt],
        client,
      );
      return { ok: true, value: hookOf(row!) } as const;
    });
  }

  async findHook(id: string): Promise<Hook | undefined> {
    const row = await this.#row('SELECT * FROM hooks WHERE id = $1', [id]);
    return row ? hookOf(row) : undefined;
  }

  async listHooks(userId: string, functionId: string): Promise<Hook[]> {
    return (await this.#rows('SELECT * FROM hooks WHERE user_id = $1 AND function_id = $2 ORDER BY seq', [userId, functionId])).map(hookOf);
  }

  async deleteHook(userId: string, functionId: string, id: string): Promise<boolean> {
    return (await this.#count('DELETE FROM hooks WHERE id = $1 AND user_id = $2 AND function_id = $3', [id, userId, functionId])) === 1;
  }

  async recordHookRejection(rejection: HookRejection): Promise<void> {
    await this.#pool.query('INSERT INTO hook_rejections (hook_id, at, reason, remote) VALUES ($1, $2, $3, $4)', [rejection.hookId, rejection.at, rejection.reason, rejection.remote]);
  }

  async listHookRejections(userId: string, hookId: string, limit: number): Promise<HookRejection[]> {
    const rows = await this.#rows(
      'SELECT r.* FROM hook_rejections r JOIN hooks h ON h.id = r.hook_id WHERE r.hook_id = $1 AND h.user_id = $2 ORDER BY r.seq DESC LIMIT $3',
      [hookId, userId, limit],
    );
    return rows.map(hookRejectionOf);
  }

  // ---- nodes -----------------------------------------------------------------------------------

  async registerNode(node: NewNode, staleBefore: string): Promise<NodeRegistration> {
    // One statement: two nodes starting at once with one id cannot both take it.
    const taken = await this.#row(
      `INSERT INTO nodes (id, instance, version, started_at, heartbeat_at, stopped_at, draining, running, slots)
       VALUES ($1, $2, $3, $4, $4, NULL, false, 0, $5)
       ON CONFLICT (id) DO UPDATE SET instance = $2, version = $3, started_at = $4, heartbeat_at = $4, stopped_at = NULL,
         draining = false, running = 0, slots = $5
        WHERE nodes.stopped_at IS NOT NULL OR nodes.heartbeat_at < $6
       RETURNING id`,
      [node.id, node.instance, node.version, node.at, node.slots, staleBefore],
    );
    if (taken) return { ok: true };
    const live = await this.#row('SELECT heartbeat_at FROM nodes WHERE id = $1', [node.id]);
    return { ok: false, reason: 'live', heartbeatAt: live ? iso(live.heartbeat_at) : node.at };
  }

  async heartbeatNode(id: string, instance: string, at: string, load: { running: number; draining: boolean }): Promise<boolean> {
    return (
      (await this.#count('UPDATE nodes SET heartbeat_at = $1, running = $2, draining = $3 WHERE id = $4 AND instance = $5 AND stopped_at IS NULL', [
        at,
        load.running,
        load.draining,
        id,
        instance,
      ])) === 1
    );
  }

  async stopNode(id: string, instance: string, at: string): Promise<void> {
    await this.#pool.query('UPDATE nodes SET stopped_at = $1, running = 0, draining = false WHERE id = $2 AND instance = $3', [at, id, instance]);
  }

  async listNodes(): Promise<NodeRecord[]> {
    return (await this.#rows('SELECT * FROM nodes ORDER BY id')).map(nodeOf);
  }

  // ---- idempotency keys ------------------------------------------------------------------------

  async reserveIdempotencyKey(entry: IdempotencyEntry): Promise<IdempotencyReservation> {
    return this.#transaction(async (client) => {
      await client.query('DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND expires_at <= $3', [entry.userId, entry.key, entry.createdAt]);
      const inserted = await this.#count(
        `INSERT INTO idempotency_keys (user_id, key, scope, fingerprint, resource_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, key) DO NOTHING`,
        [entry.userId, entry.key, entry.scope, entry.fingerprint, entry.resourceId, entry.createdAt, entry.expiresAt],
        client,
      );
      if (inserted === 1) return { reserved: true } as const;
      const row = await this.#row('SELECT * FROM idempotency_keys WHERE user_id = $1 AND key = $2', [entry.userId, entry.key], client);
      return { reserved: false, existing: idempotencyOf(row!) } as const;
    });
  }

  async releaseIdempotencyKey(userId: string, key: string): Promise<void> {
    await this.#pool.query('DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2', [userId, key]);
  }

  async pruneIdempotencyKeys(before: string): Promise<number> {
    return this.#count('DELETE FROM idempotency_keys WHERE expires_at <= $1', [before]);
  }

  // ---- notifications ---------------------------------------------------------------------------

  async announceWork(): Promise<void> {
    await this.#pool.query('SELECT pg_notify($1, $2)', [workChannel, 'work']);
  }

  async listenForWork(onWork: () => void, onError: (error: Error) => void): Promise<{ close(): Promise<void> }> {
    let closed = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client(this.#clientConfig);
      next.on('notification', (message) => {
        if (message.channel === workChannel) onWork();
      });
      next.on('error', (error) => {
        onError(error);
        void next.end().catch(() => {});
        if (client === next) client = undefined;
        schedule();
      });
      await next.connect();
      await next.query(`LISTEN ${workChannel}`);
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      // Work announced while no connection listened is found now.
      onWork();
    };
    const schedule = () => {
      if (closed || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        connect().catch((error: unknown) => {
          onError(error as Error);
          schedule();
        });
      }, 1000);
      retry.unref();
    };
    await connect().catch((error: unknown) => {
      onError(error as Error);
      schedule();
    });
    return {
      async close() {
        closed = true;
        if (retry) clearTimeout(retry);
        await client?.end().catch(() => {});
        client = undefined;
      },
    };
  }
}

// ---- rows to records ---------------------------------------------------------------------------

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === uniqueViolation;
}

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

/** A module set as JSON text, or NULL for a one-file function. */
function modulesText(modules: Record<string, string> | null): string | null {
  return modules === null ? null : JSON.stringify(modules);
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const { userOf, apiKeyOf, functionOf, versionOf, secretMetaOf, auditOf, executionOf, signingKeyOf, nodeOf, idempotencyOf, scheduleOf, hookOf, hookRejectionOf } = rowReaders({
  time: iso,
  // json columns arrive parsed.
  json: <T>(value: unknown, fallback: T) => (value === null || value === undefined ? fallback : (value as T)),
  bool: (value) => value === true,
});
