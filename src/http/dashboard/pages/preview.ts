// The edition preview (desktop and phone widths, HTML and text) and the social posts, editable until the start.
import type { FastifyInstance } from 'fastify';
import type { HeraldContext } from '../../../context.js';
import { EDITABLE_STATUSES } from '../../../dispatch/edit-dispatch.js';
import { isNotStarted } from '../../../dispatch/lifecycle.js';
import { previewEdition, type EditionPreview } from '../../../email/edition-preview.js';
import { EditionRenderError } from '../../../email/edition-renderer.js';
import { listSocialPosts } from '../../../social/social-deliveries.js';
import { notFound } from '../../errors.js';
import { idParams } from '../../routes/articles.js';
import { editionSettingsFrom } from '../../../email/edition-service.js';
import { takeFlash } from '../flash.js';
import { html } from '../../../render/html.js';
import { layout, sendDashboardPage, sendFramedEmail } from '../layout.js';
import { postsList } from './dispatch-view.js';
import { networkName, SOCIAL_NETWORKS } from './publish-form.js';

export function previewPages(app: FastifyInstance, ctx: HeraldContext) {
  app.get('/dispatches/:id/preview', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const dispatch = await ctx.db.selectFrom('dispatches').selectAll().where('id', '=', id).executeTakeFirst();
    if (!dispatch) throw notFound('dispatch');
    let edition: EditionPreview | undefined;
    let problem: string | undefined;
    try {
      edition = await previewEdition(ctx.db, id, editionSettingsFrom(ctx));
    } catch (error) {
      if (!(error instanceof EditionRenderError)) throw error;
      problem = error.message;
    }
    // Before the start the posts are composed live; a held dispatch is shown so, but edited only once rescheduled.
    const notStarted = isNotStarted(dispatch.status);
    const editable = EDITABLE_STATUSES.includes(dispatch.status);
    const social = dispatch.channels.filter((c) => (SOCIAL_NETWORKS as readonly string[]).includes(c));
    const posts = notStarted ? [] : await listSocialPosts(ctx.db, id);
    const content = html`<div class="page-head">
  <div><p class="eyebrow"><a href="/dispatches/${id}">Dispatch #${id}</a></p><h1>Preview</h1></div>
</div>
${dispatch.channels.includes('email') ? html`<section class="card" aria-labelledby="edition-heading">
  <h2 id="edition-heading">Email edition</h2>
  ${problem ? html`<div class="flash error" role="alert">This article cannot become an edition: ${problem}</div>` : ''}
  ${edition ? html`<dl class="facts two">
    <div><dt>Subject</dt><dd>${edition.subject}</dd></div>
    <div><dt>Preheader</dt><dd>${edition.preheader || '—'}</dd></div>
  </dl>
  ${editable ? html`<form class="edition-editor" data-edition-editor data-dispatch="${id}">
    <label for="edition-subject">Subject line <span class="optional">(empty: the headline)</span></label>
    <input id="edition-subject" type="text" name="subject" maxlength="300" value="${dispatch.subject ?? ''}">
    <label for="edition-preheader">Preheader <span class="optional">(empty: the excerpt)</span></label>
    <input id="edition-preheader" type="text" name="preheader" maxlength="500" value="${dispatch.preheader ?? ''}">
    <div class="actions"><button class="button primary" type="submit">Save subject and preheader</button> <span class="small" data-edition-status role="status"></span></div>
  </form>` : ''}
  <p class="muted small">${edition.stored ? 'This is the edition as rendered for sending.' : 'Rendered for this preview; the edition is rendered for good when the dispatch starts, with any changes made until then.'} The reader’s name and personal links are shown with stand-ins.</p>
  <div class="frames">
    <figure class="frame desktop"><figcaption>Desktop</figcaption>
      <iframe src="/dispatches/${id}/edition.html" title="Edition at desktop width" sandbox="allow-same-origin" loading="lazy"></iframe></figure>
    <figure class="frame mobile"><figcaption>Phone</figcaption>
      <iframe src="/dispatches/${id}/edition.html" title="Edition at phone width" sandbox="allow-same-origin" loading="lazy"></iframe></figure>
  </div>
  <details class="text-version"><summary>Plain-text version</summary><pre>${edition.text}</pre></details>` : ''}
</section>` : ''}
${social.length ? html`<section class="card" aria-labelledby="posts-heading" data-post-editor data-dispatch="${id}" data-article="${dispatch.articleId}">
  <h2 id="posts-heading">Social posts</h2>
  ${notStarted
    ? html`<p class="hint">What each network will get. Write your own text to replace a post; counts follow each network's rules. Saved texts are used when the dispatch starts.${editable ? '' : ' This dispatch is held: reschedule it to change the texts.'}</p>
  ${social.map((network) => html`<div class="post-preview" data-network="${network}">
    <div class="post-head"><h3>${networkName(network)}</h3><span class="count" data-count aria-live="polite">—</span></div>
    <p class="post-text" data-text>…</p>
    <label for="own-${network}">Your own ${networkName(network)} post <span class="optional">(optional)</span></label>
    <textarea id="own-${network}" rows="3" data-override>${dispatch.socialTexts[network] ?? ''}</textarea>
  </div>`)}
  ${editable ? html`<div class="actions"><button class="button primary" type="button" data-save-posts>Save post texts</button> <span class="small" data-save-status role="status"></span></div>` : ''}`
    : html`<p class="hint">The dispatch has started: these are the posts as composed and sent.</p>${postsList(posts)}`}
</section>` : ''}`;
    return sendDashboardPage(reply, 200, layout({ title: `Preview #${id}`, request, page: 'preview', scripts: ['preview.js'], flash: takeFlash(request, reply) }, content));
  });

  // The edition itself, for the preview frames: same-origin framing only, no script, the edition's own styles.
  app.get('/dispatches/:id/edition.html', async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const edition = await previewEdition(ctx.db, id, editionSettingsFrom(ctx)).catch((error) => {
      if (error instanceof EditionRenderError) return undefined;
      throw error;
    });
    if (!edition) throw notFound('edition');
    return sendFramedEmail(reply, edition.html);
  });
}
