// Makes sure an admin token exists: the configured one, or a generated one printed (and kept) on first start.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import { createToken, hasAdminToken, hashToken } from '../auth/api-tokens.js';
import type { Database } from '../db/schema.js';
import { saveGeneratedAdminToken } from './data-dir.js';

const CONFIGURED_TOKEN_NAME = 'admin (HERALD_ADMIN_TOKEN)';

export async function bootstrapAdminToken(
  db: Kysely<Database>,
  options: { configured?: string; dataDir: string; log: Logger; announce?: (message: string) => void },
): Promise<void> {
  if (options.configured) {
    await createToken(db, CONFIGURED_TOKEN_NAME, 'admin', options.configured);
    // Rotated back to an earlier value: the operator chose it again, so it works again.
    await db.updateTable('apiTokens').set({ revokedAt: null })
      .where('name', '=', CONFIGURED_TOKEN_NAME).where('tokenHash', '=', hashToken(options.configured)).execute();
    // A changed HERALD_ADMIN_TOKEN is a rotation: the value it replaced must stop working, not stay valid beside it.
    const revoked = await db
      .updateTable('apiTokens')
      .set({ revokedAt: sql<Date>`now()` })
      .where('name', '=', CONFIGURED_TOKEN_NAME)
      .where('tokenHash', '!=', hashToken(options.configured))
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    if (revoked.numUpdatedRows > 0n) {
      options.log.info({ event: 'admin_token.rotated', revoked: Number(revoked.numUpdatedRows) }, 'the previous HERALD_ADMIN_TOKEN is revoked');
    }
    return;
  }
  if (await hasAdminToken(db)) return;
  const { token } = await createToken(db, 'admin (generated)', 'admin');
  const file = saveGeneratedAdminToken(options.dataDir, token);
  const message =
    `\n  Herald generated an admin token (shown once; also kept in ${file}):\n\n    ${token}\n\n` +
    `  Use it as "Authorization: Bearer <token>" or set HERALD_ADMIN_TOKEN.\n`;
  (options.announce ?? ((m) => process.stderr.write(m)))(message);
  options.log.info({ event: 'admin_token.generated', file }, 'generated an admin token');
}
