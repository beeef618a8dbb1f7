// Renders a digest edition (a list of the period's articles) through the edition template, so a digest looks,
// personalises and unsubscribes exactly like any other edition. No I/O but the template.
import type { Article } from '../articles/article.js';
import { cleanLine } from '../text/plain-text.js';
import { renderEdition, type RenderedEdition } from '../email/edition-renderer.js';
import { html, joinHtml, type SafeHtml } from '../render/html.js';

export interface DigestRenderOptions {
  cadence: 'daily' | 'weekly';
  listName: string;
  postalAddress: string;
  publicUrl: string;
  viewInBrowserUrl: string;
}

/** Articles listed in full; the rest are counted, so a busy week cannot push the mail past Gmail's clipping size. */
export const MAX_DIGEST_ITEMS = 40;

export function digestSubject(cadence: DigestRenderOptions['cadence'], articles: Pick<Article, 'title'>[]): string {
  const first = cleanLine(articles[0]?.title ?? '');
  const more = articles.length > 1 ? ` and ${articles.length - 1} more` : '';
  return `Your ${cadence} digest: ${first}${more}`;
}

function item(article: Article): SafeHtml {
  const meta = [article.authorName && `By ${cleanLine(article.authorName)}`, article.section && cleanLine(article.section)]
    .filter(Boolean)
    .join(' · ');
  return html`<h2><a href="${article.url}">${cleanLine(article.title)}</a></h2>${
    meta ? html`<p><small>${meta}</small></p>` : ''}${
    article.excerpt ? html`<p>${cleanLine(article.excerpt)}</p>` : ''}<p><a href="${article.url}">Read the story</a></p>`;
}

/** `articles` newest first; the digest keeps that order. */
export async function renderDigest(articles: Article[], options: DigestRenderOptions): Promise<RenderedEdition> {
  const listed = articles.slice(0, MAX_DIGEST_ITEMS);
  const rest = articles.length - listed.length;
  const body = html`${joinHtml(listed.map(item), html`<hr />`)}${
    rest > 0 ? html`<hr /><p><a href="${options.publicUrl}">${rest} more stories on our website</a></p>` : ''}`;
  const heading = `Your ${options.cadence} digest: ${articles.length} ${articles.length === 1 ? 'story' : 'stories'}`;
  // The edition template presents one article; a digest is a synthetic one whose body is the list.
  const digest: Article = {
    id: 0,
    externalId: `digest-${options.cadence}`,
    title: heading,
    url: options.viewInBrowserUrl,
    excerpt: listed.map((a) => cleanLine(a.title)).join(' · '),
    html: body.value,
    authorName: null,
    section: null,
    tags: [],
    imageUrl: null,
    imageAlt: null,
    publishedAt: new Date(),
    createdAt: new Date(),
  };
  return renderEdition(digest, {
    listName: options.listName,
    postalAddress: options.postalAddress,
    viewInBrowserUrl: options.viewInBrowserUrl,
    subject: digestSubject(options.cadence, articles),
  });
}
