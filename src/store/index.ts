// Opens the configured store: PostgreSQL when a database URL is given, else the embedded SQLite
// file in the data directory.
import path from 'node:path';
import { PostgresStore } from './postgres/store.ts';
import { SqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

export type * from './types.ts';
export { InvalidCursorError } from './rows.ts';
export { SchemaTooNewError } from './migrations.ts';

export const sqliteFileName = 'teejs.db';

export async function openStore(options: { databaseUrl?: string | undefined; dataDir: string }): Promise<Store> {
  if (options.databaseUrl) return PostgresStore.open({ connectionString: options.databaseUrl });
  return SqliteStore.open(path.join(options.dataDir, sqliteFileName));
}
