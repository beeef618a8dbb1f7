// The public pages' shared parts: the settings they show, how they are sent (headers that keep tokens in their URLs
// private), and the pages several routes answer with (a notice, a one-button form, a link that did not work).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { editionSettingsFrom } from '../../email/edition-service.js';
import { html, type SafeHtml } from '../../render/html.js';
import type { LinkProblem } from '../../subscribers/subscriber-links.js';
import { publicLayout, type PageSettings } from './layout.js';
import { ZONE_SCRIPT_CSP } from './zone-script.js';

export type { PageSettings } from './layout.js';

export function pageSettings(ctx: HeraldContext): PageSettings {
  return editionSettingsFrom(ctx);
}

/** A JSON client gets JSON answers (and errors); a browser posting a form gets pages. */
export function wantsJson(request: FastifyRequest): boolean {
  return /\bjson\b/i.test(request.headers['content-type'] ?? '') || /^application\/json/i.test(request.headers.accept ?? '');
}

/**
 * No referrer (the path holds a token), no caching of personal pages, no framing (clickjacking a one-click
 * button), and nothing but our own inline styles, the time-zone script (by its hash) and forms posting back to us.
 */
export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; script-src ${ZONE_SCRIPT_CSP}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`)
    .send(page);
}

/** A message page: "check your inbox", "you are subscribed", or why a link did not work. */
export function noticePage(settings: PageSettings, heading: string, message: string, extra: SafeHtml = html``): string {
  return publicLayout(settings, heading, html`<h1>${heading}</h1>
<p>${message}</p>
${extra}
`);
}

export interface ActionPage {
  heading: string;
  message: string;
  /** Where the button POSTs. */
  action: string;
  buttonLabel: string;
  hiddenFields?: SafeHtml;
  /** Beside the button, e.g. a link to do something else instead. */
  secondary?: SafeHtml;
}

/**
 * A page with one button that POSTs: links in mail only ever show this (a GET never changes anything, so link
 * scanners cannot confirm or unsubscribe anyone).
 */
export function actionPage(settings: PageSettings, title: string, page: ActionPage): string {
  return publicLayout(settings, title, html`<h1>${page.heading}</h1>
<p>${page.message}</p>
<form method="post" action="${page.action}">
  ${page.hiddenFields ?? ''}
  <div class="actions">
    <button class="button" type="submit">${page.buttonLabel}</button>
    ${page.secondary ?? ''}
  </div>
</form>
`);
}

const subscribeAgain = (settings: PageSettings) =>
  html`<p><a class="button" href="${settings.publicUrl}/subscribe">Go to the subscribe page</a></p>`;

/** Why a mailed link did not work, as a page with its status code (4xx: the reader can do something about it). */
export function linkProblemPage(settings: PageSettings, problem: LinkProblem | 'taken'): { status: number; html: string } {
  switch (problem) {
    case 'expired':
      return { status: 410, html: noticePage(settings, 'This link has expired', 'Confirmation links work for 7 days. Subscribe again and we will send you a fresh one.', subscribeAgain(settings)) };
    case 'used':
      return { status: 410, html: noticePage(settings, 'This link has already been used', 'It was used already, or a newer link replaced it. If you are subscribed, there is nothing more to do; otherwise subscribe again for a fresh link.', subscribeAgain(settings)) };
    case 'taken':
      return { status: 409, html: noticePage(settings, 'That address is already subscribed', 'Another subscription already uses this address, so we kept your current one. Unsubscribe one of them first if you want to merge them.') };
    default:
      return { status: 400, html: noticePage(settings, 'This link is not valid', 'The link may have been cut off or mistyped. Copy the whole address from the email into your browser, or subscribe again.', subscribeAgain(settings)) };
  }
}
