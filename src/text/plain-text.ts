// Plain text every part of Herald shares: markup stripped, one clean line, a length cut at a word.
import { NON_TEXT_TAGS, sanitizeHtml } from './html-library.js';

/** Plain text with all markup removed (for excerpts, alt texts and tags that arrive as HTML). */
export function stripTags(text: string): string {
  return sanitizeHtml(text, { allowedTags: [], allowedAttributes: {}, nonTextTags: NON_TEXT_TAGS })
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
