// Runs a dispatch's `start` job: the start gate decides against the row (early → wait, late → held, due → claimed)
// before startDispatch sets the channels going.
import type { Job } from 'bullmq';
import type { HeraldContext } from '../src/context.js';
import { claimDueDispatch } from '../src/dispatch/start-gate.js';
import { settleJob } from '../src/queue/job-outcome.js';

export async function runDispatchStartJob<T>(
  ctx: HeraldContext,
  job: Job<{ dispatchId: number }>,
  token: string | undefined,
  start: () => Promise<T>,
): Promise<unknown> {
  const { dispatchId } = job.data;
  const gate = await claimDueDispatch(ctx.db, dispatchId, {
    now: new Date(),
    maxLatenessMs: ctx.config.HERALD_MAX_LATENESS_MINUTES * 60_000,
  });
  switch (gate.kind) {
    case 'early':
      // The row was moved later and this job was not: it waits for the row's time (DelayedError spends no attempt).
      ctx.log.info({ event: 'dispatch.start_early', dispatchId, at: gate.at }, 'start job fired before the dispatch is due; waiting');
      return settleJob(job, token, { action: 'wait', at: gate.at.getTime() });
    case 'held':
      ctx.log.warn({ event: 'dispatch.held', dispatchId, dueAt: gate.dueAt, lateMinutes: gate.lateMinutes },
        'dispatch is later than HERALD_MAX_LATENESS_MINUTES; held for an editor');
      return 'held';
    case 'claimed':
      ctx.log.info({ event: 'dispatch.started', dispatchId, channels: gate.dispatch.channels }, 'dispatch started');
      return start();
    case 'not-claimable':
      // Already running (a re-run after a crash) or finished: startDispatch knows what to do with either.
      return start();
  }
}
