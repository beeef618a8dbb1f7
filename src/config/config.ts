// Herald's configuration: read from the environment once, validated by one zod schema. Nothing else reads process.env.
import { z } from 'zod';
import { isTimeZone } from '../dispatch/schedule.js';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (example: string) =>
  z.string().trim().url({ message: `must be a URL like ${example}` });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Base of every link Herald puts in mail and pages; defaults to http://HOST:PORT. */
  PUBLIC_URL: url('https://news.example.org').optional(),
  HERALD_DATA_DIR: z.string().trim().min(1).default('./data'),
  /**
   * Whether to believe X-Forwarded-For (client IPs for rate limits): `false` (default), `true`, a hop count, or a
   * comma-separated list of proxy addresses. Only trust a proxy you run, or clients can pick their own IP.
   */
  TRUST_PROXY: z
    .string()
    .trim()
    .default('false')
    .transform((v): boolean | number | string[] =>
      v === 'true' ? true : v === 'false' || v === '' ? false : /^\d+$/.test(v) ? Number(v) : v.split(',').map((s) => s.trim())),
  REDIS_URL: url('redis://127.0.0.1:6379').optional(),
  /** Unset: embedded PGlite in HERALD_DATA_DIR/pg. */
  DATABASE_URL: url('postgres://user@host:5432/db').optional(),
  HERALD_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  HERALD_ADMIN_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Token the `herald` CLI sends to the API (falls back to HERALD_ADMIN_TOKEN, then the generated one). */
  HERALD_TOKEN: optionalString,
  HERALD_QUEUE_PREFIX: z.string().trim().min(1).default('{herald}'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bodies above this many bytes get 413. */
  HERALD_BODY_LIMIT: positiveInt(5 * 1024 * 1024),
  /** How often the outbox relay looks for dispatches that are not queued yet. */
  HERALD_RELAY_INTERVAL_MS: positiveInt(3000),
  /** A job of a worker that died is taken over after about this long. */
  HERALD_JOB_LOCK_MS: positiveInt(30_000),

  // Editors: dispatch control, the dashboard, publishing from outside (see docs/EDITORS.md)
  /** A dispatch whose time passed longer ago than this (Herald was down) is `held` for an editor instead of sent. */
  HERALD_MAX_LATENESS_MINUTES: positiveInt(60),
  /** How long a dashboard sign-in lasts. */
  HERALD_SESSION_HOURS: positiveInt(12),
  /** RSS or Atom feeds whose new items are published, comma-separated. Unset: no feed watcher. */
  HERALD_FEEDS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(url('https://news.example.org/feed.xml').refine((u) => /^https?:/i.test(u), 'must be http(s)'))),
  /** How often each feed in HERALD_FEEDS is fetched. */
  HERALD_FEED_INTERVAL_SECONDS: positiveInt(300),
  /** HMAC-SHA256 key for POST /webhooks/cms (signature of the raw body); unset disables that endpoint. */
  CMS_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  // Email
  /** Unset: the built-in capture inbox (an SMTP server on loopback writing .eml files to the data dir). */
  SMTP_URL: url('smtp://user:pass@smtp.example.org:587').optional(),
  SMTP_POOL_SIZE: positiveInt(5),
  /** Messages per second across this process' pool; 0 = unlimited. */
  SMTP_RATE_PER_SECOND: z.coerce.number().int().min(0).default(0),
  MAIL_FROM: z.string().trim().min(3).default('Herald <newsletter@localhost>'),
  LIST_NAME: z.string().trim().min(1).default('Herald Newsletter'),
  POSTAL_ADDRESS: z.string().trim().default('Herald Newsroom, 1 Example Street, Springfield'),
  /** An address mailbox providers may also unsubscribe through (List-Unsubscribe mailto). */
  UNSUBSCRIBE_MAILTO: optionalString,
  EMAIL_BATCH_SIZE: positiveInt(500),
  /**
   * Deliveries of a batch claimed and handed to the pool together (default: 4 per SMTP connection). It is also the
   * most a crash can leave with an unknown outcome per running batch.
   */
  EMAIL_SEND_CHUNK: z.coerce.number().int().positive().optional(),
  /** Tries per email before a temporary failure (4xx, dropped connection) counts as failed. */
  SMTP_MAX_ATTEMPTS: positiveInt(5),
  /** How long all sending pauses after the server answers 421/450/451. */
  SMTP_THROTTLE_WAIT_MS: positiveInt(30_000),
  /** What to do with a message whose SMTP outcome is unknown after a crash: resend (nobody missed) or hold. */
  UNCERTAIN_DELIVERY_POLICY: z.enum(['resend', 'hold']).default('resend'),
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY: optionalString,

  // Subscribers (src/subscribers, src/digest; see docs/SUBSCRIBERS.md)
  /** Topics offered on the subscribe and preferences pages, comma-separated. Unset: recent articles' sections and tags. */
  HERALD_TOPICS: optionalString,
  /** Subscribe requests per client IP, and per address, within SUBSCRIBE_RATE_WINDOW_SECONDS. */
  SUBSCRIBE_RATE_PER_IP: positiveInt(20),
  SUBSCRIBE_RATE_PER_ADDRESS: positiveInt(3),
  SUBSCRIBE_RATE_WINDOW_SECONDS: positiveInt(3600),
  /** Local time (HH:MM, 24h) at which daily and weekly digests go out, in DIGEST_TIMEZONE. */
  DIGEST_TIME: z.string().trim().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, e.g. 08:00').default('08:00'),
  DIGEST_TIMEZONE: z.string().trim().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').default('UTC'),
  /** The day weekly digests go out. */
  DIGEST_WEEKDAY: z.enum(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']).default('monday'),
  /**
   * `off`: no digest runs by the clock (the schedulers are removed); digests only run when a job is added by hand.
   * Tests run with it off, so a real DIGEST_TIME never lands in the middle of one.
   */
  DIGEST_SCHEDULERS: z.enum(['on', 'off']).default('on'),
  /** Hosts Herald fetches SNS signing certificates and SubscribeURLs from (a regular expression). */
  SNS_CERT_HOST_PATTERN: z.string().trim().min(1).default('^sns\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?$'),
  /** Only notifications from these SNS topics count (comma-separated ARNs). Unset: any topic with a valid signature. */
  SNS_TOPIC_ARNS: optionalString,
  /** Bearer token for POST /webhooks/generic; unset disables that endpoint. */
  HERALD_WEBHOOK_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  // Social networks (src/social, mapped in src/social/settings.ts; see docs/SOCIAL.md). A network without
  // credentials is in preview mode: its posts are composed and stored, never sent.
  /** X, OAuth 1.0a user context: all four from the app's "Keys and tokens" page. Unset: X in preview mode. */
  X_API_KEY: optionalString,
  X_API_SECRET: optionalString,
  X_ACCESS_TOKEN: optionalString,
  X_ACCESS_SECRET: optionalString,
  /** X, instead of the four above: an OAuth 2.0 user-context token (tweet.write, users.read, media.write). */
  X_BEARER_TOKEN: optionalString,
  /** Unset: X itself. An https:// origin every X API call goes to instead (a proxy, a test stand-in). */
  X_API_BASE_URL: url('https://api.x.com').refine((u) => u.startsWith('https://'), 'must be an https:// URL').optional(),
  /** The Facebook Page posted to, with a Page access token (pages_manage_posts). Unset: preview mode. */
  FACEBOOK_PAGE_ID: optionalString,
  FACEBOOK_PAGE_TOKEN: optionalString,
  FACEBOOK_GRAPH_URL: url('https://graph.facebook.com').default('https://graph.facebook.com'),
  /** The Mastodon instance, e.g. https://mastodon.social, with a write:statuses token. Unset: preview mode. */
  MASTODON_URL: url('https://mastodon.social').optional(),
  MASTODON_TOKEN: optionalString,
  /** Bluesky: the PDS to log in to, the account's handle and an app password (never the account password). */
  BLUESKY_SERVICE: url('https://bsky.social').default('https://bsky.social'),
  BLUESKY_HANDLE: optionalString,
  BLUESKY_APP_PASSWORD: optionalString,
  /** Per request to a network; a post whose request times out is held as `uncertain`, never re-posted blindly. */
  SOCIAL_TIMEOUT_MS: positiveInt(30_000),
});

export type Env = z.infer<typeof schema>;

export interface Config extends Omit<Env, 'PUBLIC_URL'> {
  PUBLIC_URL: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  const c = parsed.data;
  const dkim = [c.DKIM_DOMAIN, c.DKIM_SELECTOR, c.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkim !== 0 && dkim !== 3) {
    throw new ConfigError([
      { variable: 'DKIM_DOMAIN', message: 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together' },
    ]);
  }
  const host = c.HOST === '0.0.0.0' || c.HOST === '::' ? 'localhost' : c.HOST;
  const publicUrl = (c.PUBLIC_URL ?? `http://${host}:${c.PORT}`).replace(/\/+$/, '');
  return { ...c, PUBLIC_URL: publicUrl };
}
