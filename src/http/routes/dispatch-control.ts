// Editor API: steer a dispatch — reschedule or release it before it starts, pause and resume it while it runs, send
// its edition to one address as a test, and watch it live. The use cases are src/editorial's; this maps outcomes.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import type { ControlOutcome } from '../../dispatch/dispatch-control.js';
import { viewDispatch } from '../../dispatch/dispatch-repository.js';
import { liveProgress } from '../../dispatch/live-progress.js';
import { rescheduleInput, RESCHEDULABLE } from '../../dispatch/reschedule.js';
import type { TestSendOutcome } from '../../editorial/test-send.js';
import { emailAddress } from '../../subscribers/subscriber-input.js';
import { editorCause } from '../auth.js';
import { HttpError, notFound, parseInput } from '../errors.js';
import { idParams } from './articles.js';
import { dispatchView, errors, liveProgress as liveProgressBody, testSendResult } from '../api-schemas.js';

const testSendInput = z.object({ email: emailAddress });

/** The dispatch after the change, or the 404/409 that says why it was not made. */
async function answerControl(ctx: HeraldContext, outcome: ControlOutcome, id: number, what: string, allowed: readonly string[]) {
  if (outcome.kind === 'not-found') throw notFound('dispatch');
  if (outcome.kind === 'wrong-status') {
    throw new HttpError(409, `dispatch is ${outcome.status}; only a ${allowed.join(' or ')} dispatch can be ${what}`);
  }
  return viewDispatch(ctx.db, id);
}

export function dispatchControlRoutes(app: FastifyInstance, ctx: HeraldContext) {
  app.post('/api/dispatches/:id/reschedule', {
    schema: { tags: ['dispatches'], summary: 'A new time for a dispatch that has not started', params: idParams, body: rescheduleInput, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const input = parseInput(rescheduleInput, request.body);
    const outcome = await ctx.editorial.reschedule(id, input, editorCause(request));
    return answerControl(ctx, outcome, id, 'rescheduled', RESCHEDULABLE);
  });

  app.post('/api/dispatches/:id/release', {
    schema: { tags: ['dispatches'], summary: 'Send a held dispatch now', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const outcome = await ctx.editorial.release(id, editorCause(request));
    return answerControl(ctx, outcome, id, 'released', ['held']);
  });

  app.post('/api/dispatches/:id/pause', {
    schema: { tags: ['dispatches'], summary: 'Pause a running send', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answerControl(ctx, await ctx.editorial.pause(id, editorCause(request)), id, 'paused', ['running']);
  });

  app.post('/api/dispatches/:id/resume', {
    schema: { tags: ['dispatches'], summary: 'Resume a paused send, without duplicates', params: idParams, response: { 200: dispatchView, ...errors(400, 404, 409) } },
  }, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answerControl(ctx, await ctx.editorial.resume(id, editorCause(request)), id, 'resumed', ['paused']);
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
    const outcome = await ctx.editorial.testSend(id, email);
    const answer = testSendAnswer(outcome);
    return answer.sent ? answer : reply.code(202).send(answer);
  });
}

/** A test send's outcome as the API answers it: 200 sent, 202 queued, or the 404/422/502 that says why not. */
function testSendAnswer(outcome: TestSendOutcome) {
  switch (outcome.kind) {
    case 'sent':
      return { sent: true, to: outcome.to, response: outcome.response } as const;
    case 'queued':
      return { sent: false, queued: true, to: outcome.to, jobId: outcome.jobId } as const;
    case 'not-found':
      throw notFound('dispatch');
    case 'unrenderable':
      throw new HttpError(422, outcome.message, [{ path: outcome.code, message: outcome.message }]);
    case 'failed':
      throw new HttpError(502, `the test send failed: ${outcome.reason}`);
  }
}
