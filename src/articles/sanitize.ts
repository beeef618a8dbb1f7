// Article content is untrusted input from a CMS: clean it once on the way in, so every renderer can trust it.
import { createRequire } from 'node:module';
import type SanitizeHtml from 'sanitize-html';

// sanitize-html (with postcss) is required on first use, synchronously: processes that never clean HTML (a worker
// sending email only) never load it.
const require = createRequire(import.meta.url);
let library: typeof SanitizeHtml | undefined;
const sanitizeHtml = ((html: string, options?: SanitizeHtml.IOptions) => {
  library ??= require('sanitize-html') as typeof SanitizeHtml;
  return library(html, options);
}) as typeof SanitizeHtml;

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'code', 'em', 'strong', 'b', 'i', 'u',
  's', 'sub', 'sup', 'small', 'mark', 'a', 'ul', 'ol', 'li', 'figure', 'figcaption', 'img', 'table', 'thead',
  'tbody', 'tr', 'th', 'td', 'caption', 'span', 'div', 'cite', 'q', 'abbr', 'time',
];

const OPTIONS: SanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    // Direction and language keep Arabic, Hebrew and mixed-script paragraphs readable.
    '*': ['dir', 'lang'],
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    th: ['colspan', 'rowspan', 'scope'],
    td: ['colspan', 'rowspan'],
    time: ['datetime'],
    abbr: ['title'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  // Drop the content of these entirely instead of keeping their text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'],
  transformTags: {
    // What sanitizeHtml.simpleTransform('a', {rel}) does, without loading the library to build the options.
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'noopener noreferrer' } }),
  },
};

/** Article body HTML reduced to an allowlist: no script, style, iframe, event handlers or `javascript:` URLs. */
export function sanitizeArticleHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

/** Plain text with all markup removed (for excerpts, alt texts and tags that arrive as HTML). */
export function stripTags(text: string): string {
  return sanitizeHtml(text, { allowedTags: [], allowedAttributes: {}, nonTextTags: OPTIONS.nonTextTags })
    .replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

// C0/C1 controls, line and paragraph separators: anything that could break a header or a line.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One clean line: control characters and line breaks become single spaces (header injection stops here). */
export function cleanLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ').replace(/\s{2,}/g, ' ').trim();
}

/** At most `maxChars` characters (code points), cut at a word boundary when one is near, with an ellipsis. */
export function truncateText(text: string, maxChars: number): string {
  const characters = Array.from(text);
  if (characters.length <= maxChars) return text;
  const cut = characters.slice(0, maxChars - 1).join('');
  const lastSpace = cut.lastIndexOf(' ');
  return `${lastSpace > cut.length * 0.8 ? cut.slice(0, lastSpace) : cut}…`;
}
