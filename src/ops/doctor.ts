// `herald doctor`: checks a deployment before it sends anything — configuration, Redis, the database, SMTP, DKIM,
// links, the postal address and each social account — with one read-only look at each. Every finding is ok,
// warning or error, with what to do; any error makes the command exit non-zero.
import { createPublicKey } from 'node:crypto';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { sql } from 'kysely';
import { EXAMPLE_POSTAL_ADDRESS, type Config } from '../config/config.js';
import { openDatabase, pendingMigrations, pgliteDataDir } from '../db/database.js';
import { readDkimPrivateKey, UnsignableKeyType } from '../email/dkim/dkim-signature.js';
import { DEFAULT_REDIS_URL } from '../runtime/redis.js';
import { SocialAccounts } from '../social/social-accounts.js';
import { checkEmailTransports } from './transport-checks.js';

export type FindingLevel = 'ok' | 'warning' | 'error';

export interface Finding {
  check: string;
  level: FindingLevel;
  message: string;
  /** What to do about a warning or error. */
  fix?: string;
}

const ok = (check: string, message: string): Finding => ({ check, level: 'ok', message });
const warning = (check: string, message: string, fix: string): Finding => ({ check, level: 'warning', message, fix });
const error = (check: string, message: string, fix: string): Finding => ({ check, level: 'error', message, fix });

const CHECK_TIMEOUT_MS = 10_000;

function withTimeout<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** `field:value` lines of an INFO section. */
function infoFields(info: string): Map<string, string> {
  return new Map(info.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => line.split(/:(.*)/s, 2) as [string, string]));
}

export async function checkRedis(config: Config): Promise<Finding[]> {
  const url = config.REDIS_URL ?? DEFAULT_REDIS_URL;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  redis.on('error', () => {});
  try {
    await withTimeout('Redis', redis.connect());
    // INFO, not CONFIG GET: managed Redis services often disable CONFIG.
    const fields = infoFields(await redis.info());
    const version = fields.get('redis_version') ?? '?';
    const findings: Finding[] = [];
    const major = Number(version.split('.')[0]);
    findings.push(
      major >= 7
        ? ok('redis', `Redis ${version} at ${redactUrl(url)}`)
        : error('redis', `Redis ${version} at ${redactUrl(url)}: Herald needs Redis 7 or later`, 'upgrade Redis to 7.x or later'),
    );
    const policy = fields.get('maxmemory_policy') ?? '?';
    findings.push(
      policy === 'noeviction'
        ? ok('redis', 'maxmemory-policy noeviction')
        : error('redis', `maxmemory-policy is ${policy}: Redis may evict queued jobs, and deliveries would be lost`,
            'set `maxmemory-policy noeviction` in redis.conf (or your provider\'s settings)'),
    );
    const aof = fields.get('aof_enabled') === '1';
    const rdbSaves = (await redis.config('GET', 'save').catch(() => []) as string[])[1];
    findings.push(
      aof
        ? ok('redis', 'append-only persistence on')
        : warning('redis', `append-only persistence is off${rdbSaves ? ` (snapshots only: ${rdbSaves})` : ''}: a Redis restart can lose the last jobs`,
            'set `appendonly yes` (and `appendfsync everysec`) in redis.conf'),
    );
    return findings;
  } catch (e) {
    if (!config.REDIS_URL) {
      return [warning('redis', `nothing answers on ${DEFAULT_REDIS_URL}: \`herald serve\` will start redis-server itself (embedded mode)`,
        'for production set REDIS_URL to a Redis 7 with `appendonly yes` and `maxmemory-policy noeviction`')];
    }
    return [error('redis', `cannot reach Redis at ${redactUrl(url)}: ${reason(e)}`, 'check REDIS_URL and that Redis is running')];
  } finally {
    redis.disconnect();
  }
}

export async function checkDatabase(config: Config): Promise<Finding[]> {
  if (!config.DATABASE_URL) {
    return [warning('database', `embedded PGlite in ${pgliteDataDir(config.HERALD_DATA_DIR)}: one process only`,
      'set DATABASE_URL to PostgreSQL to run `herald worker` or more than one process')];
  }
  const { db } = await openDatabase({ url: config.DATABASE_URL, dataDir: pgliteDataDir(config.HERALD_DATA_DIR), poolSize: 1 });
  try {
    const { rows } = await withTimeout('PostgreSQL', sql<{ version: string }>`select current_setting('server_version') as version`.execute(db));
    const findings = [ok('database', `PostgreSQL ${rows[0]?.version ?? '?'} at ${redactUrl(config.DATABASE_URL)}`)];
    const pending = await pendingMigrations(db);
    findings.push(
      pending.length === 0
        ? ok('database', 'every migration applied')
        : error('database', `${pending.length} migration(s) not applied: ${pending.join(', ')}`, 'run `herald migrate` (Herald also applies them at start)'),
    );
    return findings;
  } catch (e) {
    return [error('database', `cannot use PostgreSQL at ${redactUrl(config.DATABASE_URL)}: ${reason(e)}`, 'check DATABASE_URL, the password and that the database exists')];
  } finally {
    await db.destroy();
  }
}

export async function checkSmtp(config: Config): Promise<Finding[]> {
  // A provider sends and SMTP is not listed: there is no SMTP to check (checkEmailTransports looks at the provider).
  if (!config.EMAIL_TRANSPORTS.includes('smtp') && config.EMAIL_TRANSPORT !== 'capture') return [];
  if (config.EMAIL_TRANSPORT === 'capture' || !config.SMTP_URL) {
    const why = config.SMTP_URL ? 'EMAIL_TRANSPORT is capture' : 'SMTP_URL is unset';
    return [warning('smtp', `${why}: mail goes to the capture inbox and reaches nobody`,
      'set SMTP_URL=smtp://user:pass@host:587 (or smtps://) to deliver mail')];
  }
  // verify() connects, says EHLO, upgrades with STARTTLS when offered and authenticates when the URL has
  // credentials; it never sends a message.
  const transport = nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 5000, greetingTimeout: 5000 } as Parameters<typeof nodemailer.createTransport>[0]);
  try {
    await withTimeout('SMTP', transport.verify());
    const authenticated = new URL(config.SMTP_URL).username !== '';
    return [ok('smtp', `${redactUrl(config.SMTP_URL)} accepts connections${authenticated ? ' and the credentials' : ' (no credentials given)'}; no mail sent`)];
  } catch (e) {
    const auth = /auth|535|534|530/i.test(reason(e));
    return [error('smtp', `${redactUrl(config.SMTP_URL)}: ${reason(e)}`, auth ? 'check the user and password in SMTP_URL' : 'check the host and port in SMTP_URL, and that the server is reachable')];
  } finally {
    transport.close();
  }
}

export function checkDkim(config: Config): Finding[] {
  const { DKIM_DOMAIN: domain, DKIM_SELECTOR: selector, DKIM_PRIVATE_KEY: pem } = config;
  const sender = config.EMAIL_TRANSPORTS[0];
  if ((!domain || !selector || !pem) && sender !== 'smtp' && sender !== 'capture') {
    // A provider's API takes the message as it is and signs it with the domain's keys it holds.
    return [ok('dkim', `${sender} signs the messages itself: check that the sending domain's DKIM is verified there`)];
  }
  if (!domain || !selector || !pem) {
    return [warning('dkim', 'DKIM is off: unsigned newsletters are more often filtered as spam',
      'set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY (an RSA 2048-bit or Ed25519 key), then publish the TXT record this check prints')];
  }
  let publicKey;
  try {
    // The same reading the signer does, so doctor accepts exactly the keys that sign.
    publicKey = createPublicKey(readDkimPrivateKey(pem));
  } catch (e) {
    const unreadable = !(e instanceof UnsignableKeyType);
    return [error('dkim', reason(e), unreadable
      ? 'paste the whole PEM, -----BEGIN … PRIVATE KEY----- included (line breaks as \\n)'
      : 'generate an RSA key: openssl genrsa 2048')];
  }
  const type = publicKey.asymmetricKeyType;
  const record = (k: string, p: string) => `${selector}._domainkey.${domain} TXT "v=DKIM1; k=${k}; p=${p}"`;
  if (type === 'rsa') {
    const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const findings = [ok('dkim', `RSA ${bits}-bit key for ${domain}; publish: ${record('rsa', p)}`)];
    if (bits < 2048) findings.push(warning('dkim', `a ${bits}-bit RSA key is weak; Gmail and others expect 2048 bits`, 'generate a 2048-bit key: openssl genrsa 2048'));
    return findings;
  }
  // Ed25519, the only other type readDkimPrivateKey lets through. The record carries the raw 32-byte key
  // (RFC 8463): the SPKI DER minus its 12-byte prefix.
  const p = publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64');
  return [ok('dkim', `Ed25519 key for ${domain}; publish: ${record('ed25519', p)}`),
    warning('dkim', 'some receivers cannot verify Ed25519 signatures yet', 'sign with an RSA 2048-bit key as well, or instead')];
}

export function checkLinks(config: Config): Finding[] {
  const url = new URL(config.PUBLIC_URL);
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  const findings: Finding[] = [];
  if (url.protocol === 'https:') findings.push(ok('public-url', `links in mail point to ${config.PUBLIC_URL}`));
  else if (local) findings.push(warning('public-url', `PUBLIC_URL is ${config.PUBLIC_URL}: readers cannot open these links`, 'set PUBLIC_URL to the https:// address readers reach Herald at'));
  else findings.push(error('public-url', `PUBLIC_URL is ${config.PUBLIC_URL}: one-click unsubscribe (RFC 8058) needs https`, 'serve Herald behind TLS and set PUBLIC_URL=https://…'));
  findings.push(
    config.POSTAL_ADDRESS && config.POSTAL_ADDRESS !== EXAMPLE_POSTAL_ADDRESS
      ? ok('postal-address', `footer address: ${config.POSTAL_ADDRESS}`)
      : error('postal-address', 'POSTAL_ADDRESS is the example address: anti-spam law (CAN-SPAM, CASL) requires your real one', 'set POSTAL_ADDRESS to the newsroom\'s postal address'),
  );
  if (/@localhost\b/i.test(config.MAIL_FROM)) {
    findings.push(warning('mail-from', `MAIL_FROM is ${config.MAIL_FROM}`, 'set MAIL_FROM to an address of your own domain (the one DKIM signs for)'));
  }
  return findings;
}

export async function checkSocial(config: Config): Promise<Finding[]> {
  const accounts = SocialAccounts.fromConfig(config);
  return Promise.all(
    accounts.all().map(async ({ network, channel, missing }): Promise<Finding> => {
      if (!channel) return ok(network, `preview mode: posts are composed, not sent (to post, set ${missing.join(', ')})`);
      try {
        const name = await withTimeout(network, channel.verify());
        return ok(network, `signed in as ${name}`);
      } catch (e) {
        return error(network, `the account did not answer as expected: ${reason(e)}`, `check the ${network} credentials (see docs/SOCIAL.md)`);
      }
    }),
  );
}

/** Every check, in the order an operator fixes things. */
export async function runDoctor(config: Config): Promise<Finding[]> {
  const groups = await Promise.all([checkRedis(config), checkDatabase(config), checkSmtp(config), checkEmailTransports(config), checkSocial(config)]);
  return [ok('config', 'every setting is valid'), ...groups[0], ...groups[1], ...groups[2], ...groups[3], ...checkDkim(config), ...checkLinks(config), ...groups[4]];
}

export function formatFinding(finding: Finding): string {
  const head = `${finding.level.padEnd(7)} ${finding.check}: ${finding.message}`;
  return finding.fix ? `${head}\n        → ${finding.fix}` : head;
}

/** The URL without its password, for output. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}
