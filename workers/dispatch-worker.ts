// Worker for the dispatch queue: a dispatch's start, and its email edition's render and fan-out.
import { FlowProducer, Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { completeDispatchIfDone } from '../src/dispatch/complete-dispatch.js';
import { startDispatch, type SocialStarter } from '../src/dispatch/start-dispatch.js';
import { renderAndStoreEdition, type EditionSettings } from '../src/email/edition-service.js';
import { fanOutEdition } from '../src/email/fan-out.js';
import { jobIds, QUEUE_NAMES } from '../src/queue/queues.js';
import { workerOptions } from './worker-options.js';

export function startDispatchWorker(
  ctx: HeraldContext,
  deps: { editionSettings: EditionSettings; startSocial?: SocialStarter },
): { worker: Worker; flows: FlowProducer } {
  const flows = new FlowProducer({ connection: ctx.redis, prefix: ctx.config.HERALD_QUEUE_PREFIX });
  const log = ctx.log.child({ component: 'dispatch-worker' });

  const processor = async (job: Job<{ dispatchId: number }>) => {
    const { dispatchId } = job.data;
    switch (job.name) {
      case 'start':
        return startDispatch(ctx, dispatchId, { flows, startSocial: deps.startSocial });
      case 'render':
        await renderAndStoreEdition(ctx.db, dispatchId, deps.editionSettings);
        return 'rendered';
      case 'fanout': {
        const result = await fanOutEdition(ctx.db, dispatchId, {
          batchSize: ctx.config.EMAIL_BATCH_SIZE,
          enqueueBatch: async (batchNo) => {
            await ctx.queues.emailBatch.add('batch', { dispatchId, batchNo }, { jobId: jobIds.emailBatch(dispatchId, batchNo) });
          },
        });
        log.info({ event: 'email.fanned_out', dispatchId, ...result }, 'edition fanned out');
        await completeDispatchIfDone(ctx.db, dispatchId);
        return result;
      }
      default:
        throw new Error(`unknown dispatch job ${job.name}`);
    }
  };

  const worker = new Worker(QUEUE_NAMES.dispatch, processor, workerOptions(ctx, 4));
  worker.on('failed', (job, error) =>
    log.error({ event: 'dispatch.job_failed', job: job?.name, dispatchId: job?.data.dispatchId, err: error }, 'dispatch job failed'),
  );
  worker.on('error', (error) => log.warn({ event: 'worker.error', err: error }, 'dispatch worker error'));
  return { worker, flows };
}
