// The storage contract against the embedded SQLite store, in a fresh file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
