// Listing, issuing and revoking API tokens for admins; the last live admin token cannot be revoked (no lock-out).
import type { Kysely } from 'kysely';
import type { Database, TokenRole } from '../db/schema.js';
import { createToken, revokeToken } from './api-tokens.js';

export interface TokenView {
  id: number;
  name: string;
  role: TokenRole;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function listTokens(db: Kysely<Database>): Promise<TokenView[]> {
  return db
    .selectFrom('apiTokens')
    .select(['id', 'name', 'role', 'createdAt', 'lastUsedAt', 'revokedAt'])
    .orderBy('revokedAt', (ob) => ob.desc().nullsFirst())
    .orderBy('id')
    .execute();
}

/** The token in clear, shown once; only its hash is stored. */
export async function issueToken(db: Kysely<Database>, name: string, role: TokenRole): Promise<{ id: number; token: string }> {
  return createToken(db, name, role);
}

export type RevokeOutcome = 'revoked' | 'not-found' | 'already-revoked' | 'last-admin';

export async function revokeTokenSafely(db: Kysely<Database>, id: number): Promise<RevokeOutcome> {
  const row = await db.selectFrom('apiTokens').select(['role', 'revokedAt']).where('id', '=', id).executeTakeFirst();
  if (!row) return 'not-found';
  if (row.revokedAt) return 'already-revoked';
  if (row.role === 'admin') {
    const admins = await db
      .selectFrom('apiTokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('revokedAt', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(admins.n) <= 1) return 'last-admin';
  }
  return (await revokeToken(db, id)) ? 'revoked' : 'already-revoked';
}
