// The capture inbox (EMAIL_TRANSPORT=capture, the default without SMTP_URL): every message Herald "sent", readable in the dashboard.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HeraldContext } from '../../../context.js';
import { captureInboxDir, listCapturedMessages } from '../../../email/capture-inbox.js';
import { notFound } from '../../errors.js';
import { takeFlash } from '../flash.js';
import { count, time } from '../format.js';
import { html } from '../../../render/html.js';
import { layout, sendDashboardPage, sendFramedEmail } from '../layout.js';

const fileParams = z.object({ file: z.string().regex(/^[\w.-]+\.eml$/) });

export function inboxPages(app: FastifyInstance, ctx: HeraldContext) {
  const dir = captureInboxDir(ctx.config.HERALD_DATA_DIR);
  const capture = ctx.config.EMAIL_TRANSPORT === 'capture';

  const readMessage = async (file: string) => {
    const path = join(dir, file);
    if (!capture || !existsSync(path)) throw notFound('message');
    const { simpleParser } = await import('mailparser');
    return simpleParser(await readFile(path));
  };

  app.get('/inbox', async (request, reply) => {
    const messages = capture ? await listCapturedMessages(dir, { limit: 200 }) : [];
    const content = html`<div class="page-head"><h1>Inbox</h1></div>
${capture
  ? html`<p class="lede">No SMTP server is configured, so Herald keeps every message it sends here instead (newest first, at most 200 shown).</p>
  ${messages.length === 0 ? html`<p class="empty">Nothing sent yet.</p>` : html`<div class="table-wrap card flush"><table>
  <caption class="visually-hidden">Captured messages</caption>
  <thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col" class="num">Size</th></tr></thead>
  <tbody>${messages.map((m) => html`<tr><td class="small">${time(m.receivedAt, '—', 'short')}</td><td>${m.to}</td><td><a href="/inbox/${m.file}">${m.subject || '(no subject)'}</a></td><td class="num small">${count(Math.round(m.size / 1024))} KB</td></tr>`)}</tbody>
</table></div>`}`
  : html`<div class="card"><p>Mail goes to the SMTP server in <code>SMTP_URL</code>, so there is no capture inbox. Unset <code>SMTP_URL</code> to keep messages here instead (for trying Herald out).</p></div>`}`;
    return sendDashboardPage(reply, 200, layout({ title: 'Inbox', request, page: 'inbox', flash: takeFlash(request, reply) }, content));
  });

  app.get('/inbox/:file', async (request, reply) => {
    const { file } = fileParams.parse(request.params);
    const message = await readMessage(file);
    const to = Array.isArray(message.to) ? message.to.map((a) => a.text).join(', ') : message.to?.text ?? '';
    const content = html`<div class="page-head"><div><p class="eyebrow"><a href="/inbox">Inbox</a></p><h1>${message.subject ?? '(no subject)'}</h1></div>
  <a class="button secondary" href="/api/capture-inbox/${file}" download>Download .eml</a></div>
<section class="card">
  <dl class="facts two">
    <div><dt>From</dt><dd>${message.from?.text ?? ''}</dd></div>
    <div><dt>To</dt><dd>${to}</dd></div>
    <div><dt>Date</dt><dd>${time(message.date ?? null)}</dd></div>
    <div><dt>Message-ID</dt><dd class="small">${message.messageId ?? ''}</dd></div>
  </dl>
  ${message.html ? html`<div class="frames single"><figure class="frame desktop"><figcaption>HTML</figcaption>
    <iframe src="/inbox/${file}/html" title="The message as HTML" sandbox="allow-same-origin"></iframe></figure></div>` : ''}
  <details class="text-version"${message.html ? '' : html` open`}><summary>Plain-text version</summary><pre>${message.text ?? ''}</pre></details>
</section>`;
    return sendDashboardPage(reply, 200, layout({ title: message.subject ?? 'Message', request, page: 'inbox' }, content));
  });

  app.get('/inbox/:file/html', async (request, reply) => {
    const { file } = fileParams.parse(request.params);
    const message = await readMessage(file);
    if (!message.html) throw notFound('HTML part');
    return sendFramedEmail(reply, message.html);
  });
}
