// The page an edition's web copy becomes once its article is retracted: the notice and the editor's reason.
import { html } from '../../render/html.js';
import { publicLayout, type PageSettings } from './layout.js';

export function retractionNoticePage(settings: PageSettings, subject: string, reason: string, retractedAt: Date): string {
  const day = retractedAt.toISOString().slice(0, 10);
  return publicLayout(settings, 'Retracted', html`<h1>This story has been retracted</h1>
<p>The edition “${subject}” was withdrawn on <time datetime="${retractedAt.toISOString()}">${day}</time>.</p>
<p class="retraction-reason"><strong>Reason:</strong> ${reason}</p>`);
}
