// Leaving: POST /unsubscribe/:token is the RFC 8058 one-click endpoint (no cookie, session or CSRF token — the signed
// token is the credential); GET shows a page whose button makes that same POST. A GET never changes anything.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { html } from '../../render/html.js';
import { unsubscribe } from '../../subscribers/status-changes.js';
import { checkLink, preferencesUrl, unsubscribeEdition } from '../../subscribers/subscriber-links.js';
import { findSubscriber } from '../../subscribers/subscriber-repository.js';
import { actionPage, linkProblemPage, noticePage, pageSettings, sendPage } from '../pages/page.js';
import { tokenParams } from './confirm-pages.js';

export function unsubscribeRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const settings = pageSettings(ctx);
  const list = ctx.config.LIST_NAME;
  const subscribeAgain = html`<p><a href="${ctx.config.PUBLIC_URL}/subscribe">Unsubscribed by mistake? Subscribe again</a></p>`;
  const invalid = (reply: FastifyReply) => {
    const page = linkProblemPage(settings, 'invalid');
    return sendPage(reply, page.status, page.html);
  };

  app.get('/unsubscribe/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'unsubscribe');
    if (!link.ok) return invalid(reply);
    const subscriber = await findSubscriber(ctx.db, link.claims.subscriberId);
    if (!subscriber || (subscriber.status !== 'confirmed' && subscriber.status !== 'pending')) {
      return sendPage(reply, 200, noticePage(settings, 'You are not subscribed', `This address does not receive ${list}.`, subscribeAgain));
    }
    const preferences = preferencesUrl({ publicUrl: ctx.config.PUBLIC_URL, secret: ctx.secret }, subscriber.id);
    return sendPage(reply, 200, actionPage(settings, 'Unsubscribe', {
      heading: `Unsubscribe from ${list}?`,
      message: `${subscriber.email} will stop receiving ${list} right away.`,
      action: `./${token}`,
      buttonLabel: 'Unsubscribe',
      // The same body a mail client sends for one-click, plus where it came from (for the event log).
      hiddenFields: html`<input type="hidden" name="List-Unsubscribe" value="One-Click"><input type="hidden" name="via" value="page">`,
      secondary: html`<a class="button secondary" href="${preferences}">Change preferences instead</a>`,
    }));
  });

  app.post('/unsubscribe/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'unsubscribe');
    if (!link.ok) return invalid(reply);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body['List-Unsubscribe'] !== 'One-Click') {
      return sendPage(reply, 400, noticePage(settings, 'Nothing changed',
        'An unsubscribe request must carry List-Unsubscribe=One-Click (RFC 8058). Use the button on the unsubscribe page.'));
    }
    const cause = body.via === 'page' ? 'link' : 'one-click';
    const result = await unsubscribe(ctx.db, link.claims.subscriberId, cause, unsubscribeEdition(link.claims));
    request.log.info({ event: 'subscriber.unsubscribe', subscriberId: link.claims.subscriberId, cause, result }, 'unsubscribe');
    return sendPage(reply, 200, noticePage(settings, 'You are unsubscribed', `You will not receive ${list} any more.`, subscribeAgain));
  });
}
