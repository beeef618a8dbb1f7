// This database's installation id, and the Redis namespace every process sharing the database uses.
//
// Job ids are deterministic per dispatch id (`dispatch-7`, `batch-7-3`) so a repeated add is a no-op. Dispatch ids
// are only unique within one database: after the database is reset or replaced, a completed job kept in Redis
// under the same id would swallow the new dispatch's job. Keys are therefore namespaced by the installation.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function readInstallationId(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ id: string }>`select id from installation limit 1`.execute(db);
  if (!rows[0]) throw new Error('the installation table is empty; run `herald migrate`');
  return rows[0].id;
}

/** `{herald}:3f9c2a1b7d4e`: the configured prefix keeps its Redis Cluster hash tag in front. */
export function redisNamespace(queuePrefix: string, installationId: string): string {
  return `${queuePrefix}:${installationId}`;
}
