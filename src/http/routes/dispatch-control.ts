// Editor API: steer a dispatch — reschedule or release it before it starts, pause and resume it while it runs, send
// its edition to one address as a test, and watch it live.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Job } from 'bullmq';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import type { ControlOutcome } from '../../dispatch/dispatch-control.js';
import { viewDispatch } from '../../dispatch/dispatch-repository.js';
import { liveProgress } from '../../dispatch/live-progress.js';
import { pauseDispatch, resumeDispatch } from '../../dispatch/pause-resume.js';
import { releaseDispatch, rescheduleDispatch, rescheduleInput, RESCHEDULABLE } from '../../dispatch/reschedule.js';
import { previewEdition } from '../../email/edition-preview.js';
import { EditionRenderError } from '../../email/edition-renderer.js';
import { editionSettingsFrom } from '../../email/edition-service.js';
import { TEST_SEND_JOB, type TestSendJob } from '../../email/test-send.js';
import { emailAddress } from '../../subscribers/subscriber-input.js';
import { editorCause } from '../auth.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';
import { dispatchView, errors, liveProgress as liveProgressBody, testSendResult } from '../api-schemas.js';

const testSendInput = z.object({ email: emailAddress });

/** How long POST …/test-send waits for the worker before answering 202 (queued). */
const TEST_SEND_WAIT_MS = 20_000;


/** The dispatch after the change, or the 404/409 that says why it was not made. */
export async function answerControl(ctx: HeraldContext, outcome: ControlOutcome, id: number, what: string, allowed: readonly string[]) {
  if (outcome.kind === 'not-found') throw notFound('dispatch');
  if (outcome.kind === 'wrong-status') {
    throw new HttpError(409, `dispatch is ${outcome.status}; only a ${allowed.join(' or ')} dispatch can be ${what}`);
  }
  return viewDispatch(ctx.db, id);
}

export function dispatchControlRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const startQueue = ctx.queues.dispatch;

  app.post('/api/dispatches/:id/reschedule', {
    schema: { tags: ['dispatches'], summary: 'A new time for a dispatch that has not started', params: idParams, body: rescheduleInput, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const input = parseInput(rescheduleInput, request.body);
    const outcome = await rescheduleDispatch(ctx.db, startQueue, id, input, editorCause(request));
    return answerControl(ctx, outcome, id, 'rescheduled', RESCHEDULABLE);
  });

  app.post('/api/dispatches/:id/release', {
    schema: { tags: ['dispatches'], summary: 'Send a held dispatch now', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const outcome = await releaseDispatch(ctx.db, startQueue, id, editorCause(request));
    return answerControl(ctx, outcome, id, 'released', ['held']);
  });

  app.post('/api/dispatches/:id/pause', {
    schema: { tags: ['dispatches'], summary: 'Pause a running send', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answerControl(ctx, await pauseDispatch(ctx.db, id, editorCause(request)), id, 'paused', ['running']);
  });

  app.post('/api/dispatches/:id/resume', {
    schema: { tags: ['dispatches'], summary: 'Resume a paused send, without duplicates', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answerControl(ctx, await resumeDispatch(ctx.db, ctx.queues, id, editorCause(request)), id, 'resumed', ['paused']);
  });

  // Polled by the dashboard's live view every second or two: its request log is at debug level.
  app.get('/api/dispatches/:id/live', {
    config: { polled: true },
    schema: { tags: ['dispatches'], summary: 'Live progress: counts, rate, ETA, failures by reason', params: idParams, response: { 200: liveProgressBody, ...errors(400, 404) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const live = await liveProgress(ctx.db, id);
    if (!live) throw notFound('dispatch');
    return live;
  });

  app.post('/api/dispatches/:id/test-send', {
    schema: { tags: ['dispatches'], summary: 'Send the edition to one address (202: queued, no worker answered yet)', params: idParams, body: testSendInput, response: { 200: testSendResult, 202: testSendResult, ...errors(400, 404, 422, 502) } },
  }, async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const { email } = parseInput(testSendInput, request.body);
    const result = await requestTestSend(ctx, id, email);
    return result.sent ? result : reply.code(202).send(result);
  });
}

/**
 * Queues a test send for the worker (which holds the SMTP pool) and waits for it a while: `sent`, or still queued
 * (no worker running?). Renders first, so an article that cannot become an edition is refused right away.
 */
export async function requestTestSend(ctx: HeraldContext, id: number, email: string) {
  try {
    if (!(await previewEdition(ctx.db, id, editionSettingsFrom(ctx)))) throw notFound('dispatch');
  } catch (error) {
    if (error instanceof EditionRenderError) throw new HttpError(422, error.message, [{ path: error.code, message: error.message }]);
    throw error;
  }
  const queue = ctx.queues.dispatch;
  const data: TestSendJob = { dispatchId: id, email };
  const job = await queue.add(TEST_SEND_JOB, data, {
    jobId: `test-send-${id}-${randomUUID()}`,
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 24 * 3600 },
  });
  const deadline = Date.now() + TEST_SEND_WAIT_MS;
  while (Date.now() < deadline) {
    const current = await Job.fromId(queue, job.id!);
    const state = await current?.getState();
    if (state === 'completed') return { sent: true, to: email, response: String(current!.returnvalue ?? '') } as const;
    if (state === 'failed') throw new HttpError(502, `the test send failed: ${current!.failedReason}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  return { sent: false, queued: true, to: email, jobId: job.id } as const;
}
