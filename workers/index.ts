// Starts every worker of a Herald process, with the services they share (one email transport, one edition cache).
import type { Worker } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { BatchSender } from '../src/email/batch-sender.js';
import { EditionMessages, editionSettingsFrom } from '../src/email/edition-service.js';
import { openConfiguredTransport, transportConnections } from '../src/email/transports/configured-transport.js';
import { sendPacingFrom } from '../src/email/pacing/send-pacing.js';
import { SocialPoster } from '../src/social/social-poster.js';
import { SocialRetractor } from '../src/social/social-retractor.js';
import { SocialCorrector } from '../src/social/social-corrector.js';
import { CorrectionMailer } from '../src/email/correction-mailer.js';
import { NetworkRateGate } from '../src/social/rate-gate.js';
import { startSocialDispatch } from '../src/social/start-social.js';
import { startDigestWorker } from './digest-worker.js';
import { startDispatchWorker } from './dispatch-worker.js';
import { startEmailBatchWorker } from './email-batch-worker.js';
import { startEngagementWorker } from './engagement-worker.js';
import { startFeedWorker } from './feed-worker.js';
import { deferOnDatabaseOutage } from './outage-deferral.js';
import { startSocialWorker } from './social-worker.js';
import { startWebhookWorker } from './webhook-worker.js';

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

export async function startWorkers(ctx: HeraldContext): Promise<RunningWorkers> {
  const { config } = ctx;
  // Where mail goes (EMAIL_TRANSPORTS): every listed transport behind one failover transport with a breaker each.
  const transport = await openConfiguredTransport(config, {
    log: ctx.log.child({ component: 'email-transport' }),
    observer: ctx.metrics.transportObserver,
  });
  ctx.metrics.transports.health = () => transport.health();
  const editionSettings = editionSettingsFrom(ctx);
  const sender = new BatchSender(
    ctx.db,
    transport,
    {
      chunkSize: config.EMAIL_SEND_CHUNK ?? transportConnections(config) * 4,
      uncertainPolicy: config.UNCERTAIN_DELIVERY_POLICY,
      retry: {
        windowMs: config.SMTP_RETRY_WINDOW_MINUTES * 60_000,
        backoffMs: config.SMTP_RETRY_BACKOFF_MS,
        backoffMaxMs: config.SMTP_RETRY_BACKOFF_MAX_MS,
      },
      softBounceLimit: config.SOFT_BOUNCE_LIMIT,
      reputation: {
        earlyAttempts: config.REPUTATION_EARLY_ATTEMPTS,
        earlyPercent: config.REPUTATION_EARLY_PERCENT,
        percent: config.REPUTATION_PERCENT,
      },
      pacing: sendPacingFrom(config, { db: ctx.db, clock: ctx.clock, resolver: ctx.mxResolver }),
    },
    ctx.log.child({ component: 'batch-sender' }),
  );
  const editions = new EditionMessages(ctx.db, editionSettings);
  const deferOnOutage = deferOnDatabaseOutage(ctx.outages);

  const dispatch = startDispatchWorker(ctx, { editionSettings, startSocial: (id, channels) => startSocialDispatch(ctx, id, channels), transport, deferOnOutage });
  const corrections = new CorrectionMailer(ctx.db, transport, editionSettings, ctx.log.child({ component: 'correction-mailer' }));
  const emailBatch = startEmailBatchWorker(ctx, { sender, editions, transport, corrections, deferOnOutage });
  const digest = await startDigestWorker(ctx);
  const gate = new NetworkRateGate(ctx.redis, ctx.redisPrefix);
  const social = startSocialWorker(ctx, {
    poster: new SocialPoster(ctx.db, ctx.social, ctx.log.child({ component: 'social-poster' }), ctx.metrics),
    retractor: new SocialRetractor(ctx.db, ctx.social, ctx.log.child({ component: 'social-retractor' })),
    corrector: new SocialCorrector(ctx.db, ctx.social, ctx.log.child({ component: 'social-corrector' })),
    gate,
    deferOnOutage,
  });
  const engagement = startEngagementWorker(ctx, { gate });
  const workers = [dispatch.worker, emailBatch, digest, social, await startFeedWorker(ctx), startWebhookWorker(ctx), engagement];

  return {
    workers,
    close: async () => {
      // Graceful stop: no batch claims another chunk; the chunks in flight finish and are recorded, their batches
      // go back to the queue, and the workers close once their current jobs have returned.
      sender.stopClaiming();
      await Promise.allSettled(workers.map((w) => w.close()));
      await dispatch.flows.close();
      ctx.metrics.transports.health = undefined;
      await transport.close();
    },
  };
}
