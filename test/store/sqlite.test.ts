// The storage contract against the embedded SQLite store, in a fresh file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { SchemaTooNewError } from '../../src/store/index.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { storeSuite } from './suite.ts';

let dir = '';
storeSuite('sqlite', {
  async open() {
    dir = mkdtempSync(path.join(tmpdir(), 'teejs-store-'));
    return SqliteStore.open(path.join(dir, 'teejs.db'));
  },
  async cleanup() {
    rmSync(dir, { recursive: true, force: true });
  },
});

describe('sqlite store schema', () => {
  it('refuses a database migrated by a newer teejs, saying why', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'teejs-store-'));
    try {
      const file = path.join(folder, 'teejs.db');
      await (await SqliteStore.open(file)).close();
      const db = new DatabaseSync(file);
      db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', '2030-01-01T00:00:00.000Z')");
      db.close();
      assert.throws(() => SqliteStore.open(file), (error: Error) => error instanceof SchemaTooNewError && /version 99, newer than this teejs knows/.test(error.message));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('sqlite store checkpoints', () => {
  it("moves committed writes from the WAL into the database file on a thread of its own, and leaves no WAL after close", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'teejs-store-'));
    try {
      const file = path.join(folder, 'teejs.db');
      const store = SqliteStore.open(file);
      const sizeOf = (name: string) => (existsSync(name) ? statSync(name).size : 0);
      const before = sizeOf(file);
      // About 1,000 pages of commits: far below the server connection's own checkpoint
      // threshold, so only the checkpoint thread can move them into the database file.
      const at = new Date().toISOString();
      for (let i = 0; i < 200; i++) {
        await store.createUser({ id: `user-${i}`, name: `user-${i}-${'x'.repeat(16_000)}`, createdAt: at });
      }
      assert.ok(sizeOf(`${file}-wal`) > 0, 'the commits are in the WAL');
      const deadline = Date.now() + 30_000;
      while (sizeOf(file) <= before + 1_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(sizeOf(file) > before + 1_000_000, `the database file grew from ${before} to ${sizeOf(file)} bytes`);
      assert.equal((await store.listUsers({ limit: 100 })).items.length, 100);
      await store.close();
      assert.equal(existsSync(`${file}-wal`), false, 'the last connection to close removes the WAL');
      const reopened = SqliteStore.open(file);
      assert.equal((await reopened.getUser('user-199'))?.id, 'user-199');
      await reopened.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
