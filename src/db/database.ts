// Opens Herald's database: real PostgreSQL when DATABASE_URL is set, embedded PGlite in the data dir otherwise.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, type Dialect } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** postgres:// URL; unset means embedded PGlite. */
  url?: string;
  /** Folder for PGlite's files; unset (with no url) means an in-memory database, for tests. */
  dataDir?: string;
  /** Connections in the pool (PostgreSQL only). */
  poolSize?: number;
}

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Whether other processes can share this database (PGlite lives inside this one process). */
  shareable: boolean;
}

const INT8_OID = 20;

function postgresDialect(url: string, poolSize: number): Dialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Ids and counts are int8; they stay far below 2^53, so numbers are safe and match PGlite's answer.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection that breaks (PostgreSQL restarted, a failover) is dropped by the pool and the next query
  // reconnects; without a listener the 'error' event would end the process.
  pool.on('error', () => {});
  // A connection that breaks while checked out (mid-query, mid-transaction) emits 'error' on its client too; the
  // query in progress already rejects with it, so the listener only keeps the process from ending.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new PostgresDialect({ pool });
}

/**
 * PGlite's default shared_buffers (128 MB) is sized for a server; the embedded quick start shares one process with
 * the API and workers, and is for trying Herald or a small list (a newsroom's list belongs on PostgreSQL). Measured
 * with the bench's embedded run at 50,000 readers as `npm start` runs it (MALLOC_ARENA_MAX=2, see package.json):
 * 32 MB peaked at 302-307 MB, 24 MB at 296-305 MB, 20 MB at 284-290 MB sending 897-976 msg/s, 16 MB at 282-298 MB
 * but slower (529-787 msg/s: more pages read back from the files). Below that, PGlite's WASM module asks for 128 MB
 * of initial memory (31-49 MB of it touched), and an `initialMemory` below it fails to link.
 */
const PGLITE_SETTINGS = ['-c', 'shared_buffers=20MB'];

async function pgliteDialect(dataDir: string | undefined): Promise<Dialect> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const options = { startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS] };
  const pglite = dataDir ? new PGlite(dataDir, options) : new PGlite(options);
  await pglite.waitReady;
  return new PGliteDialect(pglite);
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const dialect = options.url
    ? postgresDialect(options.url, options.poolSize ?? 10)
    : await pgliteDialect(options.dataDir);
  const db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin()] });
  return { db, kind: options.url ? 'postgres' : 'pglite', shareable: !!options.url };
}

export function pgliteDataDir(heraldDataDir: string): string {
  return join(heraldDataDir, 'pg');
}

/** Applies every pending migration; safe to run at every start and from several processes. */
export async function migrate(db: Db): Promise<string[]> {
  const { error, results } = await migratorFor(db).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations this database has not applied yet (`herald doctor`). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  return (await migratorFor(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
}

function migratorFor(db: Db): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'herald_migrations',
    migrationLockTableName: 'herald_migrations_lock',
  });
}
