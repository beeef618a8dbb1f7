// The database as Kysely sees it (camelCase here, snake_case in SQL via CamelCasePlugin).
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { DispatchPriority } from '../dispatch/priority.js';
import type { WebhookDeliveriesTable, WebhookEndpointsTable, WebhookRelayCursorTable } from '../webhooks/webhook-tables.js';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'bounced' | 'complained';
export type Cadence = 'instant' | 'daily' | 'weekly';
export type DispatchStatus =
  | 'scheduled'
  | 'pending'
  | 'held' // its time passed more than HERALD_MAX_LATENESS_MINUTES ago (Herald was down): waits for an editor
  | 'running'
  | 'paused'
  | 'completed'
  | 'completed_with_failures' // finished, but some deliveries failed, were blocked or are uncertain
  | 'cancelled'
  | 'failed';
export type DeliveryStatus =
  | 'pending' // waiting for its turn
  | 'sending' // handed to the transport; if found so after a crash, the outcome is unknown
  | 'sent'
  | 'failed'
  | 'blocked' // refused for policy reasons (RFC 3463 5.7.x and the like): not the reader's fault
  | 'skipped' // recipient left or was suppressed before its turn
  | 'uncertain' // may or may not have arrived; held for an editor
  | 'preview' // social channel without credentials: composed, stored, not sent
  | 'cancelled';
/** pending: to be deleted; retracted: deleted (or already gone); not_posted: nothing to do; live: still online. */
export type Retraction = 'pending' | 'retracted' | 'not_posted' | 'live';
export type BatchStatus = 'pending' | 'running' | 'done';
export type TokenRole = 'admin' | 'editor';

export interface ArticlesTable {
  id: Generated<number>;
  externalId: string;
  title: string;
  url: string;
  excerpt: string;
  html: string;
  authorName: string | null;
  section: string | null;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  imageUrl: string | null;
  imageAlt: string | null;
  publishedAt: ColumnType<Date, Date | string, Date | string>;
  createdAt: CreatedAt;
}

export interface SubscribersTable {
  id: Generated<number>;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  topics: ColumnType<string[], string[] | undefined, string[]>;
  cadence: ColumnType<Cadence, Cadence | undefined, Cadence>;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  bounceCount: ColumnType<number, number | undefined, number>;
  /** Soft bounces in a row across editions; reset by a delivery that arrives. */
  softBounces: ColumnType<number, number | undefined, number>;
  source: string | null;
  /** IANA zone the reader lives in; null: the installation's (HERALD_TIMEZONE). */
  timezone: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
}

export interface DispatchesTable {
  id: Generated<number>;
  articleId: number;
  channels: ColumnType<string[], string[], string[]>;
  status: DispatchStatus;
  scheduledAt: Date | null;
  timezone: string | null;
  /** Set by the outbox relay once a BullMQ job exists for this dispatch; null means "not queued yet". */
  enqueuedAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  subject: string | null;
  preheader: string | null;
  socialTexts: Json<Record<string, string>>;
  /** Keyset cursor of the email fan-out: the last subscriber id whose delivery row exists. */
  emailCursor: ColumnType<number, number | undefined, number>;
  emailBatches: ColumnType<number, number | undefined, number>;
  emailFannedOutAt: Date | null;
  error: string | null;
  /** Why the dispatch paused itself (the reputation guard); null when an editor paused it or it runs. */
  pauseReason: string | null;
  /** An editor resumed the dispatch after the reputation guard paused it: the guard leaves it alone from then on. */
  reputationOverriddenAt: Date | null;
  /** `breaking` steps run ahead of everything queued (src/dispatch/priority.ts). */
  priority: ColumnType<DispatchPriority, DispatchPriority | undefined, DispatchPriority>;
  /** "HH:MM": email goes out at that time in each reader's zone, one wave per fire instant (dispatch_waves). */
  localTime: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface EditionsTable {
  dispatchId: number;
  /** The unguessable id in the edition's public "view in browser" URL (/editions/:publicId). */
  publicId: string;
  /** Key of the per-reader markers in html and text (see recipientMarkers); null: rendered with the old fixed ones. */
  markerKey: string | null;
  subject: string;
  preheader: string;
  html: string;
  text: string;
  createdAt: CreatedAt;
}

export interface EmailBatchesTable {
  dispatchId: number;
  batchNo: number;
  status: BatchStatus;
  recipients: number;
  /** The wave this batch belongs to (a local-time dispatch); null otherwise. */
  waveNo: ColumnType<number | null, number | null | undefined, number | null>;
  updatedAt: UpdatedAt;
}

export type WaveStatus = 'scheduled' | 'fanning_out' | 'sent' | 'cancelled';

/** One wave of a local-time dispatch: the readers of `zones`, fanned out at `fireAt` (src/dispatch/waves.ts). */
export interface DispatchWavesTable {
  dispatchId: number;
  waveNo: number;
  zones: ColumnType<string[], string[], string[]>;
  fireAt: Date;
  status: ColumnType<WaveStatus, WaveStatus | undefined, WaveStatus>;
  cursor: ColumnType<number, number | undefined, number>;
  recipients: ColumnType<number, number | undefined, number>;
  updatedAt: UpdatedAt;
}

export interface DeliveriesTable {
  id: Generated<number>;
  dispatchId: number;
  channel: string;
  recipient: string;
  subscriberId: number | null;
  batchNo: number | null;
  status: DeliveryStatus;
  attempts: ColumnType<number, number | undefined, number>;
  lastResponse: string | null;
  remoteId: string | null;
  remoteUrl: string | null;
  content: string | null;
  /** The stable code of the last failure (src/delivery/failure.ts FailureKind). */
  failure: string | null;
  /** End of the retry window, set at the first temporary failure. */
  retryUntil: Date | null;
  /** Email: the transport that accepted the message (an EMAIL_TRANSPORTS name). */
  transport: string | null;
  /** Email: the provider's id for the accepted message (SES MessageId, Mailgun's id); null for SMTP. */
  providerMessageId: string | null;
  /** A social post's retraction: null (none asked), or what deleting it came to (src/social/social-retractor.ts). */
  retraction: ColumnType<Retraction | null, Retraction | null | undefined, Retraction | null>;
  /** Why a retraction is still live or waiting (the network's refusal, a rate limit). */
  retractionNote: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export type CorrectionSocial = 'reply' | 'edit' | 'none';
export type CorrectionStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'uncertain' | 'skipped';
export type CorrectionOutcome = 'emailed' | 'replied' | 'edited';

/** An editor's correction of an article that went out (src/editorial/correct.ts); the same note is the same row. */
export interface CorrectionsTable {
  id: Generated<number>;
  articleId: number;
  note: string;
  /** A short email to every reader whose edition delivery was sent. */
  email: boolean;
  /** Under each post: a reply, an edit where the network can (a reply elsewhere), or nothing. */
  social: CorrectionSocial;
  cause: string | null;
  createdAt: CreatedAt;
}

/** One reader (channel `email`) or one post (channel = network) a correction goes to, and what it came to. */
export interface CorrectionDeliveriesTable {
  id: Generated<number>;
  correctionId: number;
  /** The edition's delivery to this reader, or the social delivery of the post corrected. */
  originalDeliveryId: number;
  channel: string;
  subscriberId: number | null;
  recipient: string;
  status: ColumnType<CorrectionStatus, CorrectionStatus | undefined, CorrectionStatus>;
  outcome: CorrectionOutcome | null;
  /** The reply's id on the network (an edit keeps the post's own id). */
  remoteId: string | null;
  remoteUrl: string | null;
  /** Why it failed or was skipped, or how it differs from what the editor asked (replied where no edit is possible). */
  note: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  updatedAt: UpdatedAt;
}

export type PostPartState = 'pending' | 'sending' | 'posted' | 'deleted';

/** One part of a social delivery posted as a thread (src/social/thread-parts.ts); position 1 starts the thread. */
export interface SocialPostPartsTable {
  deliveryId: number;
  position: number;
  text: string;
  state: ColumnType<PostPartState, PostPartState | undefined, PostPartState>;
  remoteId: string | null;
  /** Bluesky: the record's cid, for the strong refs of the replies under it. */
  remoteCid: string | null;
  remoteUrl: string | null;
  updatedAt: UpdatedAt;
}

export type PostPartRow = Selectable<SocialPostPartsTable>;

/** Email deliveries of a long-finished dispatch, rolled up and deleted (src/delivery/delivery-retention.ts). */
export interface DeliveryTotalsTable {
  dispatchId: number;
  channel: string;
  status: DeliveryStatus;
  failure: string | null;
  count: ColumnType<number, number, number>;
}

/** Warm-up: messages handed to the transport per sending domain and UTC day (src/email/pacing/warmup-counter.ts). */
export interface WarmupDaysTable {
  sendingDomain: string;
  /** `YYYY-MM-DD` (UTC). */
  day: ColumnType<string, string, string>;
  sent: ColumnType<number, number | undefined, number>;
}

/** A retracted article: one row, written by the first retraction. */
export interface RetractionsTable {
  articleId: number;
  reason: string;
  cause: string | null;
  retractedAt: CreatedAt;
}

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  tokenHash: string;
  role: TokenRole;
  createdAt: CreatedAt;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface EventsTable {
  id: Generated<number>;
  at: CreatedAt;
  subjectType: 'article' | 'subscriber' | 'dispatch' | 'delivery';
  subjectId: string;
  event: string;
  fromStatus: string | null;
  toStatus: string | null;
  cause: string | null;
  detail: Json<Record<string, unknown>> | null;
}

export interface SuppressionsTable {
  /** HMAC-SHA256 (keyed with HERALD_SECRET) of the normalised address; see src/subscribers/suppression.ts. */
  emailHash: string;
  reason: 'erased' | 'unsubscribed' | 'bounced' | 'complained';
  createdAt: CreatedAt;
}

export interface SubscriberConfirmationsTable {
  subscriberId: number;
  purpose: 'confirm' | 'change-email';
  nonce: string;
  newEmail: string | null;
  /** Name and topics asked for when a suppressed address subscribes again; applied on confirmation. */
  requested: Json<{ name?: string | null; topics?: string[] }> | null;
  createdAt: CreatedAt;
}

export interface DigestRunsTable {
  id: Generated<number>;
  cadence: 'daily' | 'weekly';
  periodStart: Date;
  periodEnd: Date;
  articles: ColumnType<number, number | undefined, number>;
  editions: ColumnType<number, number | undefined, number>;
  createdAt: CreatedAt;
}

export interface DigestEditionsTable {
  dispatchId: number;
  runId: number;
  cadence: 'daily' | 'weekly';
  periodArticleIds: ColumnType<number[], number[], number[]>;
  articleIds: ColumnType<number[], number[], number[]>;
}

export interface Database {
  articles: ArticlesTable;
  subscribers: SubscribersTable;
  dispatches: DispatchesTable;
  editions: EditionsTable;
  emailBatches: EmailBatchesTable;
  deliveries: DeliveriesTable;
  apiTokens: ApiTokensTable;
  events: EventsTable;
  suppressions: SuppressionsTable;
  subscriberConfirmations: SubscriberConfirmationsTable;
  digestRuns: DigestRunsTable;
  digestEditions: DigestEditionsTable;
  feeds: FeedsTable;
  feedItems: FeedItemsTable;
  retractions: RetractionsTable;
  editionLinks: EditionLinksTable;
  linkClicks: LinkClicksTable;
  deliveryClicks: DeliveryClicksTable;
  webhookEndpoints: WebhookEndpointsTable;
  webhookDeliveries: WebhookDeliveriesTable;
  webhookRelayCursor: WebhookRelayCursorTable;
  deliveryTotals: DeliveryTotalsTable;
  editionOpens: EditionOpensTable;
  deliveryOpens: DeliveryOpensTable;
  clickBuckets: ClickBucketsTable;
  socialEngagement: SocialEngagementTable;
  warmupDays: WarmupDaysTable;
  corrections: CorrectionsTable;
  correctionDeliveries: CorrectionDeliveriesTable;
  dispatchWaves: DispatchWavesTable;
  socialPostParts: SocialPostPartsTable;
}

/** An edition's tracked link (src/analytics/link-tracker.ts), by the position signed into its token. */
export interface EditionLinksTable {
  dispatchId: number;
  position: number;
  url: string;
  kind: 'article' | 'view_in_browser' | 'body' | 'canary';
}

/** Clicks on one tracked link, flushed from Redis in batches (src/analytics/click-flush.ts). */
export interface LinkClicksTable {
  dispatchId: number;
  position: number;
  human: ColumnType<number, number | undefined, number>;
  machine: ColumnType<number, number | undefined, number>;
}

/** Clicks per delivery: written only with HERALD_CLICK_ATTRIBUTION on. */
export interface DeliveryClicksTable {
  dispatchId: number;
  deliveryId: number;
  human: ColumnType<number, number | undefined, number>;
  machine: ColumnType<number, number | undefined, number>;
}

/** Pixel fetches per edition (src/analytics/open-recorder.ts), flushed from Redis in batches. */
export interface EditionOpensTable {
  dispatchId: number;
  human: ColumnType<number, number | undefined, number>;
  machine: ColumnType<number, number | undefined, number>;
}

/** Opens per delivery: written only with HERALD_CLICK_ATTRIBUTION on. */
export interface DeliveryOpensTable {
  dispatchId: number;
  deliveryId: number;
  human: ColumnType<number, number | undefined, number>;
  machine: ColumnType<number, number | undefined, number>;
}

/** Clicks per five minutes; `bucket` is minutes since the epoch (a multiple of 5). */
export interface ClickBucketsTable {
  dispatchId: number;
  bucket: number;
  human: ColumnType<number, number | undefined, number>;
  machine: ColumnType<number, number | undefined, number>;
}

/** A social post's metrics as one read (about 1 h, 24 h or 7 days after posting) found them. */
export interface SocialEngagementTable {
  deliveryId: number;
  read: '1h' | '24h' | '7d';
  status: 'ok' | 'not_available';
  metrics: Json<Record<string, number>>;
  note: string | null;
  readAt: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface FeedsTable {
  url: string;
  firstPolledAt: Date | null;
  lastPolledAt: Date | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
  createdAt: CreatedAt;
}

export interface FeedItemsTable {
  feedUrl: string;
  /** The item's RSS guid or Atom id (its link when it has neither). */
  itemId: string;
  status: 'baseline' | 'published' | 'invalid';
  articleId: number | null;
  detail: string | null;
  seenAt: CreatedAt;
}

export type ArticleRow = Selectable<ArticlesTable>;
export type SubscriberRow = Selectable<SubscribersTable>;
export type DispatchRow = Selectable<DispatchesTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type RetractionRow = Selectable<RetractionsTable>;
export type CorrectionRow = Selectable<CorrectionsTable>;
export type CorrectionDeliveryRow = Selectable<CorrectionDeliveriesTable>;
export type WaveRow = Selectable<DispatchWavesTable>;
