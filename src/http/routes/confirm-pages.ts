// Confirmation links: GET shows a button, only the POST confirms (mail scanners follow links but do not submit forms).
// /confirm/:token confirms a subscription, /confirm-email/:token a new address.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../context.js';
import { html } from '../../render/html.js';
import { checkConfirmation, confirmEmailChange, confirmSubscription } from '../../subscribers/confirmation.js';
import { changeEmailClaims, checkLink, preferencesUrl, type LinkProblem } from '../../subscribers/subscriber-links.js';
import { actionPage, linkProblemPage, noticePage, pageSettings, sendPage } from '../pages/page.js';

export const tokenParams = z.object({ token: z.string().max(2000) });

export function confirmRoutes(app: FastifyInstance, ctx: HeraldContext) {
  const settings = pageSettings(ctx);
  const links = { publicUrl: ctx.config.PUBLIC_URL, secret: ctx.secret };
  const problem = (reply: FastifyReply, which: LinkProblem | 'taken') => {
    const page = linkProblemPage(settings, which);
    return sendPage(reply, page.status, page.html);
  };
  const button = (token: string, heading: string, message: string, buttonLabel: string) =>
    actionPage(settings, heading, { heading, message, buttonLabel, action: `./${token}` });
  const preferencesLink = (subscriberId: number) =>
    html`<p><a href="${preferencesUrl(links, subscriberId)}">Choose topics and how often you hear from us</a></p>`;

  app.get('/confirm/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'confirm');
    if (!link.ok) return problem(reply, link.problem);
    const open = await checkConfirmation(ctx.db, link.claims.subscriberId, 'confirm', link.claims.extra ?? '');
    if (!open.ok) return problem(reply, open.problem);
    return sendPage(reply, 200, button(token, 'Confirm your subscription',
      `Confirm that ${open.subscriber.email} should receive ${ctx.config.LIST_NAME}.`, 'Confirm subscription'));
  });

  app.post('/confirm/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'confirm');
    if (!link.ok) return problem(reply, link.problem);
    const result = await confirmSubscription(ctx.db, ctx.secret, link.claims.subscriberId, link.claims.extra ?? '');
    if (!result.ok) return problem(reply, result.problem);
    request.log.info({ event: 'subscriber.confirmed', subscriberId: result.subscriber.id }, 'subscription confirmed');
    return sendPage(reply, 200, noticePage(settings, 'You are subscribed',
      `Thanks! ${result.subscriber.email} will receive ${ctx.config.LIST_NAME} from now on.`, preferencesLink(result.subscriber.id)));
  });

  app.get('/confirm-email/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'change-email');
    const claims = link.ok ? changeEmailClaims(link.claims.extra) : undefined;
    if (!link.ok || !claims) return problem(reply, link.ok ? 'invalid' : link.problem);
    const open = await checkConfirmation(ctx.db, link.claims.subscriberId, 'change-email', claims.nonce);
    if (!open.ok || open.newEmail !== claims.newEmail) return problem(reply, 'used');
    return sendPage(reply, 200, button(token, 'Confirm your new address',
      `From now on, send ${ctx.config.LIST_NAME} to ${claims.newEmail} instead of ${open.subscriber.email}.`, 'Confirm new address'));
  });

  app.post('/confirm-email/:token', async (request, reply) => {
    const { token } = tokenParams.parse(request.params);
    const link = checkLink(ctx.linkSecrets, token, 'change-email');
    const claims = link.ok ? changeEmailClaims(link.claims.extra) : undefined;
    if (!link.ok || !claims) return problem(reply, link.ok ? 'invalid' : link.problem);
    const result = await confirmEmailChange(ctx.db, ctx.secret, link.claims.subscriberId, claims.nonce, claims.newEmail);
    if (!result.ok) return problem(reply, result.problem);
    return sendPage(reply, 200, noticePage(settings, 'Your address is updated',
      `${ctx.config.LIST_NAME} now goes to ${result.subscriber.email}.`, preferencesLink(result.subscriber.id)));
  });
}
