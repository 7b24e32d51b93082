// Numbered SQL migrations, one folder per backend: NNN_name.sql files applied in order, each
// once, recorded in the backend's schema_migrations table.
import { readdirSync, readFileSync } from 'node:fs';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const migrationFile = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export function loadMigrations(folder: URL): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(folder).sort()) {
    const match = migrationFile.exec(file);
    if (!match) continue;
    migrations.push({ version: Number(match[1]), name: match[2]!, sql: readFileSync(new URL(file, folder), 'utf8') });
  }
  migrations.forEach((migration, index) => {
    // A gap or a duplicate means a file was renamed or lost: refuse rather than skip it.
    if (migration.version !== index + 1) throw new Error(`migration ${migration.version}_${migration.name} is out of sequence`);
  });
  return migrations;
}

/** The store holds a schema newer than this code knows: a newer teejs migrated it. */
export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database schema is at version ${found}, newer than this teejs knows (${known}): a newer teejs migrated it. ` +
        'Start that version (or a newer one), or restore a backup made before the upgrade.',
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Refuses a database migrated by a newer teejs: its code may rely on columns and meanings this
 * version does not know, and writing to it could lose or misreport work.
 */
export function checkNotNewer(applied: Iterable<number>, migrations: readonly Migration[]): void {
  const known = migrations.length;
  const found = Math.max(0, ...applied);
  if (found > known) throw new SchemaTooNewError(found, known);
}
