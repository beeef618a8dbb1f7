// Renders the public pages into the shared layout and sends them with headers that keep tokens in their URLs private.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HeraldContext } from '../../context.js';
import { editionSettingsFrom } from '../../email/edition-service.js';
import { escapeHtml } from '../../runtime/escape-html.js';
import { fillTemplate, loadTemplate, type TemplateValues } from '../../runtime/templates.js';
import type { LinkProblem } from '../../subscribers/subscriber-links.js';

export interface PageSettings {
  listName: string;
  postalAddress: string;
  publicUrl: string;
}

export function pageSettings(ctx: HeraldContext): PageSettings {
  return editionSettingsFrom(ctx);
}

/** A JSON client gets JSON answers (and errors); a browser posting a form gets pages. */
export function wantsJson(request: FastifyRequest): boolean {
  return /\bjson\b/i.test(request.headers['content-type'] ?? '') || /^application\/json/i.test(request.headers.accept ?? '');
}

/** A page body template under templates/pages/, wrapped in layout.html. */
export function renderPage(settings: PageSettings, title: string, template: string, values: TemplateValues): string {
  const content = fillTemplate(loadTemplate(`pages/${template}.html`), { listName: settings.listName, ...values });
  return fillTemplate(loadTemplate('pages/layout.html'), {
    title,
    listName: settings.listName,
    homeUrl: `${settings.publicUrl}/subscribe`,
    content,
    postalAddressHtml: settings.postalAddress.split(/\r?\n/).map(escapeHtml).join('<br>'),
  });
}

/**
 * No referrer (the path holds a token), no caching of personal pages, no framing (clickjacking a one-click
 * button), and nothing but our own inline styles and forms posting back to us.
 */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(html);
}

export function noticePage(settings: PageSettings, heading: string, message: string, extraHtml = ''): string {
  return renderPage(settings, heading, 'notice', { heading, message, extraHtml });
}

const subscribeAgain = (settings: PageSettings) =>
  `<p><a class="button" href="${escapeHtml(`${settings.publicUrl}/subscribe`)}">Go to the subscribe page</a></p>`;

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

/** Checkboxes for topics, in a fieldset with a legend; empty when there is nothing to choose from. */
export function topicsFieldset(topics: string[], chosen: string[], hint: string): string {
  if (topics.length === 0) return '';
  const offered = [...new Set([...topics, ...chosen])];
  const boxes = offered
    .map((topic, i) => {
      const checked = chosen.includes(topic) ? ' checked' : '';
      return `<label class="choice" for="topic-${i}"><input id="topic-${i}" type="checkbox" name="topics" value="${escapeHtml(topic)}"${checked}> ${escapeHtml(capitalise(topic))}</label>`;
    })
    .join('\n      ');
  return `<fieldset aria-describedby="topics-hint">
    <legend>Topics</legend>
    <span class="hint" id="topics-hint">${escapeHtml(hint)}</span>
    <div class="choices">
      ${boxes}
    </div>
  </fieldset>`;
}

/** An error summary that names every problem; `role="alert"` so screen readers announce it after a submit. */
export function errorSummary(messages: string[]): string {
  if (messages.length === 0) return '';
  const items = messages.map((m) => `<li>${escapeHtml(m)}</li>`).join('');
  return `<div class="alert" role="alert"><strong>Please check the form:</strong><ul>${items}</ul></div>`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
