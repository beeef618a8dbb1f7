// Herald's configuration: read from the environment once, validated by one zod schema. Nothing else reads process.env.
import { z } from 'zod';
import { isTimeZone } from '../dispatch/schedule.js';
import { SNS_REGIONAL_HOST } from '../feedback/sns-hosts.js';
import { defaultTransport, TRANSPORT_NAMES, TRANSPORT_SETTINGS_SHAPE, transportDefinition, type TransportName } from '../email/transports/registry.js';
import { transportListSetting } from '../email/transports/transport-list.js';
import { pacingProblems, pacingSettings } from '../email/pacing/pacing-settings.js';
import { allowEntryProblem } from '../net/address-policy.js';
import { socialEnvShape } from '../social/networks.js';
import { optionalString, positiveInt, url } from './env-values.js';

/**
 * Values copied from .env.example or the docs would be known to anyone who read them: with a known HERALD_SECRET
 * anyone can forge every subscriber's unsubscribe and preferences links.
 */
const PLACEHOLDER_SECRETS = [/^change-?me/i, /^replace-?me/i, /^your[-_ ]/i, /^(secret|password|token|admin|example)$/i];
export const isPlaceholderSecret = (value: string) => PLACEHOLDER_SECRETS.some((pattern) => pattern.test(value.trim()));

const secretValue = (minLength: number) =>
  z
    .string()
    .min(minLength, `must be at least ${minLength} characters`)
    .refine((v) => !isPlaceholderSecret(v), 'is a placeholder from the documentation; generate one with `openssl rand -hex 32`')
    .optional();
/** The footer's placeholder address: fine for trying Herald, unlawful in a real newsletter (`herald doctor` says so). */
export const EXAMPLE_POSTAL_ADDRESS = 'Herald Newsroom, 1 Example Street, Springfield';

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
  HERALD_SECRET: optionalString.pipe(secretValue(32)),
  /** The secret before a rotation: links signed with it still verify; nothing is signed with it. */
  HERALD_SECRET_PREVIOUS: optionalString.pipe(secretValue(32)),
  HERALD_ADMIN_TOKEN: optionalString.pipe(secretValue(16)),
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
  /**
   * How often the queue reconciler compares the database's unfinished steps with the jobs in Redis and re-queues the
   * missing ones (also once at start), so a Redis that lost its data resumes every send by itself.
   */
  HERALD_RECONCILE_INTERVAL_MS: positiveInt(60_000),
  /**
   * Email delivery rows of dispatches finished more than this many days ago are rolled into per-dispatch totals and
   * deleted (a pass every few hours); counts and reports stay the same. 0 (default): every row is kept.
   */
  HERALD_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(0).default(0),
  /**
   * A process that runs workers asks V8 for a full collection when its heap grew by this many MB since the last one
   * (V8 alone lets it grow several times over before collecting). 0: leave it to V8.
   */
  HERALD_HEAP_BUDGET_MB: z.coerce.number().int().min(0).default(16),
  /** On SIGTERM/SIGINT: how long the chunks in flight may take to finish before the process exits anyway. */
  HERALD_SHUTDOWN_GRACE_MS: positiveInt(20_000),
  /** Bearer token Prometheus must send for /metrics (API and worker). Unset: /metrics is open. */
  HERALD_METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** Where `herald worker` serves /metrics, /livez and /readyz (on HOST). Unset: no server; 0: any free port. */
  HERALD_WORKER_PORT: z.coerce.number().int().min(0).max(65535).optional(),

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
  /**
   * Hosts, IP addresses and CIDR ranges content URLs may be fetched from although they are private or loopback
   * (comma-separated). Dangerous: an article's image URL or a feed's redirect may then reach these hosts.
   */
  HERALD_FETCH_ALLOW_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((h) => h.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const problem = allowEntryProblem(entry);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }
    }),
  /** How often each feed in HERALD_FEEDS is fetched. */
  HERALD_FEED_INTERVAL_SECONDS: positiveInt(300),
  /** HMAC-SHA256 key for POST /webhooks/cms (signature of the raw body); unset disables that endpoint. */
  CMS_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  /** An outbound webhook endpoint whose every delivery has failed for this long is disabled (src/webhooks). */
  HERALD_WEBHOOK_DISABLE_AFTER_HOURS: positiveInt(72),

  // Email
  /**
   * Where mail goes: names in src/email/transports/registry.ts, comma-separated, in failover order (`ses,smtp`: the
   * first whose circuit breaker is closed sends), or with a share each (`ses:80,postmark:20`: traffic split by weight
   * among the healthy ones). Unset: `smtp` when SMTP_URL is set, else `capture` (the built-in capture inbox, an SMTP
   * server on loopback writing .eml files to the data dir). Each transport's own settings (SMTP_URL, SES_REGION,
   * MAILGUN_API_KEY, …) are declared in its file and merged here.
   */
  EMAIL_TRANSPORTS: transportListSetting.optional(),
  /** Transient failures or timeouts in a row that open a transport's circuit breaker (traffic moves to the next one). */
  EMAIL_BREAKER_FAILURES: positiveInt(5),
  /** How long an open breaker waits before one probe message may try that transport again. */
  EMAIL_BREAKER_COOLDOWN_MS: positiveInt(30_000),
  /** The one-entry form of EMAIL_TRANSPORTS (from before the list); set one of the two. */
  EMAIL_TRANSPORT: z.enum(TRANSPORT_NAMES).optional(),
  ...TRANSPORT_SETTINGS_SHAPE,
  MAIL_FROM: z.string().trim().min(3).default('Herald <newsletter@localhost>'),
  LIST_NAME: z.string().trim().min(1).default('Herald Newsletter'),
  POSTAL_ADDRESS: z.string().trim().default(EXAMPLE_POSTAL_ADDRESS),
  /** An address mailbox providers may also unsubscribe through (List-Unsubscribe mailto). */
  UNSUBSCRIBE_MAILTO: optionalString,
  EMAIL_BATCH_SIZE: positiveInt(500),
  /**
   * Deliveries of a batch claimed and handed to the pool together (default: 4 per SMTP connection). It is also the
   * most a crash can leave with an unknown outcome per running batch.
   */
  EMAIL_SEND_CHUNK: z.coerce.number().int().positive().optional(),
  /**
   * How long an email keeps being retried after its first temporary failure (4xx, connection refused, a timeout
   * before DATA); only then does it fail, with the last reason. Attempts are not counted: a relay down for several
   * minutes delays the send and fails nobody. (SMTP_MAX_ATTEMPTS is gone: a count fails readers for a short outage.)
   */
  SMTP_RETRY_WINDOW_MINUTES: z.coerce.number().positive().default(60),
  /** First wait before a batch retries its deferred emails; doubles each time up to SMTP_RETRY_BACKOFF_MAX_MS. */
  SMTP_RETRY_BACKOFF_MS: positiveInt(2000),
  SMTP_RETRY_BACKOFF_MAX_MS: positiveInt(5 * 60_000),
  /** Soft bounces (full mailbox, 4xx to the end of the retry window) in a row, across editions, that bounce a reader. */
  SOFT_BOUNCE_LIMIT: positiveInt(3),
  /**
   * Reputation guard: a dispatch pauses itself when blocked and hard-bounced emails pass REPUTATION_EARLY_PERCENT of
   * its first REPUTATION_EARLY_ATTEMPTS attempts, or REPUTATION_PERCENT of all attempts after that.
   */
  REPUTATION_EARLY_ATTEMPTS: positiveInt(1000),
  REPUTATION_EARLY_PERCENT: z.coerce.number().min(0).max(100).default(5),
  REPUTATION_PERCENT: z.coerce.number().min(0).max(100).default(2),
  /** What to do with a message whose SMTP outcome is unknown after a crash: resend (nobody missed) or hold. */
  UNCERTAIN_DELIVERY_POLICY: z.enum(['resend', 'hold']).default('resend'),
  // Per-provider pacing and the warm-up cap (src/email/pacing/pacing-settings.ts, where each is documented).
  ...pacingSettings,

  // Clicks and opens (src/analytics; see the README's "Clicks")
  /** `on`: clicks are also counted per delivery (unique clickers). `off` (default): nothing stored ties a click to a reader. */
  HERALD_CLICK_ATTRIBUTION: z.enum(['on', 'off']).default('off'),
  /** Hosts of the newsroom's own site (comma-separated; subdomains included) whose links get utm_* parameters. Unset: none. */
  HERALD_UTM_HOSTS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** How often click and open counts move from Redis to the database (the report is at most this far behind). */
  HERALD_CLICK_FLUSH_MS: positiveInt(5000),
  /**
   * `on`: editions rendered from now carry an open pixel (PUBLIC_URL/o/….gif); opens by image proxies (Apple Mail
   * Privacy Protection, Gmail's proxy) and prefetchers are counted apart as machine opens. `off` (default): no pixel.
   */
  HERALD_TRACK_OPENS: z.enum(['on', 'off']).default('off'),

  // Subscribers (src/subscribers, src/digest; see docs/SUBSCRIBERS.md)
  /** Topics offered on the subscribe and preferences pages, comma-separated. Unset: recent articles' sections and tags. */
  HERALD_TOPICS: optionalString,
  /** Subscribe requests per client IP, and per address, within SUBSCRIBE_RATE_WINDOW_SECONDS. */
  SUBSCRIBE_RATE_PER_IP: positiveInt(20),
  SUBSCRIBE_RATE_PER_ADDRESS: positiveInt(3),
  SUBSCRIBE_RATE_WINDOW_SECONDS: positiveInt(3600),
  /**
   * The installation's IANA time zone: the zone of every reader who has not chosen one (the subscribe form, the
   * preferences page, the CSV `timezone` column, the API), used by local-time dispatches and digests. Unset:
   * DIGEST_TIMEZONE, the one zone Herald had before, so readers who never chose keep their digest's time.
   */
  HERALD_TIMEZONE: z.string().trim().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
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
  /**
   * Hosts Herald fetches SNS signing certificates and SubscribeURLs from (a regular expression). Default: exactly the
   * SNS regional hosts (sns.<region>.amazonaws.com[.cn]); widen it only for a test stand-in.
   */
  SNS_CERT_HOST_PATTERN: z.string().trim().min(1).default(SNS_REGIONAL_HOST.source),
  /** The SNS topics whose notifications count (comma-separated ARNs). Unset: POST /webhooks/ses is off (404). */
  SNS_TOPIC_ARNS: z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((t) => t.trim()).filter(Boolean)),
  /** Bearer token for POST /webhooks/generic; unset disables that endpoint. */
  HERALD_WEBHOOK_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),

  // Social networks: each network's variables are declared in its definition (src/social/*-network.ts, listed in
  // src/social/networks.ts; see docs/SOCIAL.md). A network without credentials is in preview mode: its posts are
  // composed and stored, never sent.
  ...socialEnvShape,
  /** Per request to a network; a post whose request times out is held as `uncertain`, never re-posted blindly. */
  SOCIAL_TIMEOUT_MS: positiveInt(30_000),
  /**
   * `on`: an article whose composed post (headline, summary, link, hashtags) does not fit one post on X, Bluesky or
   * Mastodon goes out whole as a thread instead of with its summary shortened. Default `off`. Editors' own texts are
   * threads either way.
   */
  SOCIAL_THREAD_ARTICLES: z.enum(['on', 'off']).default('off'),
});

export type Env = z.infer<typeof schema>;

export interface Config extends Omit<Env, 'PUBLIC_URL' | 'EMAIL_TRANSPORT' | 'EMAIL_TRANSPORTS' | 'HERALD_TIMEZONE'> {
  PUBLIC_URL: string;
  /** The installation's zone: HERALD_TIMEZONE, or DIGEST_TIMEZONE when unset. */
  HERALD_TIMEZONE: string;
  /** Every configured transport, in failover order. */
  EMAIL_TRANSPORTS: [TransportName, ...TransportName[]];
  /** Each transport's weight when EMAIL_TRANSPORTS gives shares (`ses:80,postmark:20`); undefined: failover order. */
  EMAIL_TRANSPORT_SHARES?: Partial<Record<TransportName, number>>;
  /** The transport that sends: the first of EMAIL_TRANSPORTS. */
  EMAIL_TRANSPORT: TransportName;
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
  // `NAME=` (an .env line left blank, a compose variable without a value) means unset, as in a shell.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), message: issue.message })),
    );
  }
  const c = parsed.data;
  const routes = c.EMAIL_TRANSPORTS;
  if (c.EMAIL_TRANSPORT && routes && (routes.length !== 1 || routes[0].name !== c.EMAIL_TRANSPORT)) {
    throw new ConfigError([{ variable: 'EMAIL_TRANSPORT', message: 'is the one-entry form of EMAIL_TRANSPORTS: set only EMAIL_TRANSPORTS' }]);
  }
  const transports = routes
    ? (routes.map((r) => r.name) as [TransportName, ...TransportName[]])
    : [c.EMAIL_TRANSPORT ?? defaultTransport(c)] as [TransportName];
  const shares = routes?.every((r) => r.share !== undefined)
    ? Object.fromEntries(routes.map((r) => [r.name, r.share!])) as Partial<Record<TransportName, number>>
    : undefined;
  // Every listed transport must be usable, not only the first: a failover target found broken mid-send is too late.
  const problems = [...transports.flatMap((name) => transportDefinition(name).problems(c)), ...pacingProblems(c)];
  if (problems.length > 0) throw new ConfigError(problems);
  const host = c.HOST === '0.0.0.0' || c.HOST === '::' ? 'localhost' : c.HOST;
  const publicUrl = (c.PUBLIC_URL ?? `http://${host}:${c.PORT}`).replace(/\/+$/, '');
  return {
    ...c, PUBLIC_URL: publicUrl, EMAIL_TRANSPORTS: transports, EMAIL_TRANSPORT: transports[0],
    ...(shares ? { EMAIL_TRANSPORT_SHARES: shares } : {}),
    HERALD_TIMEZONE: c.HERALD_TIMEZONE ?? c.DIGEST_TIMEZONE,
  };
}
