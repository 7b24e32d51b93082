// The storage contract against the embedded SQLite store, in a fresh file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
