// Renders an article into an edition email (subject, preheader, HTML, text) once per edition; no I/O but the template.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compile as compileHtmlToText } from 'html-to-text';
import type { Article } from '../articles/article.js';
import { insertCanary, insertOpenPixel, LinkTracker, rewriteBodyLinks, type ClickTrackingSettings, type TrackedLink } from '../analytics/link-tracker.js';
import { openPixelUrl } from '../analytics/open-tokens.js';
import { campaignName } from '../analytics/utm.js';
import { cleanLine, stripTags, truncateText } from '../text/plain-text.js';
import { fillHtmlTemplate, type HtmlTemplateValues } from '../render/fill-template.js';
import { html, joinHtml, SafeHtml, trusted } from '../render/html.js';
import { templatesDir } from '../runtime/templates-dir.js';

/**
 * The template's fixed per-recipient markers. Rendering swaps them (in the template only, never in content) for
 * keyed ones (`recipientMarkers`), so text an article smuggles past sanitising and html-to-text, such as
 * `%<span></span>%recipient.unsubscribeUrl%%`, is just text. Editions stored before keyed markers carry these.
 */
export const RECIPIENT_MARKERS = {
  name: '%%recipient.name%%',
  unsubscribeUrl: '%%recipient.unsubscribeUrl%%',
  preferencesUrl: '%%recipient.preferencesUrl%%',
} as const;

export type RecipientField = keyof typeof RECIPIENT_MARKERS;

/**
 * The marker of the reader slot in tracked links (src/analytics/click-tokens.ts), filled per message like the
 * others. Kept apart from RECIPIENT_MARKERS: an edition rendered without click tracking has none.
 */
export function clickSlotMarker(key: string | null | undefined): string {
  return key ? `%%c.${checkedMarkerKey(key)}%%` : '%%recipient.clickSlot%%';
}

/** A fresh, unguessable marker key (64 bits): content written before the render cannot know it. */
const newMarkerKey = (): string => randomBytes(8).toString('hex');

function checkedMarkerKey(key: string): string {
  if (!/^[0-9a-f]{16,64}$/.test(key)) throw new TypeError('a marker key is hex');
  return key;
}

/** The markers `personalise` fills in an edition rendered with `key` (null: an edition with the fixed markers). */
export function recipientMarkers(key: string | null | undefined): Record<RecipientField, string> {
  if (!key) return RECIPIENT_MARKERS;
  checkedMarkerKey(key);
  // Short, about as long as the fixed ones: html-to-text wraps the plain-text part around the marker, not the value.
  return { name: `%%n.${key}%%`, unsubscribeUrl: `%%u.${key}%%`, preferencesUrl: `%%p.${key}%%` };
}

export interface EditionRenderOptions {
  /** Brand in the masthead and footer, e.g. "Herald Daily". */
  listName: string;
  /** Sender's postal address for the footer (anti-spam laws require it); line breaks are kept. */
  postalAddress: string;
  /** The edition's web version, linked at the top. */
  viewInBrowserUrl: string;
  /** Editor's subject line. Default: the article title. */
  subject?: string;
  /** Editor's inbox preview text. Default: the article excerpt. */
  preheader?: string;
  /**
   * Largest HTML part in UTF-8 bytes before the excerpt is sent instead of the full body. Default 95_000:
   * Gmail clips messages at ~102 KB and hides the rest, unsubscribe link included; the margin covers the
   * recipient's URLs and the quoted-printable encoding.
   */
  maxHtmlBytes?: number;
  /** The MJML template. Default: `templates/email/edition.mjml` in this repository. */
  templatePath?: string;
  /** Key of the per-recipient markers. Default: a fresh random one. */
  markerKey?: string;
  /** Rewrite every link but unsubscribe and preferences into a tracked one (PUBLIC_URL/l/…). Default: links stay as they are. */
  clickTracking?: ClickTrackingSettings;
}

export interface RenderedEdition {
  /** One clean line, not yet MIME-encoded. */
  subject: string;
  preheader: string;
  /** Complete HTML document with CSS inlined, recipient markers left in. */
  html: string;
  /** Plain-text alternative with link URLs spelled out, recipient markers left in. */
  text: string;
  /** True when the body was replaced by the excerpt and a "Continue reading" button to stay under the size limit. */
  excerptOnly: boolean;
  /** The key of the markers in html and text (see recipientMarkers); stored with the edition. */
  markerKey: string;
  /** The tracked links by position (stored as edition_links); empty without click tracking. */
  links: TrackedLink[];
}

/** The edition cannot be rendered as it stands; an editor has to change the article or the options. */
export class EditionRenderError extends Error {
  constructor(message: string, readonly code: 'edition_too_large' | 'invalid_url') {
    super(message);
    this.name = 'EditionRenderError';
  }
}

const DEFAULT_MAX_HTML_BYTES = 95_000;
// Enough for a teaser; a CMS excerpt that is really the whole article must not blow the size limit.
const MAX_EXCERPT_CHARS = 600;
// Inbox previews show ~100–150 characters; the rest is wasted bytes.
const MAX_PREHEADER_CHARS = 200;


/** Renders the edition once; per recipient only the markers are replaced (see `personalise`). */
export async function renderEdition(article: Article, options: EditionRenderOptions): Promise<RenderedEdition> {
  const markerKey = options.markerKey ?? newMarkerKey();
  const template = keyMarkers(await loadCompiledTemplate(options.templatePath ?? defaultTemplatePath()), markerKey);
  const maxHtmlBytes = options.maxHtmlBytes ?? DEFAULT_MAX_HTML_BYTES;
  const headline = cleanLine(article.title);
  const subject = cleanLine(options.subject ?? '') || headline || cleanLine(options.listName);
  const preheader = truncateText(cleanLine(options.preheader ?? '') || cleanLine(article.excerpt), MAX_PREHEADER_CHARS);
  const values: HtmlTemplateValues = {
    subject,
    preheader,
    headline,
    articleUrl: requireHttpUrl(article.url, 'article URL'),
    listName: cleanLine(options.listName),
    viewInBrowserUrl: requireHttpUrl(options.viewInBrowserUrl, 'view-in-browser URL'),
    byline: byline(article),
    leadImageUrl: optionalHttpUrl(article.imageUrl),
    leadImageAlt: cleanLine(article.imageAlt ?? ''),
    postalAddressHtml: postalAddressHtml(options.postalAddress),
  };
  let links: TrackedLink[] = [];
  // Links are tracked before the size is measured: the tracked ones are longer.
  const fill = (bodyHtml: SafeHtml, excerptOnly: boolean): string => {
    if (!options.clickTracking) return fillHtmlTemplate(template, defuseRecipientMarkers({ ...values, bodyHtml, excerptOnly }));
    const tracker = new LinkTracker(options.clickTracking, clickSlotMarker(markerKey), campaignName(subject), values.viewInBrowserUrl as string);
    const tracked = {
      ...values,
      articleUrl: tracker.track(values.articleUrl as string, 'article'),
      viewInBrowserUrl: tracker.track(values.viewInBrowserUrl as string, 'view_in_browser'),
      bodyHtml: trusted(rewriteBodyLinks(bodyHtml.value, (url) => tracker.track(url, 'body'))),
      excerptOnly,
    };
    const filled = fillHtmlTemplate(template, defuseRecipientMarkers(tracked));
    links = tracker.links();
    const { clickTracking: t } = options;
    const withCanary = insertCanary(filled, tracker.canaryUrl);
    return t.trackOpens ? insertOpenPixel(withCanary, openPixelUrl(t.publicUrl, t.secret, t.dispatchId, clickSlotMarker(markerKey))) : withCanary;
  };

  let excerptOnly = false;
  // The body was sanitised when the article was stored.
  let edition = fill(trusted(article.html), false);
  if (Buffer.byteLength(edition) > maxHtmlBytes) {
    excerptOnly = true;
    const excerpt = cleanLine(article.excerpt) || cleanLine(stripTags(article.html));
    edition = fill(html`<p>${truncateText(excerpt, MAX_EXCERPT_CHARS)}</p>`, true);
    if (Buffer.byteLength(edition) > maxHtmlBytes) {
      throw new EditionRenderError(
        `Edition HTML is ${Buffer.byteLength(edition)} bytes even with the excerpt only (limit ${maxHtmlBytes})`,
        'edition_too_large',
      );
    }
  }
  // Layout tables leave runs of empty lines behind; one blank line separates blocks well enough.
  const text = htmlToText()(edition).replace(/\n{3,}/g, '\n\n');
  return { subject, preheader, html: edition, text, excerptOnly, markerKey, links };
}

/** The template's fixed markers become keyed ones before any content is filled in. */
function keyMarkers(template: string, key: string): string {
  const keyed = recipientMarkers(key);
  let out = template;
  for (const field of Object.keys(RECIPIENT_MARKERS) as RecipientField[]) out = out.replaceAll(RECIPIENT_MARKERS[field], keyed[field]);
  return out;
}

/** "By Author · Section", or whichever of the two the article has. */
function byline(article: Pick<Article, 'authorName' | 'section'>): string {
  const author = cleanLine(article.authorName ?? '');
  const section = cleanLine(article.section ?? '');
  return [author && `By ${author}`, section].filter(Boolean).join(' · ');
}

function postalAddressHtml(postalAddress: string): SafeHtml {
  return joinHtml(postalAddress.split(/\r\n|\r|\n/).map(cleanLine).filter(Boolean), html`<br />`);
}

/**
 * A word joiner (invisible, and not whitespace to html-to-text, nor anything HTML escapes) inside "%%recipient."
 * keeps an article that quotes a marker from being filled with the reader's unsubscribe link.
 */
function defuseRecipientMarkers(values: HtmlTemplateValues): HtmlTemplateValues {
  const defuse = (text: string) => text.replace(/%%recipient\./g, '%\u2060%recipient.');
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [
    name,
    typeof value === 'string' ? defuse(value) : value instanceof SafeHtml ? trusted(defuse(value.value)) : value,
  ]));
}

function optionalHttpUrl(url: string | null): string {
  try {
    return url ? requireHttpUrl(url, 'image URL') : '';
  } catch {
    return ''; // a lead image is decoration: drop it rather than fail the edition
  }
}

/** The URL normalised by WHATWG rules (quotes, spaces and angle brackets percent-encoded), http(s) only. */
function requireHttpUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new EditionRenderError(`The ${what} is not a valid URL: ${JSON.stringify(url)}`, 'invalid_url');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new EditionRenderError(`The ${what} must be http(s): ${JSON.stringify(url)}`, 'invalid_url');
  }
  return parsed.href;
}

let textConverter: ((html: string) => string) | undefined;

function htmlToText(): (html: string) => string {
  textConverter ??= compileHtmlToText({
    wordwrap: 78,
    selectors: [
      { selector: '.preheader', format: 'skip' }, // the inbox preview repeats the opening lines
      { selector: '.lead-image', format: 'skip' }, // a picture linking to the article: the headline already does
      { selector: 'a.herald-canary', format: 'skip' }, // the hidden machine-click canary (src/analytics/link-tracker.ts)
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ],
  });
  return textConverter;
}

// MJML runs once per process and template; editions only fill placeholders into its output.
const compiledTemplates = new Map<string, Promise<string>>();

function loadCompiledTemplate(templatePath: string): Promise<string> {
  let compiled = compiledTemplates.get(templatePath);
  if (!compiled) {
    compiled = compileTemplate(templatePath);
    compiledTemplates.set(templatePath, compiled);
    compiled.catch(() => compiledTemplates.delete(templatePath)); // let a later edition retry a failed read
  }
  return compiled;
}

async function compileTemplate(templatePath: string): Promise<string> {
  const source = await readFile(templatePath, 'utf8');
  // MJML and its dependencies weigh ~55 MB in a process: use the copy `npm run build` compiled when it matches.
  const cachePath = compiledTemplatePath(templatePath);
  const cached = await readFile(cachePath, 'utf8').catch(() => '');
  const stamp = `<!-- herald-template ${sourceHash(source)} -->\n`;
  if (cached.startsWith(stamp)) return cached.slice(stamp.length);
  const html = await compileMjml(source, templatePath);
  await mkdir(path.dirname(cachePath), { recursive: true })
    .then(() => writeFile(cachePath, stamp + html))
    .catch(() => {}); // a read-only install just compiles in memory
  return html;
}

async function compileMjml(source: string, templatePath: string): Promise<string> {
  // MJML is a build-time (dev) dependency: a production install only has the compiled copy `npm run build` made.
  const { default: mjml2html } = await import('mjml').catch((error: unknown) => {
    throw new Error(
      `${templatePath} differs from the copy compiled at build time, and MJML is not installed (a production install): ` +
        'run `npm run build` where dev dependencies are installed, or `npm install mjml`',
      { cause: error },
    );
  });
  const { html } = await mjml2html(source, { validationLevel: 'strict', keepComments: false, filePath: templatePath });
  // Indentation is a fifth of MJML's output and counts against Gmail's clipping limit; the template has no <pre>.
  return html.replace(/\n\s+/g, '\n');
}

/** templates/email/.compiled/NAME.html: the MJML output, stamped with the hash of the source it came from. */
function compiledTemplatePath(templatePath: string): string {
  return path.join(path.dirname(templatePath), '.compiled', `${path.basename(templatePath, '.mjml')}.html`);
}

function sourceHash(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

/** Compiles the default template into its cache (run by `npm run build`). */
export async function precompileDefaultTemplate(): Promise<string> {
  const templatePath = defaultTemplatePath();
  await compileTemplate(templatePath);
  return compiledTemplatePath(templatePath);
}

/** templates/email/edition.mjml. */
function defaultTemplatePath(): string {
  return path.join(templatesDir(), 'email', 'edition.mjml');
}
