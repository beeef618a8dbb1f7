// Files Herald keeps in its data dir: the signing secret and the first admin token, created once, private to the owner.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.js';

/**
 * The data dir holds subscriber data (PGlite files, captured .eml, Redis' append-only file) and secrets: 0700 even
 * when it already existed, and (through the umask, which PGlite and redis-server inherit) every file in it 0600,
 * whatever umask Herald was started with.
 */
export function ensureDataDir(dataDir: string): void {
  // A shared directory (sticky bit: /tmp, /var/tmp) must never become 0700: that would lock every other user and
  // service out of it. Herald wants a directory of its own.
  if (existsSync(dataDir) && statSync(dataDir).mode & 0o1000) {
    throw new ConfigError([
      { variable: 'HERALD_DATA_DIR', message: `${dataDir} is a shared directory (sticky bit set); use one of Herald's own, e.g. ${join(dataDir, 'herald')}` },
    ]);
  }
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/**
 * Files another program wrote with its own modes (PGlite unpacks its initial database 0666, whatever the umask):
 * directories 0700, files 0600.
 */
export function restrictTree(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) restrictTree(full);
    else if (entry.isFile()) chmodSync(full, 0o600);
  }
}

/** HERALD_SECRET when configured; otherwise one generated on first start and kept in the data dir. */
export function loadOrCreateSecret(dataDir: string, configured: string | undefined): string {
  if (configured) return configured;
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  ensureDataDir(dataDir);
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

const ADMIN_TOKEN_FILE = 'admin-token';

/** The generated admin token is kept (0600) so the local CLI can use it without copying it around. */
export function saveGeneratedAdminToken(dataDir: string, token: string): string {
  ensureDataDir(dataDir);
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return file;
}

export function readGeneratedAdminToken(dataDir: string): string | undefined {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
