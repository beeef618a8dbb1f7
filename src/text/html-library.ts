// sanitize-html, required on first use: processes that never clean HTML (a worker sending email only) never load it.
import { createRequire } from 'node:module';
import type SanitizeHtml from 'sanitize-html';

const require = createRequire(import.meta.url);
let library: typeof SanitizeHtml | undefined;

/** sanitize-html itself (with postcss), loaded synchronously the first time it is called. */
export const sanitizeHtml = ((html: string, options?: SanitizeHtml.IOptions) => {
  library ??= require('sanitize-html') as typeof SanitizeHtml;
  return library(html, options);
}) as typeof SanitizeHtml;

/** Elements whose content is dropped entirely instead of kept as text. */
export const NON_TEXT_TAGS = ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'template'];
