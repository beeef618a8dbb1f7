// The frame of every public page (subscribe, confirm, unsubscribe, preferences): no external assets, and no script but
// the subscribe form's time-zone one (zone-script.ts).
import { htmlDocument } from '../../render/document.js';
import { html, joinHtml, trusted, type SafeHtml } from '../../render/html.js';
import { loadTemplate } from '../../runtime/templates.js';

export interface PageSettings {
  listName: string;
  postalAddress: string;
  publicUrl: string;
}

/** A whole page: `content` inside the list's masthead and the postal-address footer. */
export function publicLayout(settings: PageSettings, title: string, content: SafeHtml): string {
  return htmlDocument({
    head: html`<title>${title} · ${settings.listName}</title>
<style>
${trusted(loadTemplate('pages/public.css'))}</style>`,
    body: html`<header class="masthead"><a class="brand" href="${settings.publicUrl}/subscribe">${settings.listName}</a></header>
<main id="main" class="card">
${content}
</main>
<footer class="footer">${joinHtml(settings.postalAddress.split(/\r?\n/), html`<br>`)}</footer>`,
  });
}
