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
