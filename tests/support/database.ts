// A fresh, migrated database per test file: in-memory PGlite by default, a new PostgreSQL database when
// HERALD_TEST_DB=postgres (the `postgres` vitest project), so both engines run the same suite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate, openDatabase, type DatabaseHandle } from '../../src/db/database.js';

export const POSTGRES_ADMIN_URL = process.env.HERALD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const testDatabaseKind = (): 'postgres' | 'pglite' => (process.env.HERALD_TEST_DB === 'postgres' ? 'postgres' : 'pglite');

export interface TestDatabase extends DatabaseHandle {
  /** Connection URL other processes can use (PostgreSQL only). */
  url?: string;
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL database and returns its URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `herald_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

export async function createTestDatabase(kind = testDatabaseKind()): Promise<TestDatabase> {
  if (kind === 'postgres') {
    const { url, drop } = await createPostgresDatabase();
    const handle = await openDatabase({ url, poolSize: 5 });
    await migrate(handle.db);
    return { ...handle, url, drop: async () => { await handle.db.destroy(); await drop(); } };
  }
  const handle = await openDatabase({});
  await migrate(handle.db);
  return { ...handle, drop: () => handle.db.destroy() };
}
