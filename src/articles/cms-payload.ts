// What a CMS's "post published" webhook sends, turned into the payload POST /api/articles takes (which then
// validates and sanitises it), or a post taken back (unpublished, deleted, trashed), which retracts the article.
// Knows Ghost, WordPress (hook and REST shapes) and Herald's own article shape.

export type CmsArticle =
  | { kind: 'article'; source: 'ghost' | 'wordpress' | 'herald'; payload: Record<string, unknown> }
  /** A webhook about something that must not be distributed (a draft, a scheduled post, a page update). */
  | { kind: 'ignored'; source: 'ghost' | 'wordpress'; reason: string }
  /** A post the CMS took back: the article with this externalId (if Herald has it) is to be retracted. */
  | { kind: 'withdrawn'; source: 'ghost' | 'wordpress'; externalId: string; reason: string }
  | { kind: 'unrecognised' };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string field, also from WordPress REST's `{rendered: "…"}` objects. */
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (isObj(value) && typeof value.rendered === 'string') return value.rendered;
  return '';
}

/** Names from `["a", "b"]`, `[{name: "a"}]` or a comma-separated string. */
function names(value: unknown): string[] {
  if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!Array.isArray(value)) return [];
  return value.map((v) => (isObj(v) ? str(v.name) : str(v))).filter(Boolean);
}

/** WordPress writes `2024-05-01 09:30:00` (post_date_gmt, UTC) — without a zone, which ISO parsing would take as local. */
function isoDate(value: unknown, assumeUtc: boolean): string | undefined {
  const text = str(value).trim();
  if (!text || text.startsWith('0000-00-00')) return undefined;
  const normalised = assumeUtc && /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const time = Date.parse(normalised);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** WordPress statuses that take a published post off the site. */
const WORDPRESS_WITHDRAWN = new Set(['draft', 'private', 'trash']);

/**
 * Ghost's `post.unpublished` (current: the post, now a draft; previous: the changed fields, status `published`) and
 * `post.deleted` (current empty, previous: the whole post). Ghost names the event only in the webhook's settings,
 * so the shape tells them apart.
 */
function ghostWithdrawal(current: Obj, previous: Obj): CmsArticle | undefined {
  const id = str(current.id) || str(previous.id);
  if (!id) return undefined;
  const externalId = `ghost:${id}`;
  if (Object.keys(current).length === 0) return { kind: 'withdrawn', source: 'ghost', externalId, reason: 'the post was deleted in Ghost' };
  const status = str(current.status);
  if (str(previous.status) === 'published' && status && status !== 'published') {
    return { kind: 'withdrawn', source: 'ghost', externalId, reason: `the post was unpublished in Ghost (now ${status})` };
  }
  return undefined;
}

function ghost(post: Obj): CmsArticle {
  const status = str(post.status);
  if (status && status !== 'published') return { kind: 'ignored', source: 'ghost', reason: `post status is ${status}` };
  if (isObj(post.previous) || isObj(post.current)) {
    const current = (isObj(post.current) ? post.current : {}) as Obj;
    return ghostWithdrawal(current, (isObj(post.previous) ? post.previous : {}) as Obj) ?? ghost(current);
  }
  const author = isObj(post.primary_author) ? str(post.primary_author.name) : names(post.authors)[0];
  return {
    kind: 'article',
    source: 'ghost',
    payload: {
      externalId: `ghost:${str(post.id) || str(post.uuid)}`,
      title: str(post.title),
      url: str(post.url),
      excerpt: str(post.custom_excerpt) || str(post.excerpt),
      html: str(post.html),
      ...(author ? { author: { name: author } } : {}),
      section: isObj(post.primary_tag) ? str(post.primary_tag.name) || null : null,
      tags: names(post.tags),
      ...(str(post.feature_image) ? { image: { url: str(post.feature_image), alt: str(post.feature_image_alt) } } : {}),
      publishedAt: isoDate(post.published_at, false),
    },
  };
}

/** The guid is the site's own permanent id for the post (and unique across sites); the numeric id is not. */
function wordpressExternalId(post: Obj): string {
  const guid = str(post.guid).trim();
  return guid && guid.length <= 200 ? guid : `wordpress:${str(post.ID) || str(post.id)}`;
}

function wordpress(post: Obj): CmsArticle {
  const status = str(post.post_status) || str(post.status);
  const type = str(post.post_type) || str(post.type);
  if (type && type !== 'post') return { kind: 'ignored', source: 'wordpress', reason: `post type is ${type}` };
  // A draft Herald never received stays unknown to it: retracting finds no article and changes nothing.
  if (WORDPRESS_WITHDRAWN.has(status)) {
    return { kind: 'withdrawn', source: 'wordpress', externalId: wordpressExternalId(post), reason: `the post was moved to ${status} in WordPress` };
  }
  if (status && status !== 'publish') return { kind: 'ignored', source: 'wordpress', reason: `post status is ${status}` };
  const guid = str(post.guid).trim();
  const image = str(post.post_thumbnail) || str(post.featured_image) || str(post.thumbnail_url) || str(post.featured_media_url);
  const author = str(post.post_author_name) || str(post.author_name) || (isObj(post.post_author) ? str(post.post_author.display_name) : '');
  const categories = names(post.categories);
  return {
    kind: 'article',
    source: 'wordpress',
    payload: {
      externalId: wordpressExternalId(post),
      title: str(post.post_title) || str(post.title),
      url: str(post.permalink) || str(post.link) || guid,
      excerpt: str(post.post_excerpt) || str(post.excerpt),
      html: str(post.post_content) || str(post.content),
      ...(author ? { author: { name: author } } : {}),
      section: categories[0] ?? null,
      tags: names(post.tags),
      ...(image ? { image: { url: image, alt: '' } } : {}),
      publishedAt: isoDate(post.post_date_gmt, true) ?? isoDate(post.date_gmt, true),
    },
  };
}

export function articleFromCms(body: unknown): CmsArticle {
  if (!isObj(body)) return { kind: 'unrecognised' };
  const post = isObj(body.post) ? body.post : body;
  if (isObj(post.current) || isObj(post.previous)) return ghost(post);
  if ('post_title' in post || 'post_content' in post || 'ID' in post) return wordpress(post);
  if ('externalId' in body && 'title' in body) return { kind: 'article', source: 'herald', payload: body };
  // WordPress REST (`title.rendered`) and Ghost Admin API (`html`, `uuid`) shapes without the hook wrapper.
  if (isObj(post.title) && 'link' in post) return wordpress(post);
  if ('uuid' in post && 'html' in post) return ghost(post);
  return { kind: 'unrecognised' };
}
