// Article content is untrusted input from a CMS: clean it once on the way in, so every renderer can trust it.
import type SanitizeHtml from 'sanitize-html';
import { NON_TEXT_TAGS, sanitizeHtml } from '../text/html-library.js';

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
  nonTextTags: NON_TEXT_TAGS,
  transformTags: {
    // What sanitizeHtml.simpleTransform('a', {rel}) does, without loading the library to build the options.
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'noopener noreferrer' } }),
  },
};

/** Article body HTML reduced to an allowlist: no script, style, iframe, event handlers or `javascript:` URLs. */
export function sanitizeArticleHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}
