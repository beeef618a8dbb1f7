// The dispatch page's Corrections card: each correction of the story with what it came to, and the form for a new one.
import type { FastifyRequest } from 'fastify';
import { correctionProgress, listCorrections } from '../../../articles/corrections.js';
import type { HeraldContext } from '../../../context.js';
import { isFinal } from '../../../dispatch/lifecycle.js';
import { html, joinHtml, type SafeHtml } from '../../../render/html.js';
import { channelLabel } from '../../../social/networks.js';
import { time } from '../format.js';
import { csrfField } from '../layout.js';

const OUTCOME_LABELS: Record<string, string> = { replied: 'replied under the post', edited: 'edited the post' };

export async function correctionsCard(
  ctx: HeraldContext,
  request: FastifyRequest,
  dispatch: { id: number; articleId: number; status: string },
  retracted: boolean,
): Promise<SafeHtml> {
  const corrections = await listCorrections(ctx.db, dispatch.articleId);
  const items = await Promise.all(
    corrections.map(async (c) => {
      const { posts, email } = await correctionProgress(ctx.db, c.id);
      const counts = Object.entries(email).map(([status, n]) => `${n} ${status}`).join(', ');
      const lines = posts.map(
        (p) => html`<li data-correction-post="${p.channel}" data-status="${p.status}">${channelLabel(p.channel)}: ${p.outcome ? OUTCOME_LABELS[p.outcome] : p.status}${p.note ? ` (${p.note})` : ''}</li>`,
      );
      return html`<li data-correction="${c.id}"><p><strong>Correction:</strong> ${c.note} <span class="muted small">${time(c.createdAt)}</span></p>
        ${counts ? html`<p class="small">Email: ${counts}</p>` : ''}${lines.length ? html`<ul class="small">${joinHtml(lines, html``)}</ul>` : ''}</li>`;
    }),
  );
  const canCorrect = !retracted && isFinal(dispatch.status);
  return html`<section class="card" aria-labelledby="correct-heading">
      <h2 id="correct-heading">Corrections</h2>
      ${items.length ? html`<ul class="corrections">${joinHtml(items, html``)}</ul>` : ''}
      ${canCorrect
        ? html`<form method="post" action="/dispatches/${dispatch.id}/correct" class="action-form">${csrfField(request)}
        <div class="field"><label for="c-note">Correction (readers see it after "Correction: ")</label>
        <textarea id="c-note" name="note" rows="2" maxlength="500" required></textarea></div>
        <div class="field"><label><input type="checkbox" name="email" value="on"> Email it to every reader who received the edition</label></div>
        <div class="field"><label for="c-social">On social</label><select id="c-social" name="social">
          <option value="reply">Reply under each post</option>
          <option value="edit">Edit the post where the network can (Mastodon), reply elsewhere</option>
          <option value="none">Nothing</option></select></div>
        <button class="button secondary" type="submit">Send correction</button></form>`
        : html`<p class="muted small">${retracted ? 'This story was retracted.' : 'A story can be corrected once its dispatch has finished sending.'}</p>`}
    </section>`;
}
