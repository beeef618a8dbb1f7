// Editor API tokens: random, shown once, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, TokenRole } from '../db/schema.js';

export interface TokenOwner {
  id: number;
  name: string;
  role: TokenRole;
}

export type TokenCheck = { ok: true; owner: TokenOwner } | { ok: false; reason: 'unknown' | 'revoked' };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function generateToken(): string {
  return `hrld_${randomBytes(24).toString('base64url')}`;
}

export async function createToken(
  db: Kysely<Database>,
  name: string,
  role: TokenRole,
  token: string = generateToken(),
): Promise<{ token: string; id: number }> {
  const row = await db
    .insertInto('apiTokens')
    .values({ name, role, tokenHash: hashToken(token) })
    .onConflict((oc) => oc.column('tokenHash').doNothing())
    .returning('id')
    .executeTakeFirst();
  const id =
    row?.id ??
    (await db.selectFrom('apiTokens').select('id').where('tokenHash', '=', hashToken(token)).executeTakeFirstOrThrow())
      .id;
  return { token, id };
}

export async function checkToken(db: Kysely<Database>, token: string): Promise<TokenCheck> {
  const row = await db
    .selectFrom('apiTokens')
    .select(['id', 'name', 'role', 'revokedAt'])
    .where('tokenHash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  return { ok: true, owner: { id: row.id, name: row.name, role: row.role } };
}

export async function revokeToken(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db
    .updateTable('apiTokens')
    .set({ revokedAt: sql<Date>`now()` })
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function hasAdminToken(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('apiTokens')
    .select('id')
    .where('role', '=', 'admin')
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  return !!row;
}
