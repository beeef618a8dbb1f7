// GET/POST /publish: the publish form, and publishing through the same validation as POST /api/articles.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { articleInput } from '../../../articles/article-input.js';
import type { HeraldContext } from '../../../context.js';
import { HttpError, zodIssues } from '../../errors.js';
import { checkSocialTexts } from '../../routes/social.js';
import { redirectWithFlash, takeFlash } from '../flash.js';
import { html } from '../../../render/html.js';
import { layout, sendDashboardPage } from '../layout.js';
import { publishForms, SOCIAL_NETWORKS, type FormProblem, type PublishValues } from './publish-form.js';
import { editorCause } from '../../auth.js';

const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
const optional = (v: unknown) => text(v).trim() || undefined;

/** The form's fields as the article payload the API takes. */
function payloadFromFields(form: PublishValues): Record<string, unknown> {
  const socialTexts = Object.fromEntries(
    SOCIAL_NETWORKS.map((n) => [n, text(form[`social_${n}`])]).filter(([, t]) => t.trim() !== ''),
  );
  return {
    externalId: optional(form.externalId) ?? `dashboard-${new Date().toISOString().slice(0, 10)}-${randomBytes(5).toString('hex')}`,
    title: text(form.title),
    url: text(form.url),
    excerpt: text(form.excerpt),
    html: text(form.html),
    ...(optional(form.author) ? { author: { name: text(form.author) } } : {}),
    section: optional(form.section) ?? null,
    tags: text(form.tags).split(',').map((t) => t.trim()).filter(Boolean),
    ...(optional(form.image) ? { image: { url: text(form.image), alt: text(form.imageAlt) } } : {}),
    channels: form.channels === undefined ? [] : ([] as unknown[]).concat(form.channels),
    ...(Object.keys(socialTexts).length ? { socialTexts } : {}),
  };
}

/** The choices both forms share: when, at each reader's local time or not, and whether it is breaking news (these
 * replace what the JSON says). */
function withFormChoices(payload: Record<string, unknown>, form: PublishValues): Record<string, unknown> {
  const urgent = text(form.priority) === 'breaking' ? { ...payload, priority: 'breaking' } : payload;
  const chosen = optional(form.localTime) ? { ...urgent, localTime: optional(form.localTime) } : urgent;
  if (text(form.when) !== 'later') return chosen;
  return { ...chosen, schedule: { at: text(form.at), timezone: optional(form.timezone) ?? 'UTC' } };
}

export function publishPages(app: FastifyInstance, ctx: HeraldContext) {
  const show = (request: FastifyRequest, reply: FastifyReply, status: number, values: PublishValues, problems: FormProblem[]) => {
    const summary = problems.length
      ? html`<div class="flash error" role="alert"><strong>Nothing was published. Please check:</strong><ul>${problems.map((p) => html`<li>${p.path === '(body)' ? '' : `${p.path}: `}${p.message}</li>`)}</ul></div>`
      : '';
    const content = html`<div class="page-head"><h1>Publish an article</h1></div>${summary}${publishForms(request, ctx.social, values, problems)}`;
    return sendDashboardPage(reply, status, layout({ title: 'Publish', request, page: 'publish', scripts: ['publish.js'], flash: takeFlash(request, reply) }, content));
  };

  app.get('/publish', async (request, reply) => show(request, reply, 200, {}, []));

  app.post('/publish', async (request, reply) => {
    const form = (request.body ?? {}) as PublishValues;
    let payload: Record<string, unknown>;
    if (text(form.mode) === 'json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text(form.json));
      } catch (error) {
        return show(request, reply, 400, form, [{ path: 'json', message: `not valid JSON (${(error as Error).message})` }]);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return show(request, reply, 400, form, [{ path: 'json', message: 'must be one article object' }]);
      }
      payload = withFormChoices(parsed as Record<string, unknown>, form);
    } else {
      payload = withFormChoices(payloadFromFields(form), form);
    }
    const parsed = articleInput.safeParse(payload);
    if (!parsed.success) return show(request, reply, 400, form, zodIssues(parsed.error));
    try {
      await checkSocialTexts(ctx, parsed.data.socialTexts);
    } catch (error) {
      if (error instanceof HttpError && error.issues) return show(request, reply, 400, form, error.issues);
      throw error;
    }
    const outcome = await ctx.editorial.publish(parsed.data, editorCause(request, 'dashboard'));
    if (outcome.kind === 'already-published') {
      return redirectWithFlash(reply, outcome.latestDispatchId ? `/dispatches/${outcome.latestDispatchId}` : '/', {
        kind: 'error', message: `An article with the external id “${outcome.article.externalId}” was published before; nothing was sent again.`,
      });
    }
    const { dispatch } = outcome;
    const when = dispatch.status === 'scheduled' ? `scheduled for ${dispatch.scheduledAt!.toISOString().slice(0, 19).replace('T', ' ')} UTC` : 'on its way';
    return redirectWithFlash(reply, `/dispatches/${dispatch.id}`, { kind: 'ok', message: `Published “${outcome.article.title}”: ${when}.` });
  });
}
