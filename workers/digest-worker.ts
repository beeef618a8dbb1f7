// Worker for the digest queue: keeps the two digest schedulers in place and runs each digest when it fires.
import { Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { runDigest } from '../src/digest/digest-run.js';
import { digestRepeatStrategy, scheduleDigests, scheduledRunAt, type DigestJobData } from '../src/digest/digest-scheduler.js';
import { editionSettingsFrom } from '../src/email/edition-service.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

export async function startDigestWorker(ctx: HeraldContext): Promise<Worker> {
  const { config } = ctx;
  const log = ctx.log.child({ component: 'digest-worker' });
  await scheduleDigests(ctx.queues.digest, config);

  const processor = async (job: Job<DigestJobData>) => {
    // A scheduled job knows when it was due (prevMillis); a late one still covers exactly its own period.
    const at = job.data.at ? new Date(job.data.at) : scheduledRunAt(job.opts.prevMillis ?? job.timestamp, ctx.clock);
    const result = await runDigest(ctx.db, job.data.cadence, at, { ...editionSettingsFrom(ctx), localTime: config.DIGEST_TIME });
    // The dispatches are in the outbox; the relay queues them now rather than on its next tick.
    if (result.editions.length > 0) ctx.relay.kick();
    log.info({ event: 'digest.run', cadence: job.data.cadence, status: result.status, articles: result.articles,
      editions: result.editions.length }, 'digest run');
    return { status: result.status, articles: result.articles, editions: result.editions.map((e) => e.dispatchId) };
  };

  // The worker schedules each next run itself when one fires: on the same clock as the schedulers.
  const worker = new Worker(QUEUE_NAMES.digest, processor, { ...workerOptions(ctx, 1), settings: { repeatStrategy: digestRepeatStrategy(ctx.clock) } });
  worker.on('failed', (job, error) =>
    log.error({ event: 'digest.failed', cadence: job?.data.cadence, attempt: job?.attemptsMade, err: error }, 'digest run failed'),
  );
  reportWorkerErrors(worker, log, 'digest');
  return worker;
}
