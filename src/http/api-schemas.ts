// The shapes of the editor API's answers, for the OpenAPI document (src/http/openapi.ts) and the test that checks
// real answers against it. Requests are described by the zod schemas that validate them, in each route file.
import { z } from 'zod';
import { DISPATCH_PRIORITIES } from '../dispatch/priority.js';
import { NETWORK_NAMES } from '../social/networks.js';
import { errorBody } from './errors.js';
import { nextCursorField } from './pagination.js';

const id = z.number().int().positive();
const timestamp = z.string().describe('ISO 8601 date-time');
const nullableTimestamp = timestamp.nullable();

export const dispatchStatus = z.enum(['scheduled', 'pending', 'held', 'running', 'paused', 'completed', 'cancelled', 'failed']);
export const deliveryStatus = z.enum(['pending', 'sending', 'sent', 'failed', 'skipped', 'uncertain', 'preview', 'cancelled']);

export const article = z
  .looseObject({
    id,
    externalId: z.string(),
    title: z.string(),
    url: z.string(),
    excerpt: z.string(),
    html: z.string().describe('sanitised on the way in'),
    authorName: z.string().nullable(),
    section: z.string().nullable(),
    tags: z.array(z.string()),
    imageUrl: z.string().nullable(),
    imageAlt: z.string().nullable(),
    publishedAt: timestamp,
    createdAt: timestamp,
  })
  .meta({ id: 'Article' });

export const dispatch = z
  .looseObject({
    id,
    articleId: id,
    channels: z.array(z.string()),
    status: dispatchStatus,
    scheduledAt: nullableTimestamp,
    timezone: z.string().nullable(),
    startedAt: nullableTimestamp,
    completedAt: nullableTimestamp,
    subject: z.string().nullable(),
    preheader: z.string().nullable(),
    socialTexts: z.record(z.string(), z.string()),
    error: z.string().nullable(),
    priority: z.enum(DISPATCH_PRIORITIES).describe('breaking: every step runs ahead of everything queued'),
    localTime: z.string().nullable().describe('HH:MM: email goes out at that time in each reader\'s zone, in waves'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Dispatch' });

const channelProgress = z.object({
  channel: z.string(),
  total: z.number().int(),
  counts: z.record(z.string(), z.number().int()).describe('deliveries per status'),
});

export const socialPost = z
  .looseObject({
    id,
    channel: z.string(),
    account: z.string(),
    status: deliveryStatus,
    content: z.string().nullable(),
    remoteId: z.string().nullable(),
    remoteUrl: z.string().nullable(),
    lastResponse: z.string().nullable(),
    attempts: z.number().int(),
    updatedAt: timestamp,
    retraction: z
      .enum(['pending', 'retracted', 'not_posted', 'live'])
      .nullable()
      .describe('after a retraction: pending (being deleted), retracted, not_posted (nothing to do), live (see retractionNote)'),
    retractionNote: z.string().nullable().describe('why the post is still live (the network refused, a rate limit)'),
    parts: z
      .array(
        z.object({
          position: z.number().int(),
          text: z.string(),
          state: z.enum(['pending', 'sending', 'posted', 'deleted']),
          remoteId: z.string().nullable(),
          remoteUrl: z.string().nullable(),
        }),
      )
      .optional()
      .describe('present when the post went out as a thread: every part, first to last (remoteId is the first part)'),
  })
  .meta({ id: 'SocialPost' });

export const wave = z
  .object({
    waveNo: z.number().int(),
    zones: z.array(z.string()).describe('IANA zones whose readers this wave mails'),
    fireAt: timestamp,
    status: z.enum(['scheduled', 'fanning_out', 'sent', 'cancelled']),
    recipients: z.number().int().describe('readers fanned out so far'),
    counts: z.record(z.string(), z.number().int()).describe('this wave\'s deliveries per status'),
  })
  .meta({ id: 'Wave' });

export const dispatchView = dispatch.extend({ progress: z.array(channelProgress), waves: z.array(wave) }).meta({ id: 'DispatchView' });
export const dispatchWithPosts = dispatchView.extend({ posts: z.array(socialPost) }).meta({ id: 'DispatchWithPosts' });
export const cancelReport = dispatchView
  .extend({
    sent: z.number().int().describe('went out before the cancel took hold'),
    unsent: z.number().int().describe('will not be sent'),
    inFlight: z.number().int(),
  })
  .meta({ id: 'CancelReport' });

export const articleRetraction = z
  .looseObject({
    articleId: id,
    reason: z.string(),
    cause: z.string().nullable(),
    retractedAt: timestamp,
    alreadyRetracted: z.boolean().describe('true: retracted before, nothing new was done'),
    cancelledDispatches: z.array(id).describe('dispatches stopped before they finished: their unsent email will not go'),
    posts: z.array(socialPost.extend({ dispatchId: id })),
  })
  .meta({ id: 'ArticleRetraction' });

export const correctionPost = z
  .looseObject({
    id,
    channel: z.string().describe('the network'),
    originalDeliveryId: id.describe('the social delivery of the post corrected'),
    recipient: z.string().describe('the account'),
    status: z.enum(['pending', 'sending', 'sent', 'failed', 'uncertain', 'skipped']),
    outcome: z.enum(['emailed', 'replied', 'edited']).nullable().describe('once sent: replied under the post, or edited it'),
    remoteId: z.string().nullable().describe("the reply's id on the network (an edit keeps the post's)"),
    remoteUrl: z.string().nullable(),
    note: z.string().nullable().describe('why it failed or was skipped, or why it replied where an edit was asked'),
    attempts: z.number().int(),
    updatedAt: timestamp,
  })
  .meta({ id: 'CorrectionPost' });

export const articleCorrection = z
  .looseObject({
    id,
    articleId: id,
    note: z.string(),
    email: z.boolean(),
    social: z.enum(['reply', 'edit', 'none']),
    cause: z.string().nullable(),
    createdAt: timestamp,
    repeated: z.boolean().describe('true: this note was given before; nothing new was sent'),
    emails: z.record(z.string(), z.number().int()).describe('readers the correction email goes to, by status (pending, sent, failed, uncertain, skipped)'),
    posts: z.array(correctionPost),
  })
  .meta({ id: 'ArticleCorrection' });

export const publishedArticle = article.extend({ dispatch: dispatch.nullable() }).meta({ id: 'PublishedArticle' });

export const liveProgress = z
  .looseObject({
    id,
    articleId: id,
    status: dispatchStatus,
    priority: z.enum(DISPATCH_PRIORITIES),
    scheduledAt: nullableTimestamp,
    startedAt: nullableTimestamp,
    completedAt: nullableTimestamp,
    error: z.string().nullable(),
    channels: z.array(z.looseObject({ channel: z.string() })),
    emailFannedOut: z.boolean().nullable(),
    rate: z.number().nullable(),
    etaSeconds: z.number().nullable(),
    failures: z.array(z.looseObject({})),
    posts: z.array(socialPost),
    localTime: z.string().nullable(),
    waves: z.array(wave),
    now: timestamp,
  })
  .meta({ id: 'LiveProgress' });

export const subscriber = z
  .looseObject({
    id,
    email: z.string(),
    name: z.string().nullable(),
    status: z.enum(['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained']),
    topics: z.array(z.string()),
    cadence: z.enum(['instant', 'daily', 'weekly']),
    paused: z.boolean(),
    timezone: z.string().nullable().describe('IANA zone; null: the installation\'s (HERALD_TIMEZONE)'),
    createdAt: timestamp,
    updatedAt: timestamp,
    confirmedAt: nullableTimestamp,
    unsubscribedAt: nullableTimestamp,
  })
  .meta({ id: 'Subscriber' });

export const importReport = z
  .object({
    imported: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
    errors: z.array(z.object({ line: z.number().int(), reason: z.string() })),
  })
  .meta({ id: 'ImportReport' });

export const delivery = z
  .looseObject({ id, dispatchId: id, channel: z.string(), recipient: z.string(), status: deliveryStatus, updatedAt: timestamp })
  .meta({ id: 'Delivery' });

export const token = z
  .object({ id, name: z.string(), role: z.enum(['editor', 'admin']), createdAt: timestamp, lastUsedAt: nullableTimestamp, revokedAt: nullableTimestamp })
  .meta({ id: 'Token' });
export const issuedToken = z
  .object({ id, name: z.string(), role: z.enum(['editor', 'admin']), token: z.string().describe('shown once') })
  .meta({ id: 'IssuedToken' });

export const postPreview = z
  .looseObject({
    network: z.enum(NETWORK_NAMES),
    account: z.string(),
    mode: z.enum(['post', 'preview']),
    override: z.boolean(),
    text: z.string().nullable(),
    length: z.number().nullable(),
    limit: z.number(),
    parts: z.array(z.string()).optional().describe('the numbered parts of the thread a text over the limit is posted as'),
  })
  .meta({ id: 'PostPreview' });

export const capturedMessage = z
  .object({ file: z.string(), size: z.number().int(), receivedAt: timestamp, from: z.string(), to: z.string(), subject: z.string() })
  .meta({ id: 'CapturedMessage' });

export const testSendResult = z.union([
  z.object({ sent: z.literal(true), to: z.string(), response: z.string() }),
  z.object({ sent: z.literal(false), queued: z.literal(true), to: z.string(), jobId: z.string().optional() }),
]);

export const page = <T extends z.ZodType>(key: string, item: T) => z.object({ [key]: z.array(item), nextCursor: nextCursorField });

/** The error answers a route can give, each in the one error shape. */
export function errors(...statuses: number[]): Record<number, typeof errorBody> {
  return Object.fromEntries([401, 403, ...statuses].map((status) => [status, errorBody]));
}

export const noContent = z.null().describe('no content');
