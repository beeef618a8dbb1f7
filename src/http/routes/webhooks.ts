// Bounce and complaint reports from mail providers: Amazon SES through SNS (signature-checked), and a generic JSON
// shape any other provider or script can send with a bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { feedbackFromSes } from '../../feedback/ses-notification.js';
import { snsMessage } from '../../feedback/sns-message.js';
import { SnsVerificationError, SnsVerifier } from '../../feedback/sns-verifier.js';
import { recordMailboxFeedback, type FeedbackResult } from '../../subscribers/status-changes.js';
import { emailAddress } from '../../subscribers/subscriber-input.js';
import { HttpError, parseInput } from '../errors.js';

/** POST /webhooks/generic body. `permanent` only matters for bounces; a bounce is permanent unless it says false. */
export const genericFeedbackInput = z.object({
  type: z.enum(['bounce', 'complaint']),
  email: emailAddress,
  permanent: z.boolean().default(true),
});

function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, so the comparison is constant-time whatever was sent.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** SNS retries for up to an hour; an older message is a replay. */
const SNS_MAX_AGE_MS = 60 * 60_000;
/** How long a MessageId is remembered: longer than a message may be old, so a replay inside the window is caught. */
const SNS_SEEN_SECONDS = 2 * 60 * 60;

export function webhookRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const { config } = ctx;
  const verifier = new SnsVerifier({ hostPattern: new RegExp(config.SNS_CERT_HOST_PATTERN), fetcher: ctx.fetcher });
  const topics = config.SNS_TOPIC_ARNS;
  const log = ctx.log.child({ component: 'webhooks' });

  // SNS posts JSON with Content-Type text/plain; Fastify hands that over as a string.
  app.post('/webhooks/ses', async (request) => {
    // Off until the operator names the topics: otherwise anyone's own SNS topic could report bounces and complaints.
    if (topics.length === 0) throw new HttpError(404, 'the SES webhook is off (set SNS_TOPIC_ARNS)');
    let body: unknown = request.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        throw new HttpError(400, 'body is not JSON');
      }
    }
    const message = parseInput(snsMessage, body);
    if (!topics.includes(message.TopicArn)) {
      log.warn({ event: 'webhook.ses.topic_refused', topicArn: message.TopicArn }, 'SNS message from a topic not in SNS_TOPIC_ARNS');
      throw new HttpError(403, 'this SNS topic is not accepted here (SNS_TOPIC_ARNS)');
    }
    try {
      await verifier.verify(message);
    } catch (error) {
      if (!(error instanceof SnsVerificationError)) throw error;
      log.warn({ event: 'webhook.ses.unverified', reason: error.message }, 'SNS message failed verification');
      throw new HttpError(403, `SNS signature not verified: ${error.message}`);
    }
    const sentAt = Date.parse(message.Timestamp);
    if (!Number.isFinite(sentAt) || Math.abs(Date.now() - sentAt) > SNS_MAX_AGE_MS) {
      log.warn({ event: 'webhook.ses.stale', messageId: message.MessageId, timestamp: message.Timestamp }, 'SNS message outside the hour');
      throw new HttpError(403, 'this SNS message is more than an hour old (or from the future)');
    }
    if (message.Type === 'SubscriptionConfirmation') {
      try {
        await verifier.confirmSubscription(message);
      } catch (error) {
        log.warn({ event: 'webhook.ses.subscribe_failed', reason: (error as Error).message }, 'could not confirm the SNS subscription');
        throw error instanceof SnsVerificationError ? new HttpError(403, error.message) : new HttpError(502, 'the SubscribeURL could not be visited; SNS will retry');
      }
      log.info({ event: 'webhook.ses.subscribed', topicArn: message.TopicArn }, 'confirmed the SNS subscription');
      return { status: 'subscribed' };
    }
    if (message.Type === 'UnsubscribeConfirmation') return { status: 'ignored' };
    let payload: unknown;
    try {
      payload = JSON.parse(message.Message);
    } catch {
      return { status: 'ignored', reason: 'Message is not JSON' };
    }
    // SNS delivers at least once, and a captured message can be posted again: each MessageId is applied once.
    const seenKey = `${ctx.redisPrefix}:sns-message:${createHash('sha256').update(message.MessageId).digest('hex')}`;
    const first = await ctx.redis.set(seenKey, '1', 'EX', SNS_SEEN_SECONDS, 'NX');
    if (first !== 'OK') {
      log.info({ event: 'webhook.ses.repeated', messageId: message.MessageId }, 'SNS message already applied');
      return { status: 'processed' };
    }
    const results: FeedbackResult[] = [];
    try {
      for (const feedback of feedbackFromSes(payload)) {
        results.push(await recordMailboxFeedback(ctx.db, { ...feedback, detail: { ...feedback.detail, snsMessageId: message.MessageId } }));
      }
    } catch (error) {
      await ctx.redis.del(seenKey); // not applied (in full): SNS's retry must be able to apply it
      throw error;
    }
    log.info({ event: 'webhook.ses.notification', messageId: message.MessageId, results }, 'SES notification processed');
    // The same answer whatever the addresses: the reply must not tell a sender which addresses are subscribed.
    return { status: 'processed' };
  });

  app.post('/webhooks/generic', async (request) => {
    if (!config.HERALD_WEBHOOK_TOKEN) throw new HttpError(404, 'the generic webhook is off (set HERALD_WEBHOOK_TOKEN)');
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match || !sameSecret(match[1], config.HERALD_WEBHOOK_TOKEN)) throw new HttpError(401, 'missing or wrong bearer token');
    const input = parseInput(genericFeedbackInput, request.body);
    const result = await recordMailboxFeedback(ctx.db, {
      kind: input.type, email: input.email, permanent: input.permanent, source: 'generic',
    });
    log.info({ event: 'webhook.generic', type: input.type, result }, 'generic feedback processed');
    return { result };
  });
}
