// Worker for the dispatch queue: a dispatch's start, its email edition's render and fan-out, and its waves.
import { FlowProducer, Worker, type Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { completeDispatchIfDone } from '../src/dispatch/complete-dispatch.js';
import { digestAudience } from '../src/digest/digest-audience.js';
import { startDispatch, type SocialStarter } from '../src/dispatch/start-dispatch.js';
import { renderAndStoreEdition, type EditionSettings } from '../src/email/edition-service.js';
import { fanOutEdition } from '../src/email/fan-out.js';
import type { EmailTransport } from '../src/email/transports/email-transport.js';
import { TEST_SEND_JOB, type TestSendJob } from '../src/email/test-send.js';
import { TransactionalSender } from '../src/email/transactional-sender.js';
import { queueEmailBatch, queueWave, type WaveJobData } from '../src/dispatch/step-jobs.js';
import { planDispatchWaves } from '../src/dispatch/waves.js';
import { QUEUE_NAMES } from '../src/queue/queues.js';
import { runDispatchStartJob } from './dispatch-start-job.js';
import { runWaveJob } from './dispatch-wave-job.js';
import { runTestSendJob } from './test-send-job.js';
import type { OutageDeferral } from './outage-deferral.js';
import { reportClientErrors } from '../src/runtime/outage-log.js';
import { reportWorkerErrors, workerOptions } from './worker-options.js';

export function startDispatchWorker(
  ctx: HeraldContext,
  deps: { editionSettings: EditionSettings; startSocial?: SocialStarter; transport?: EmailTransport; deferOnOutage: OutageDeferral },
): { worker: Worker; flows: FlowProducer } {
  const flows = new FlowProducer({ connection: ctx.redis, prefix: ctx.redisPrefix });
  const log = ctx.log.child({ component: 'dispatch-worker' });
  reportClientErrors(flows, log, 'flow producer');

  const testSender = deps.transport && new TransactionalSender(deps.transport, ctx.config.MAIL_FROM);
  const runJob = async (job: Job<{ dispatchId: number }>, token?: string) => {
    const { dispatchId } = job.data;
    switch (job.name) {
      case 'start':
        return runDispatchStartJob(ctx, job, token, async () => {
          const started = await startDispatch(ctx.db, dispatchId, { flows, startSocial: deps.startSocial });
          // A dispatch with nothing to send (every social channel in preview mode) is finished right away.
          await completeDispatchIfDone(ctx.db, dispatchId);
          return started;
        });
      case 'complete':
        return (await completeDispatchIfDone(ctx.db, dispatchId)) ?? 'not finished';
      case TEST_SEND_JOB:
        if (!testSender) throw new Error('this worker has no email transport for test sends');
        return runTestSendJob(ctx, testSender, deps.editionSettings, job as unknown as Job<TestSendJob>, token);
      case 'render':
        await renderAndStoreEdition(ctx.db, dispatchId, deps.editionSettings);
        return 'rendered';
      case 'fanout': {
        const result = await fanOutEdition(ctx.db, dispatchId, {
          batchSize: ctx.config.EMAIL_BATCH_SIZE,
          enqueueBatch: (batchNo, priority) => queueEmailBatch(ctx.queues, dispatchId, batchNo, priority),
          ownAudience: (id) => digestAudience(ctx.db, id),
          waves: {
            plan: (audience, localTime, digest) =>
              planDispatchWaves(ctx.db, dispatchId, {
                audience, localTime, installationZone: ctx.config.HERALD_TIMEZONE, notBefore: new Date(ctx.clock.now()),
                ...(digest ? { digestZone: ctx.config.DIGEST_TIMEZONE } : {}),
              }),
            enqueueWave: (wave, priority) => queueWave(ctx.queues, wave, priority, ctx.clock),
          },
        });
        log.info({ event: 'email.fanned_out', dispatchId, ...result }, 'edition fanned out');
        await completeDispatchIfDone(ctx.db, dispatchId);
        return result;
      }
      case 'wave':
        return runWaveJob(ctx, job as unknown as Job<WaveJobData>, token);
      default:
        throw new Error(`unknown dispatch job ${job.name}`);
    }
  };
  const processor = (job: Job<{ dispatchId: number }>, token?: string) => deps.deferOnOutage(job, token, () => runJob(job, token));

  const worker = new Worker(QUEUE_NAMES.dispatch, processor, workerOptions(ctx, 4));
  worker.on('failed', (job, error) =>
    log.error({ event: 'dispatch.job_failed', job: job?.name, dispatchId: job?.data.dispatchId, err: error }, 'dispatch job failed'),
  );
  reportWorkerErrors(worker, log, 'dispatch');
  return { worker, flows };
}
