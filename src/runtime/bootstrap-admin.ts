// Makes sure an admin token exists: the configured one, or a generated one printed (and kept) on first start.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createToken, hasAdminToken } from '../auth/api-tokens.js';
import type { Database } from '../db/schema.js';
import { saveGeneratedAdminToken } from './data-dir.js';

export async function bootstrapAdminToken(
  db: Kysely<Database>,
  options: { configured?: string; dataDir: string; log: Logger; announce?: (message: string) => void },
): Promise<void> {
  if (options.configured) {
    await createToken(db, 'admin (HERALD_ADMIN_TOKEN)', 'admin', options.configured);
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
