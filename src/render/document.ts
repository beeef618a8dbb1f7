// The shell of every page Herald serves (dashboard and public): doctype, language, viewport, not for search
// engines, and a skip link to the page's <main id="main">.
import { html, type SafeHtml } from './html.js';

export interface DocumentParts {
  /** After the shared <meta>s: the page's own <meta>s, <title>, styles and scripts. */
  head: SafeHtml;
  /** Attributes of <body>, e.g. attrs({ 'data-page': 'dispatch' }). */
  bodyAttributes?: SafeHtml;
  /** After the skip link; holds the <main id="main">. */
  body: SafeHtml;
}

export function htmlDocument(parts: DocumentParts): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${parts.head}
</head>
<body${parts.bodyAttributes ?? ''}>
<a class="skip" href="#main">Skip to content</a>
${parts.body}
</body>
</html>
`.value;
}
