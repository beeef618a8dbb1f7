// The frame of every dashboard page: navigation by role, the signed-in editor, one flash message, and the headers
// that keep it private (no caching, no framing by others, nothing loaded from elsewhere).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Flash } from './flash.js';
import { htmlDocument } from '../../render/document.js';
import { attrs, html, type SafeHtml } from '../../render/html.js';
import { CHANNEL_LABELS } from '../../social/networks.js';
import { vendorAsset } from './assets.js';

export interface PageOptions {
  title: string;
  request: FastifyRequest;
  /** `data-page` on <body>: which part of the dashboard script runs. */
  page: string;
  flash?: Flash;
  /** Extra scripts from /dashboard/assets/, after common.js. */
  scripts?: string[];
  /** Extra stylesheets from /dashboard/assets/, before dashboard.css. */
  styles?: string[];
}

/** What a page with charts (src/http/dashboard/charts.ts) loads: uPlot from Herald itself, then the drawing script. */
export const CHART_ASSETS = {
  scripts: [vendorAsset('uplot.js'), 'charts.js'],
  styles: [vendorAsset('uplot.css')],
} satisfies Pick<PageOptions, 'scripts' | 'styles'>;

const NAV: { href: string; label: string; admin?: boolean; match: RegExp }[] = [
  { href: '/', label: 'Articles', match: /^\/($|\?|articles|dispatches)/ },
  { href: '/publish', label: 'Publish', match: /^\/publish/ },
  { href: '/subscribers', label: 'Subscribers', match: /^\/subscribers/ },
  { href: '/inbox', label: 'Inbox', match: /^\/inbox/ },
  { href: '/webhooks', label: 'Webhooks', admin: true, match: /^\/webhooks/ },
  { href: '/tokens', label: 'Tokens', admin: true, match: /^\/tokens/ },
  { href: '/settings', label: 'Settings', admin: true, match: /^\/settings/ },
  { href: '/admin/queues', label: 'Queues', admin: true, match: /^\/admin\/queues/ },
];

export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.dashboard?.session.csrf ?? ''}">`;
}

export function layout(options: PageOptions, content: SafeHtml): string {
  const { request } = options;
  const editor = request.editor;
  const admin = editor?.role === 'admin';
  const path = request.url;
  const nav = NAV.filter((item) => !item.admin || admin).map(
    (item) => html`<li><a href="${item.href}"${attrs({ 'aria-current': item.match.test(path) ? 'page' : undefined })}>${item.label}</a></li>`,
  );
  const flash = options.flash
    ? html`<div class="flash ${options.flash.kind}" role="${options.flash.kind === 'error' ? 'alert' : 'status'}">${options.flash.message}${
        options.flash.secret ? html`<code class="secret" data-secret tabindex="0">${options.flash.secret}</code>` : ''}</div>`
    : '';
  const scripts = ['common.js', ...(options.scripts ?? [])].map((s) => html`<script src="/dashboard/assets/${s}" defer></script>`);
  return htmlDocument({
    head: html`<meta name="csrf-token" content="${request.dashboard?.session.csrf ?? ''}">
<meta name="channel-labels" content="${JSON.stringify(CHANNEL_LABELS)}">
<title>${options.title} · Herald</title>
${(options.styles ?? []).map((s) => html`<link rel="stylesheet" href="/dashboard/assets/${s}">`)}
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<link rel="icon" href="data:,">
${scripts}`,
    bodyAttributes: attrs({ 'data-page': options.page }),
    body: html`<header class="topbar">
  <a class="brand" href="/">Herald</a>
  ${editor
    ? html`<nav aria-label="Main"><ul>${nav}</ul></nav>
  <div class="who"><span><span class="visually-hidden">Signed in as </span>${editor.name} <span class="role">${editor.role}</span></span>
    <form method="post" action="/logout">${csrfField(request)}<button class="link-button" type="submit">Sign out</button></form></div>`
    : ''}
</header>
<main id="main" tabindex="-1">
${flash}
${content}
</main>`,
  });
}

/** Dashboard pages: our own assets only; frames only of our own pages (edition previews). */
/**
 * An email's HTML (an edition, a captured message), shown in the dashboard's frames: no script can run, nothing
 * loads but images, and only the dashboard itself may frame it.
 */
export function sendFramedEmail(reply: FastifyReply, body: string): FastifyReply {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'SAMEORIGIN')
    .header('content-security-policy', "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'")
    .send(body);
}

export function sendDashboardPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'same-origin')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; frame-src 'self'; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    )
    .send(body);
}
