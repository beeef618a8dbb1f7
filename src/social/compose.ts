// Article → one network's post: fill the network's template, then shorten until the network's own count fits.
import twitterText from 'twitter-text';
import type { Article } from '../articles/article.js';
import { cleanLine, stripTags } from '../text/plain-text.js';
import { fillSlots, keepSections, templateNames } from '../render/fill-template.js';
import { loadTemplate } from '../runtime/templates.js';
import type { Network, SocialPost } from './channel.js';
import { graphemeCuts, graphemes, measure } from './length.js';
import { networkDefinition } from './networks.js';

/** What composing needs from an article (an editor preview can pass an unsaved draft). */
export type ComposableArticle = Pick<Article, 'title' | 'url' | 'excerpt' | 'html' | 'tags' | 'imageUrl' | 'imageAlt'>;

export interface ComposeOptions {
  /** The network's limit, e.g. the Mastodon instance's `max_characters`. Default: `NETWORK_LIMITS[network]`. */
  limit?: number;
  /** Template text used instead of the network's file in templates/social/. Default: that file. */
  template?: string;
}

export type CompositionErrorCode = 'invalid_link' | 'link_too_long' | 'invalid_template';

/** No post can be made as things stand (retrying will not help): the worker records it as a permanent failure. */
export class PostCompositionError extends Error {
  constructor(
    message: string,
    readonly code: CompositionErrorCode,
    /** For `link_too_long`: the shortest post possible (template and URL alone), and the limit it exceeds. */
    readonly length?: number,
    readonly limit?: number,
  ) {
    super(message);
    this.name = 'PostCompositionError';
  }
}

export const TEMPLATE_FIELDS = ['title', 'summary', 'url', 'hashtags'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

const ELLIPSIS = '…';
// X rejects these outright; they arrive in CMS text as stray byte-order marks.
const INVALID_FOR_X = /[\uFEFF\uFFFE\uFFFF]/g;
// A summary taken from the body when the article has no excerpt: about one paragraph.
const BODY_SUMMARY_GRAPHEMES = 300;
const BLOCK_END = /<\/(?:p|div|h[1-6]|li|blockquote|figcaption|pre|td|th|tr)\s*>|<br\s*\/?>/gi;
// A summary cut shorter than this says nothing ("A…"); the post is better without it.
const MIN_SUMMARY_GRAPHEMES = 30;

/** The article URL as posted: parsed and re-serialised so characters like `"`, `<` or spaces are percent-encoded
 *  and every network links the whole of it. Only http(s) links are posted. */
export function socialLink(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new PostCompositionError(`The article URL is not a valid URL: ${JSON.stringify(url)}`, 'invalid_link');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PostCompositionError(`Only http(s) article URLs can be posted, got ${parsed.protocol}`, 'invalid_link');
  }
  return parsed.href;
}

/** Tags as `#CamelCase` hashtags: letters, marks and digits of any script, markup and punctuation removed. */
export function hashtagsFromTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const hashtags: string[] = [];
  for (const tag of tags) {
    const words = stripTags(tag).split(/[^\p{L}\p{M}\p{Nd}]+/u).map((w) => w.replace(/^\p{M}+/u, ''));
    const body = words.map(upperFirst).join('');
    // Digits alone do not make a hashtag on X or Mastodon.
    if (!/\p{L}/u.test(body)) continue;
    const key = body.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    hashtags.push(`#${body}`);
  }
  return hashtags;
}

function upperFirst(word: string): string {
  const [first = '', ...rest] = Array.from(word);
  return first.toUpperCase() + rest.join('');
}

/** The network's template from templates/social/ (its definition names the file), read once per process. */
export function socialTemplate(network: Network): string {
  return loadTemplate(`social/${networkDefinition(network).template}`);
}

/** Rejects templates that name unknown fields or leave out the article URL. */
export function checkTemplate(template: string): void {
  const names = templateNames(template);
  const unknown = names.filter((n) => !(TEMPLATE_FIELDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new PostCompositionError(
      `Unknown template field(s) ${unknown.map((n) => `{{${n}}}`).join(', ')}; use ${TEMPLATE_FIELDS.map((n) => `{{${n}}}`).join(', ')}`,
      'invalid_template',
    );
  }
  if (!names.includes('url')) {
    throw new PostCompositionError('The template must contain {{url}} so the post links to the article', 'invalid_template');
  }
}

/** Fills `{{field}}` placeholders; a line whose fields are all empty disappears instead of leaving a gap. */
export function renderTemplate(template: string, fields: Readonly<Record<TemplateField, string>>): string {
  const lines: string[] = [];
  const valueOf = (name: string) => fields[name as TemplateField] ?? '';
  const kept = keepSections(template, (name) => valueOf(name) !== '');
  for (const line of kept.replace(/\r\n?/g, '\n').split('\n')) {
    let hasField = false;
    let hasValue = false;
    const filled = fillSlots(line, ({ name }) => {
      hasField = true;
      hasValue ||= valueOf(name) !== '';
      return valueOf(name);
    });
    if (hasField && !hasValue) continue;
    lines.push(filled.replace(/ {2,}/g, ' ').trim());
  }
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Composes the article's post for `network`; its `text` fits the network's limit as the network counts it. */
export function composePost(article: ComposableArticle, network: Network, options: ComposeOptions = {}): SocialPost {
  const template = options.template ?? socialTemplate(network);
  checkTemplate(template);
  const link = socialLink(article.url);
  const title = plainLine(article.title);
  const summary = summaryOf(article);
  const text = fitPost(network, options.limit, template, { title, summary, link, hashtags: hashtagsFromTags(article.tags) });
  return {
    text,
    // Bluesky and Facebook also send this as a link card; the URL stays in `text` so the post stands alone.
    link,
    title,
    description: summary,
    ...(article.imageUrl ? { image: { url: article.imageUrl, alt: plainLine(article.imageAlt ?? '') } } : {}),
  };
}

// Titles are plain text already (a literal `<script>` in a headline is just words): only make them one line.
function plainLine(text: string): string {
  return cleanLine(text.replace(INVALID_FOR_X, ''));
}

function summaryOf(article: ComposableArticle): string {
  const excerpt = plainLine(stripTags(article.excerpt));
  if (excerpt !== '') return excerpt;
  // Only the start of the body is needed; stripping a 250 KB body to use 300 characters is wasted work.
  // Block ends become spaces first, or stripping tags glues paragraphs together ("end.Start").
  const blocks = article.html.slice(0, 20_000).replace(BLOCK_END, '$& ');
  const body = plainLine(stripTags(blocks));
  const head = graphemes(body.slice(0, 8 * BODY_SUMMARY_GRAPHEMES)).slice(0, BODY_SUMMARY_GRAPHEMES + 1).join('');
  if (head === body && graphemes(body).length <= BODY_SUMMARY_GRAPHEMES) return body;
  return longestFitting(head, (s) => graphemes(s).length <= BODY_SUMMARY_GRAPHEMES, false) ?? '';
}

interface PostParts {
  title: string;
  summary: string;
  link: string;
  hashtags: string[];
}

// Shortening order, least valuable first: summary, then hashtags (last first), then the headline. The URL never.
function fitPost(network: Network, limit: number | undefined, template: string, parts: PostParts): string {
  let { title, summary } = parts;
  const hashtags = [...parts.hashtags];
  const render = (t = title, s = summary) =>
    renderTemplate(template, { title: t, summary: s, url: parts.link, hashtags: hashtags.join(' ') });
  const fits = (text: string) => measure(network, text, { limit }).fits;

  if (fits(render())) return render();
  const shortSummary = longestFitting(summary, (s) => fits(render(title, s)), false) ?? '';
  summary = graphemes(shortSummary).length >= MIN_SUMMARY_GRAPHEMES ? shortSummary : '';
  if (fits(render())) return render();
  while (hashtags.length > 0 && !fits(render())) hashtags.pop();
  if (fits(render())) return render();
  title = longestFitting(title, (t) => fits(render(t, summary)), true) ?? '';
  const text = render();
  const measured = measure(network, text, { limit });
  if (!measured.fits) {
    // Cutting the URL would publish a dead link; refuse clearly instead of posting something the network rejects.
    throw new PostCompositionError(
      `The article URL and the template alone make a post of ${measured.length}, over the ${network} limit of ${measured.limit}: shorten the URL`,
      'link_too_long',
      measured.length,
      measured.limit,
    );
  }
  return text;
}

/**
 * The longest shortening of `text` (a prefix ending at a word boundary, plus `…`) that `fits`, or undefined.
 * Cuts never fall inside a URL or a grapheme cluster. With `allowMidWord`, text that has no word boundary at all
 * (one long word, a run of emoji) is cut between graphemes instead; text that has words is never cut mid-word,
 * since "H…" tells a reader less than no headline.
 */
function longestFitting(text: string, fits: (candidate: string) => boolean, allowMidWord: boolean): string | undefined {
  if (text === '') return undefined;
  const words = outsideUrls(text, wordCuts(text));
  const cuts = words.length === 0 && allowMidWord ? outsideUrls(text, graphemeCuts(text)) : words;
  return longestAt(text, cuts, fits);
}

// Binary search over the cuts, building each candidate only when probed: a longer prefix never measures
// shorter, and every answer returned was itself measured to fit.
function longestAt(text: string, cuts: number[], fits: (candidate: string) => boolean): string | undefined {
  let lo = 0;
  let hi = cuts.length - 1;
  let best: string | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const kept = trimCut(text.slice(0, cuts[mid]));
    // Nothing but punctuation before this cut: not a candidate, look further right.
    const candidate = kept === '' ? undefined : kept + (endsWithUrl(kept) ? ` ${ELLIPSIS}` : ELLIPSIS);
    if (candidate === undefined || fits(candidate)) {
      best = candidate ?? best;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

// Bluesky's link detection takes every non-space after `https://`, so an ellipsis glued to a URL would break it.
function endsWithUrl(text: string): boolean {
  return twitterText.extractUrlsWithIndices(text).some(({ indices: [, end] }) => end === text.length);
}

function outsideUrls(text: string, cuts: number[]): number[] {
  const urls = twitterText.extractUrlsWithIndices(text);
  return cuts.filter((cut) => !urls.some(({ indices: [start, end] }) => cut > start && cut < end));
}

// Scripts written without spaces between words: a word boundary there is a fine place to cut.
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
let wordSegmenter: Intl.Segmenter | undefined;

/** Offsets where a word ends: before a space, or between words of an unspaced script (CJK, Thai). */
function wordCuts(text: string): number[] {
  wordSegmenter ??= new Intl.Segmenter(undefined, { granularity: 'word' });
  const segments = Array.from(wordSegmenter.segment(text));
  const cuts: number[] = [];
  for (let i = 0; i + 1 < segments.length; i++) {
    const { segment, index } = segments[i];
    const next = segments[i + 1].segment;
    if (/^\s+$/u.test(segment)) continue;
    const lastChar = Array.from(segment).pop() ?? '';
    if (/^\s/u.test(next) || UNSPACED_SCRIPT.test(lastChar) || UNSPACED_SCRIPT.test(Array.from(next)[0] ?? '')) {
      cuts.push(index + segment.length);
    }
  }
  return cuts;
}

// Spaces, dashes and stray punctuation read badly before an ellipsis; removed a whole grapheme at a time.
const TRAILING_JUNK = /^[\s\p{Pd}\p{Po}\p{Ps}\p{Pi}]$/u;

function trimCut(prefix: string): string {
  const kept = graphemes(prefix);
  while (kept.length > 0 && TRAILING_JUNK.test(kept[kept.length - 1])) kept.pop();
  return kept.join('');
}
