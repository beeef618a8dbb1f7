// `herald doctor` against real parts: a Redis of its own, PostgreSQL, an SMTP server with AUTH, the network
// stand-ins. A correct setup passes (exit 0); a misconfigured one names each problem and what to do (exit 1).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/db/database.js';
import { createPostgresDatabase } from '../support/database.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { runHerald } from '../support/processes.js';
import { startSocialStandIns, type SocialStandIns } from '../support/social.js';
import { MailgunStandIn } from '../support/email-providers/mailgun-server.js';
import { SES_TEST_CREDENTIALS, SesStandIn } from '../support/email-providers/ses-server.js';

const SMTP_USER = 'herald';
const SMTP_PASSWORD = 'smtp-secret';

let smtp: SMTPServer;
let smtpPort: number;
const smtpLog = { logins: 0, refused: 0, messages: 0 };
let goodRedis: PrivateRedis;
let evictingRedis: PrivateRedis;
let migrated: { url: string; drop: () => Promise<void> };
let empty: { url: string; drop: () => Promise<void> };
let social: SocialStandIns;
const dataDir = mkdtempSync(join(tmpdir(), 'herald-doctor-'));

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
        smtpLog.logins++;
        return callback(null, { user: SMTP_USER });
      }
      smtpLog.refused++;
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, _session, callback) {
      smtpLog.messages++;
      stream.resume().on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as { port: number }).port;
  goodRedis = await startPrivateRedis({ appendOnly: true });
  evictingRedis = await startPrivateRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  migrated = await createPostgresDatabase();
  const { db } = await openDatabase({ url: migrated.url, dataDir });
  await migrate(db);
  await db.destroy();
  empty = await createPostgresDatabase();
  social = await startSocialStandIns();
});

afterAll(async () => {
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await goodRedis?.close();
  await evictingRedis?.close();
  await migrated?.drop();
  await empty?.drop();
  await social?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const baseEnv = () => ({
  HERALD_DATA_DIR: dataDir,
  HERALD_SECRET: 'doctor-secret-0123456789abcdef0123456789',
  // The X stand-in's certificate (trusted by the test workers via the global setup).
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
});

describe('herald doctor', () => {
  it('passes a correct setup, with the DKIM record to publish, and sends no mail', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { code, output } = await runHerald(['doctor'], {
      ...baseEnv(),
      ...social.env,
      REDIS_URL: goodRedis.url,
      DATABASE_URL: migrated.url,
      SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtpPort}`,
      DKIM_DOMAIN: 'news.example.org',
      DKIM_SELECTOR: 'herald',
      DKIM_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
      PUBLIC_URL: 'https://news.example.org',
      POSTAL_ADDRESS: 'The Daily Example, 5 Press Row, Springfield',
      MAIL_FROM: 'The Daily Example <newsletter@news.example.org>',
    });
    expect(output).not.toMatch(/^error/m);
    expect(code).toBe(0);
    expect(output).toMatch(/^ok +redis: Redis \d+\./m);
    expect(output).toMatch(/^ok +redis: maxmemory-policy noeviction/m);
    expect(output).toMatch(/^ok +redis: append-only persistence on/m);
    expect(output).toMatch(/^ok +database: every migration applied/m);
    expect(output).toMatch(/^ok +smtp: .*accepts connections and the credentials; no mail sent/m);
    expect(output).not.toContain(SMTP_PASSWORD);
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    expect(output).toContain(`herald._domainkey.news.example.org TXT "v=DKIM1; k=rsa; p=${p}"`);
    expect(output).toMatch(/^ok +x: signed in as @herald/m);
    expect(output).toMatch(/^ok +mastodon: signed in as @herald@/m);
    expect(output).toMatch(/^ok +facebook: signed in as Herald Test Page/m);
    expect(output).toMatch(/^ok +bluesky: signed in as @herald\.test/m);
    expect(smtpLog.logins).toBeGreaterThan(0);
    expect(smtpLog.messages).toBe(0);
    // Read-only: nothing was posted anywhere.
    expect(social.x.tweets).toHaveLength(0);
    expect(social.mastodon.statuses).toHaveLength(0);
    expect(social.facebook.posts).toHaveLength(0);
  });

  it('names every problem of a misconfigured setup with what to do, and exits non-zero', async () => {
    const { code, output } = await runHerald(['doctor'], {
      ...baseEnv(),
      ...social.urlsOnly,
      MASTODON_TOKEN: 'wrong-token',
      REDIS_URL: evictingRedis.url,
      DATABASE_URL: empty.url,
      SMTP_URL: `smtp://${SMTP_USER}:wrong@127.0.0.1:${smtpPort}`,
      DKIM_DOMAIN: 'news.example.org',
      DKIM_SELECTOR: 'herald',
      DKIM_PRIVATE_KEY: 'not a key',
      PUBLIC_URL: 'http://news.example.org',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/^error +redis: maxmemory-policy is allkeys-lru/m);
    expect(output).toMatch(/^warning redis: append-only persistence is off/m);
    expect(output).toMatch(/^error +database: \d+ migration\(s\) not applied: 0001_initial/m);
    expect(output).toMatch(/→ run `herald migrate`/);
    expect(output).toMatch(/^error +smtp: .*535/m);
    expect(output).toMatch(/→ check the user and password in SMTP_URL/);
    expect(output).toMatch(/^error +dkim: DKIM_PRIVATE_KEY is not a PEM private key/m);
    expect(output).toMatch(/^error +public-url: .*needs https/m);
    expect(output).toMatch(/^error +postal-address: /m);
    expect(output).toMatch(/^error +mastodon: the account did not answer as expected/m);
    expect(output).toMatch(/^ok +x: preview mode/m);
    expect(smtpLog.refused).toBeGreaterThan(0);
  });

  it('checks each configured provider transport with a read-only call, and sends nothing', async () => {
    const ses = await new SesStandIn('eu-west-1').start();
    const mailgun = await new MailgunStandIn('mg.news.example.org', 'key-right').start();
    try {
      const { code, output } = await runHerald(['doctor'], {
        ...baseEnv(),
        REDIS_URL: goodRedis.url,
        DATABASE_URL: migrated.url,
        EMAIL_TRANSPORTS: 'ses,mailgun',
        SES_REGION: 'eu-west-1',
        SES_ENDPOINT: ses.url,
        // Read by the AWS SDK's own credential chain, as on a host without an IAM role.
        AWS_ACCESS_KEY_ID: SES_TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SES_TEST_CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
        MAILGUN_DOMAIN: 'mg.news.example.org',
        MAILGUN_API_KEY: 'key-wrong',
        MAILGUN_API_URL: mailgun.url,
      });
      expect(code).toBe(1);
      expect(output).toMatch(/^ok +ses: Amazon SES \(sends\): eu-west-1: sending enabled, production access/m);
      expect(output).toMatch(/^error +mailgun: Mailgun \(listed for failover\) did not answer as expected: .*401/m);
      expect(output).toMatch(/→ check MAILGUN_API_KEY, MAILGUN_DOMAIN, MAILGUN_API_URL and the credentials/);
      // SMTP is not listed: nothing to check there, and no capture-inbox warning.
      expect(output).not.toMatch(/^\w+ +smtp:/m);
      // The provider signs: no "DKIM is off" warning, a reminder to verify the domain there instead.
      expect(output).toMatch(/^ok +dkim: ses signs the messages itself/m);
      expect(output).not.toContain('key-wrong');
      expect(ses.requestsTo('/v2/email/account')).toHaveLength(1);
      expect(ses.accepted).toHaveLength(0);
      expect(mailgun.requestsTo('/v3/domains/mg.news.example.org')).toHaveLength(1);
    } finally {
      await ses.close();
      await mailgun.close();
    }
  });

  it('reads a .env in the working directory, and the environment wins over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), 'SMTP_POOL_SIZE=many\nEMAIL_BATCH_SIZE=none\n# a comment\nLIST_NAME=\n');
      const fromFile = await runHerald(['doctor'], baseEnv(), { cwd: dir });
      expect(fromFile.code).toBe(1);
      expect(fromFile.output).toMatch(/^error +config: SMTP_POOL_SIZE: /m);
      expect(fromFile.output).toMatch(/^error +config: EMAIL_BATCH_SIZE: /m);
      const overridden = await runHerald(['doctor'], { ...baseEnv(), SMTP_POOL_SIZE: '3' }, { cwd: dir });
      expect(overridden.output).not.toMatch(/SMTP_POOL_SIZE/);
      expect(overridden.output).toMatch(/^error +config: EMAIL_BATCH_SIZE: /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints its version', async () => {
    const { code, output } = await runHerald(['--version'], {});
    expect(code).toBe(0);
    expect(output.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('reports invalid settings as errors without touching anything', async () => {
    const { code, output } = await runHerald(['doctor'], { ...baseEnv(), SMTP_POOL_SIZE: 'many', REDIS_URL: 'not a url' });
    expect(code).toBe(1);
    expect(output).toMatch(/^error +config: SMTP_POOL_SIZE: /m);
    expect(output).toMatch(/^error +config: REDIS_URL: /m);
  });
});
