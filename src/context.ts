// What every part of a running Herald receives: built once by the composition root (src/herald.ts).
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ClickCounting } from './analytics/click-counting.js';
import type { Config } from './config/config.js';
import type { Database } from './db/schema.js';
import type { OutboxRelay } from './dispatch/outbox-relay.js';
import type { Editorial } from './editorial/editorial.js';
import type { Metrics } from './runtime/metrics.js';
import type { OutboundFetcher } from './net/outbound-fetch.js';
import type { Queues } from './queue/queues.js';
import type { OutageLog } from './runtime/outage-log.js';
import type { Clock } from './runtime/clock.js';
import type { MxResolver } from './email/pacing/mx-directory.js';
import type { SocialAccounts } from './social/social-accounts.js';

export interface HeraldContext {
  config: Config;
  /** HMAC key for links in mail (unsubscribe, confirm, preferences): the only one anything is signed with. */
  secret: string;
  /** Keys a link may be signed with: the secret, then HERALD_SECRET_PREVIOUS (verifies, never signs). */
  linkSecrets: readonly string[];
  /** The guarded fetcher every URL from content goes through (src/net/outbound-fetch.ts). */
  fetcher: OutboundFetcher;
  db: Kysely<Database>;
  redis: Redis;
  /** HERALD_QUEUE_PREFIX plus this database's installation id: every Redis key Herald writes starts with it. */
  redisPrefix: string;
  queues: Queues;
  relay: OutboxRelay;
  metrics: Metrics;
  /** The social accounts, configured (posting) or in preview mode. */
  social: SocialAccounts;
  log: Logger;
  /** One log line when Redis or the database goes away and one when it is back, for the whole process. */
  outages: OutageLog;
  /** The calendar the digest schedulers and the warm-up's days follow (the system clock but in tests). */
  clock: Clock;
  /** Where MX hosts are looked up to group recipients by provider (node:dns unless a test hands one in). */
  mxResolver?: MxResolver;
  /** The application layer: every entry point publishes, cancels and steers through these use cases. */
  editorial: Editorial;
  /** Counts the clicks on tracked links (GET /l/:token) and flushes them to the database. */
  clicks: ClickCounting;
}
