// The storage contract against PostgreSQL, in a fresh schema of the database named by
// TEEJS_TEST_DATABASE_URL. CI starts a server and sets it; elsewhere the suite is skipped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { SchemaTooNewError } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { storeSuite } from './suite.ts';

const url = process.env.TEEJS_TEST_DATABASE_URL;

if (!url) {
  describe('postgres store', () => {
    it('is skipped: set TEEJS_TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DB to run it', { skip: true }, () => {});
  });
} else {
  const schema = `teejs_test_${randomBytes(6).toString('hex')}`;
  storeSuite('postgres', {
    open: () => PostgresStore.open({ connectionString: url, schema }),
    async cleanup() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  });

  describe('postgres store schema', () => {
    it('refuses a database migrated by a newer teejs, saying why', async () => {
      const newer = `teejs_newer_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await (await PostgresStore.open({ connectionString: url, schema: newer })).close();
        await client.query(`INSERT INTO ${newer}.schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', now())`);
        await assert.rejects(PostgresStore.open({ connectionString: url, schema: newer }), (error: Error) => error instanceof SchemaTooNewError && /version 99/.test(error.message));
      } finally {
        await client.query(`DROP SCHEMA IF EXISTS ${newer} CASCADE`);
        await client.end();
      }
    });
  });
}
