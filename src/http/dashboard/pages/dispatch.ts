// The dispatch page: live progress per channel, failures with their reasons, and the controls (pause, resume,
// cancel, reschedule, release, test send, retract, correct) as plain forms that work with or without the page script.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { findArticle } from '../../../articles/article-repository.js';
import { findRetraction } from '../../../articles/retractions.js';
import { retractInput } from '../../routes/retraction.js';
import { correctInput } from '../../routes/correction.js';
import { correctionsCard } from './corrections-card.js';
import type { HeraldContext } from '../../../context.js';
import type { ControlOutcome } from '../../../dispatch/dispatch-control.js';
import { liveProgress } from '../../../dispatch/live-progress.js';
import { rescheduleInput } from '../../../dispatch/reschedule.js';
import { emailAddress } from '../../../subscribers/subscriber-input.js';
import { notFound, zodIssues } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { redirectWithFlash, takeFlash, type Flash } from '../flash.js';
import { statusBadge, time, timeZoneOptions } from '../format.js';
import { html } from '../../../render/html.js';
import { csrfField, layout, sendDashboardPage } from '../layout.js';
import { errorPart, liveFragment, postsPart, progressPart, statusPart, stillMoving } from './dispatch-view.js';
import { editorCause } from '../../auth.js';
import { ACTIVE, FINAL, isFinal, NOT_STARTED } from '../../../dispatch/lifecycle.js';

const ACTIONS = ['pause', 'resume', 'cancel', 'release', 'reschedule', 'test-send', 'retract', 'correct'] as const;
/** Every dispatch status, from the lifecycle's own sets: the actions offered whatever the dispatch is doing. */
const ALL_STATUSES = [...NOT_STARTED, ...ACTIVE, ...FINAL].join(' ');
const actionParams = idParams.extend({ action: z.enum(ACTIONS) });

export function dispatchPages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/dispatches/:id', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const live = await liveProgress(ctx.db, id);
    if (!live) throw notFound('dispatch');
    const article = await findArticle(ctx.db, live.articleId);
    const dispatch = await ctx.db.selectFrom('dispatches').select(['timezone']).where('id', '=', id).executeTakeFirstOrThrow();
    const retraction = await findRetraction(ctx.db, live.articleId);
    const form = (action: string, label: string, when: string, body = html``, style = 'secondary', confirm?: string) => html`<form method="post" action="/dispatches/${id}/${action}" class="action-form" data-when="${when}"${when.split(' ').includes(live.status) ? '' : html` hidden`}${confirm ? html` data-confirm="${confirm}"` : ''}>
      ${csrfField(request)}${body}<button class="button ${style}" type="submit">${label}</button></form>`;
    const content = html`<div class="page-head">
  <div><p class="eyebrow">Dispatch #${id}</p><h1>${article?.title ?? `Article ${live.articleId}`}</h1>
    ${article ? html`<p class="muted small"><a href="${article.url}" rel="noopener noreferrer">${article.url}</a></p>` : ''}</div>
  ${statusPart(live)}
</div>
${errorPart(live)}
<div class="dispatch-grid" data-dispatch="${id}" data-polling="${stillMoving(live) ? 'true' : 'false'}">
  <section class="card" aria-labelledby="progress-heading">
    <h2 id="progress-heading">Progress</h2>
    ${progressPart(live)}
  </section>
  <div class="side">
    <section class="card" aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      <div class="action-row">
        ${form('pause', 'Pause', 'running')}
        ${form('resume', 'Resume', 'paused', html``, 'primary')}
        ${form('release', 'Send now', 'held', html``, 'primary', 'Send this held dispatch now?')}
        ${form('cancel', 'Cancel dispatch', 'scheduled pending held running paused', html``, 'danger', 'Cancel this dispatch? Whatever has not gone out yet stays unsent.')}
      </div>
      ${form('reschedule', 'Reschedule', 'scheduled pending held', html`<fieldset><legend>Reschedule</legend>
        <div class="field"><label for="r-at">New date and time</label><input id="r-at" name="at" type="datetime-local" step="1" required></div>
        <div class="field"><label for="r-tz">Time zone</label><select id="r-tz" name="timezone" data-timezone>${timeZoneOptions(dispatch.timezone ?? 'UTC')}</select></div></fieldset>`)}
      ${live.localTime ? form('reschedule', 'Move unsent waves', 'running paused', html`<fieldset><legend>Local time of the waves not yet sent</legend>
        <div class="field"><label for="r-local">New local time</label><input id="r-local" name="localTime" type="time" required value="${live.localTime}"></div></fieldset>`) : ''}
      <p class="muted small" data-when="${FINAL.join(' ')}"${isFinal(live.status) ? '' : html` hidden`}>This dispatch is finished; nothing more can change.</p>
    </section>
    <section class="card" aria-labelledby="retract-heading">
      <h2 id="retract-heading">Retraction</h2>
      ${retraction
        ? html`<p data-retracted>Retracted ${time(retraction.retractedAt)}: ${retraction.reason}</p><p class="muted small">The web copy shows this reason; each post's outcome is listed under Social posts.</p>`
        : form('retract', 'Retract story', ALL_STATUSES, html`<div class="field"><label for="x-reason">Reason (readers of the web copy see it)</label>
        <textarea id="x-reason" name="reason" rows="2" maxlength="1000" required></textarea></div>`, 'danger', 'Retract this story everywhere? Unsent email is cancelled, every post Herald made is deleted, and the web copy shows your reason instead.')}
    </section>
    ${await correctionsCard(ctx, request, { id, articleId: live.articleId, status: live.status }, !!retraction)}
    <section class="card" aria-labelledby="edition-heading">
      <h2 id="edition-heading">Edition</h2>
      <p><a class="button secondary" href="/dispatches/${id}/preview">Preview edition and posts</a></p>
      <p><a class="button secondary" href="/dispatches/${id}/report">Report: deliveries and clicks</a></p>
      ${form('test-send', 'Send test', ALL_STATUSES, html`<div class="field"><label for="t-email">Send a test to</label>
        <input id="t-email" name="email" type="email" autocomplete="email" required value="${request.editor?.name.includes('@') ? request.editor.name : ''}"></div>`)}
    </section>
    <section class="card" aria-labelledby="posts-heading">
      <h2 id="posts-heading">Social posts</h2>
      ${postsPart(live)}
    </section>
  </div>
</div>`;
    return sendDashboardPage(reply, 200, layout({ title: `Dispatch #${id}`, request, page: 'dispatch', scripts: ['dispatch.js'], flash: takeFlash(request, reply) }, content));
  });

  app.get('/dispatches/:id/live', { config: { polled: true } }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const live = await liveProgress(ctx.db, id);
    if (!live) throw notFound('dispatch');
    return sendDashboardPage(reply, 200, liveFragment(live));
  });

  app.post('/dispatches/:id/:action', async (request, reply) => {
    const { id, action } = actionParams.parse(request.params);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const cause = editorCause(request, 'dashboard');
    const back = `/dispatches/${id}`;
    const answer = (outcome: ControlOutcome, ok: string): FastifyReply => {
      if (outcome.kind === 'not-found') throw notFound('dispatch');
      const flash: Flash = outcome.kind === 'done' ? { kind: 'ok', message: ok } : { kind: 'error', message: `Not possible: the dispatch is ${outcome.status}.` };
      return redirectWithFlash(reply, back, flash);
    };
    switch (action) {
      case 'pause':
        return answer(await ctx.editorial.pause(id, cause), 'Paused. Batches already in flight finish; nothing else goes out until you resume.');
      case 'resume':
        return answer(await ctx.editorial.resume(id, cause), 'Resumed where it stopped.');
      case 'release':
        return answer(await ctx.editorial.release(id, cause), 'Released: sending now.');
      case 'reschedule': {
        const input = rescheduleInput.safeParse({ at: body.at || undefined, timezone: body.timezone || undefined, localTime: body.localTime || undefined });
        if (!input.success) return redirectWithFlash(reply, back, { kind: 'error', message: `Not rescheduled: ${zodIssues(input.error).map((i) => `${i.path} ${i.message}`).join('; ')}` });
        return answer(await ctx.editorial.reschedule(id, input.data, cause), 'Rescheduled.');
      }
      case 'cancel': {
        const outcome = await ctx.editorial.cancel(id, cause);
        if (outcome.kind !== 'cancelled') return redirectWithFlash(reply, back, { kind: 'error', message: 'This dispatch has finished and can no longer be cancelled.' });
        const { report } = outcome;
        return redirectWithFlash(reply, back, { kind: 'ok', message: `Cancelled. ${report.sent} went out before the cancel; ${report.unsent} will not be sent.` });
      }
      case 'retract': {
        const input = retractInput.safeParse({ reason: body.reason ?? '' });
        if (!input.success) return redirectWithFlash(reply, back, { kind: 'error', message: 'Not retracted: give a reason.' });
        const articleId = (await ctx.db.selectFrom('dispatches').select('articleId').where('id', '=', id).executeTakeFirst())?.articleId;
        const outcome = articleId === undefined ? { kind: 'not-found' as const } : await ctx.editorial.retract(articleId, input.data.reason, cause);
        if (outcome.kind === 'not-found') throw notFound('dispatch');
        return redirectWithFlash(reply, back, outcome.kind === 'retracted'
          ? { kind: 'ok', message: `Retracted. ${outcome.deleting} post(s) are being deleted; unsent email is cancelled.` }
          : { kind: 'ok', message: 'This story was already retracted; nothing new was done.' });
      }
      case 'correct': {
        const input = correctInput.safeParse({ note: body.note ?? '', email: body.email === 'on', social: body.social ?? 'none' });
        if (!input.success) return redirectWithFlash(reply, back, { kind: 'error', message: `Not corrected: ${zodIssues(input.error).map((i) => `${i.path} ${i.message}`).join('; ')}` });
        const articleId = (await ctx.db.selectFrom('dispatches').select('articleId').where('id', '=', id).executeTakeFirst())?.articleId;
        const outcome = articleId === undefined ? { kind: 'not-found' as const } : await ctx.editorial.correct(articleId, input.data, cause);
        if (outcome.kind === 'not-found') throw notFound('dispatch');
        if (outcome.kind === 'conflict') return redirectWithFlash(reply, back, { kind: 'error', message: `Not corrected: ${outcome.reason}.` });
        return redirectWithFlash(reply, back, outcome.kind === 'corrected'
          ? { kind: 'ok', message: `Correction queued: ${outcome.emails} reader(s) by email, ${outcome.posts} post(s).` }
          : { kind: 'ok', message: 'This correction was already sent; nobody gets it twice.' });
      }
      case 'test-send': {
        const email = emailAddress.safeParse(body.email ?? '');
        if (!email.success) return redirectWithFlash(reply, back, { kind: 'error', message: 'Enter a valid email address for the test.' });
        const outcome = await ctx.editorial.testSend(id, email.data);
        switch (outcome.kind) {
          case 'not-found':
            throw notFound('dispatch');
          case 'sent':
            return redirectWithFlash(reply, back, { kind: 'ok', message: `Test edition sent to ${email.data}.` });
          case 'queued':
            return redirectWithFlash(reply, back, { kind: 'ok', message: `Test edition queued for ${email.data}; a worker will send it.` });
          case 'unrenderable':
            return redirectWithFlash(reply, back, { kind: 'error', message: outcome.message });
          case 'failed':
            return redirectWithFlash(reply, back, { kind: 'error', message: `the test send failed: ${outcome.reason}` });
        }
      }
    }
  });
}
